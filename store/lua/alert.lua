-- alert.lua writes a new revision of an alert if nobody else wrote one
-- since it was read (compare and set), and appends it to the alert stream in
-- the same step. Two replicas that see the same change write it once.
--
-- KEYS: 1 alert state hash, 2 alert stream (same slot)
-- ARGV: 1 fingerprint, 2 expected current revision, 3 alert JSON, 4 max stream length
-- Returns 1 when written, 0 when the revision moved on.
local rev = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':rev') or '0')
if rev ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':rev', rev + 1)
local maxlen = tonumber(ARGV[4])
if maxlen > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'alert', ARGV[3])
else
  redis.call('XADD', KEYS[2], '*', 'alert', ARGV[3])
end
return 1
