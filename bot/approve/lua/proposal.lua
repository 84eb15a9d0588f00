-- proposal.lua writes a proposal's new state if nobody changed it since
-- the caller read it (compare and set on its version), and in the same
-- step queues or settles the approved action. The rules are checked by
-- the caller; the script only makes sure that each decision is taken on
-- the state it was checked against, so two replicas approving at once
-- cannot both complete a proposal or both execute it.
--
-- KEYS: 1 proposal hash {<prefix>actions}:proposal:<id>,
--       2 actions stream <prefix>actions, 3 undelivered set
--       {<prefix>actions}:undelivered (all on the slot of <prefix>actions)
-- ARGV: 1 the version the caller read (0: the proposal must not exist),
--       2 the proposal's new JSON, 3 the proposal id,
--       4 "queue" to append ARGV[5] to the stream (field action) and mark
--       it undelivered, "done" to mark it delivered, "" for neither,
--       5 the approved action's JSON, 6 how long to keep the proposal
--       (ms; 0 keeps it until a later write sets a time)
-- Returns {1, stream entry id or ""} when written, {0, version} when the
-- proposal moved on first.
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then
  return {0, v}
end
redis.call('HSET', KEYS[1], 'v', v + 1, 'p', ARGV[2])
local id = ''
if ARGV[4] == 'queue' then
  id = redis.call('XADD', KEYS[2], '*', 'action', ARGV[5])
  redis.call('HSET', KEYS[1], 'entry', id)
  redis.call('SADD', KEYS[3], ARGV[3])
elseif ARGV[4] == 'done' then
  redis.call('SREM', KEYS[3], ARGV[3])
end
local keep = tonumber(ARGV[6])
if keep > 0 then
  redis.call('PEXPIRE', KEYS[1], keep)
else
  redis.call('PERSIST', KEYS[1])
end
return {1, id}
