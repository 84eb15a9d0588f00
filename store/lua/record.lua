-- record.lua keeps the newest version, by event time, of a record keyed by
-- name (master data, acknowledgements), exactly once per event id.
--
-- KEYS: 1 records hash, 2 event-time hash, 3 seen set (same hash tag)
-- ARGV: 1 event id, 2 record name, 3 occurred_at (unix ms), 4 value, 5 seen ttl (s)
-- Returns 1 when applied, 0 for a duplicate.
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
local prev = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '')
if prev == nil or tonumber(ARGV[3]) >= prev then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
redis.call('SADD', KEYS[3], ARGV[1])
local ttl = tonumber(ARGV[5])
if ttl > 0 then redis.call('EXPIRE', KEYS[3], ttl) end
return 1
