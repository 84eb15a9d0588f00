-- append.lua adds an entry to the audit chain if the chain's head is still
-- the one the entry links to (compare and set), and moves the head in the
-- same step. The hashes are computed by the caller: Lua in Redis has no
-- SHA-256, and the script only has to make sure that no two entries claim
-- the same predecessor.
--
-- KEYS: 1 head hash {<stream>}:head, 2 audit stream (same slot)
-- ARGV: 1 seq of the new entry, 2 its prev, 3 its hash, 4 its JSON,
--       5 the genesis hash (the prev of the first entry)
-- Returns {1, stream id} when appended, or {0, head seq, head hash} when
-- another writer moved the head first. Refuses to start a new chain over
-- entries whose head is gone, which would fork the log.
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq, hash = tonumber(head[1] or '0'), head[2]
if not hash then
  if redis.call('XLEN', KEYS[2]) > 0 then
    return redis.error_reply('QMAUDIT head missing: the log has entries but no head; run quartermaster audit verify')
  end
  hash = ARGV[5]
end
if seq + 1 ~= tonumber(ARGV[1]) or hash ~= ARGV[2] then
  return {0, seq, hash}
end
local id = redis.call('XADD', KEYS[2], '*', 'entry', ARGV[4])
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[3])
return {1, id}
