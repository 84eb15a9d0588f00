-- record.lua keeps the newest version, by event time, of records keyed by
-- name (master data, acknowledgements), exactly once per event id. One call
-- applies many events, in order; all its keys share the hash tag {md}.
--
-- KEYS: for each kind of record in the call its records hash and its
--       event-time hash, then the seen sets the events use.
-- ARGV: 1 seen ttl (s); then for each event: the index in KEYS of its
--       records hash, the index in KEYS of its seen set, event id, record
--       name, occurred_at (unix ms), value.
-- Returns one entry per event, in order: 1 applied, 0 a duplicate, or an
-- error message (a string) for an event that was not applied and must be
-- retried.

-- record applies one event. The id is checked first and recorded last, so
-- a failed event (whose writes Redis does not roll back) is retried whole.
local function record(records, times, seen, id, name, t, value)
  if redis.call('SISMEMBER', seen, id) == 1 then return 0 end
  local prev = tonumber(redis.call('HGET', times, name) or '')
  if prev == nil or tonumber(t) >= prev then
    redis.call('HSET', records, name, value)
    redis.call('HSET', times, name, t)
  end
  redis.call('SADD', seen, id)
  return 1
end

-- message is the text of an error caught by pcall, as in apply.lua.
local function message(e)
  if type(e) == 'table' and e.err then return tostring(e.err) end
  e = tostring(e)
  return string.match(e, '^[^:]*:%d+: (%u+ .*)$') or e
end

local ttl = tonumber(ARGV[1])
local out, touched, expire = {}, {}, {}
for i = 2, #ARGV, 6 do
  local k, seen = tonumber(ARGV[i]), KEYS[tonumber(ARGV[i + 1])]
  local ok, r = pcall(record, KEYS[k], KEYS[k + 1], seen, ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
  if not ok then
    r = message(r)
  elseif r == 1 and not touched[seen] then
    touched[seen] = true
    expire[#expire + 1] = seen
  end
  out[#out + 1] = r
end
if ttl > 0 then
  for _, key in ipairs(expire) do redis.pcall('EXPIRE', key, ttl) end
end
return out
