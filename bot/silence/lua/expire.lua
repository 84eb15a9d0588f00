-- expire.lua ends a silence now if nobody changed it since the caller
-- read it (compare and set on the whole record), keeps the ended record
-- for the retention so it can still be looked up, and unindexes it.
--
-- KEYS: 1 index {<prefix>silences}, 2 the record {<prefix>silences}:<id>
-- ARGV: 1 the JSON the caller read, 2 the ended silence's JSON,
--       3 the retention in ms, 4 id, 5 now in ms
-- Returns 1 when written, 0 when the record changed or is gone.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
return 1
