-- nflog.lua records that a revision of an alert reached one route, unless
-- a later revision of the same episode already did (compare and set), so
-- a late, stale send never overwrites a newer one's reference.
--
-- KEYS: 1 notification log hash
-- ARGV: 1 route|fingerprint, 2 episode, 3 revision, 4 record JSON
-- Returns 1 when recorded, 0 when a newer revision was there first.
local cur = redis.call('HGET', KEYS[1], ARGV[1] .. ':v')
if cur then
  local ep, rev = string.match(cur, '^(%d+):(%d+)$')
  if tonumber(ep) == tonumber(ARGV[2]) and tonumber(rev) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4], ARGV[1] .. ':v', ARGV[2] .. ':' .. ARGV[3])
return 1
