-- quarantine.lua appends a refused event to the quarantine stream once per
-- source stream entry, so a redelivered batch does not quarantine twice.
--
-- KEYS: 1 quarantine stream, 2 set of quarantined source entry ids (same slot)
-- ARGV: 1 source entry id, 2 max stream length (0: unbounded), then field/value pairs
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
local args = {'XADD', KEYS[1]}
local maxlen = tonumber(ARGV[2])
if maxlen > 0 then
  table.insert(args, 'MAXLEN'); table.insert(args, '~'); table.insert(args, maxlen)
end
table.insert(args, '*')
for i = 3, #ARGV do table.insert(args, ARGV[i]) end
redis.call(unpack(args))
return 1
