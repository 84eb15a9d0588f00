-- active.lua reads every silence that has not ended, in one round trip.
-- It writes nothing: records whose TTL ran out are skipped here and
-- dropped from the index by the next create or expire.
--
-- KEYS: 1 index {<prefix>silences}
-- ARGV: 1 now in ms, 2 the records' key prefix {<prefix>silences}:
-- Returns the silences' JSON, soonest end first.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[2] .. id)
  if v then
    out[#out + 1] = v
  end
end
return out
