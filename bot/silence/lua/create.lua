-- create.lua stores a new silence and indexes it by its end, in one step,
-- and drops silences that have ended from the index.
--
-- KEYS: 1 index {<prefix>silences} (sorted set: id by end, ms),
--       2 the record {<prefix>silences}:<id> (both on one cluster slot)
-- ARGV: 1 id, 2 the silence's JSON, 3 the record's TTL in ms (until its
--       end plus the retention), 4 its end in ms, 5 now in ms
-- Returns 1 when stored, 0 when a silence with this id exists.
if not redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX') then
  return 0
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
-- The index lives as long as its longest-lived record.
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
