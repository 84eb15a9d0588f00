-- apply.lua applies validated SKU-site events to state, each exactly once.
--
-- One call applies many events, in order. Each event's id is recorded in
-- the same step as its change: a redelivered or duplicate event changes
-- nothing. A script runs atomically on one Redis Cluster slot, so on a
-- cluster the caller sends one position per call (its keys share the hash
-- tag {SKU@SITE}); on a single Redis one call may hold any positions.
--
-- KEYS: for each position of the call its 6 keys (pos, demand, shipped,
--       inbound, deltas, forecast), then the seen sets the events use
--       (Keys.Seen, one per position and event day).
-- ARGV: 1 seen ttl (s); then for each event: the index in KEYS of its
--       position's pos key, the index in KEYS of its seen set, event id,
--       type, occurred_at (unix ms), day (YYYY-MM-DD), the number n of
--       name/value pairs of its fields, then those 2n names and values.
-- Returns one entry per event, in order: 1 applied, 0 a duplicate, or an
-- error message (a string) for an event that was not applied and must be
-- retried. One event failing (a key of the wrong type, say) does not stop
-- the others.

local function fmt(x) return string.format('%.17g', x) end
local function hnum(key, field) return tonumber(redis.call('HGET', key, field) or '') end

-- A delta (receipt, adjustment, shipment) at or before the newest snapshot
-- (snap, its event time) is already inside it. Newer deltas are kept by
-- event time so a snapshot that arrives late can re-add the ones after it.
local maxDeltas = 10000
local function delta(pos, deltas, snap, id, t, d)
  if snap ~= nil and t <= snap then return end
  d = fmt(d)
  redis.call('ZADD', deltas, t, id .. '|' .. d)
  redis.call('HINCRBYFLOAT', pos, 'on_hand', d)
  if redis.call('ZCARD', deltas) > maxDeltas then
    redis.call('ZREMRANGEBYRANK', deltas, 0, 0)
  end
end

-- The latest word by event time wins for dates (promise, ETA).
local function latest(inbound, t, po, name, value)
  local prev = hnum(inbound, po .. '|' .. name .. '_t')
  if prev == nil or t >= prev then
    redis.call('HSET', inbound, po .. '|' .. name, value, po .. '|' .. name .. '_t', t)
  end
end

-- times caches, by position (the index of its pos key), the event times
-- of its newest snapshot and newest event: {snap, last}. Only this script
-- writes them while it runs, so each position is read once per call; a
-- failed event drops its position's entry, as it may have written.
local times = {}

-- apply applies one event whose position keys start at KEYS[k]. Redis does
-- not roll back the writes of a failed event (here or in a script that
-- fails as a whole), so the id is checked first and recorded last: a
-- failed apply is retried whole. The position's times are read before
-- anything is written, so a broken pos key fails the event untouched.
local function apply(k, seen, id, typ, t, day, a)
  local pos, demand, shipped, inbound, deltas, forecast =
    KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  if redis.call('SISMEMBER', seen, id) == 1 then return 0 end
  local tm = times[k]
  if tm == nil then
    local v = redis.call('HMGET', pos, 'snap_t', 'last_t')
    tm = {tonumber(v[1] or ''), tonumber(v[2] or '')}
    times[k] = tm
  end
  local snap = tm[1]

  if typ == 'inventory.snapshot' then
    if snap == nil or t >= snap then
      redis.call('ZREMRANGEBYSCORE', deltas, '-inf', t)
      local sum = 0
      for _, m in ipairs(redis.call('ZRANGE', deltas, 0, -1)) do
        sum = sum + tonumber(string.match(m, '|([^|]+)$'))
      end
      redis.call('HSET', pos, 'on_hand', fmt(tonumber(a.on_hand) + sum), 'snap_on_hand', a.on_hand,
        'allocated', a.allocated or '0', 'snap_t', t)
      tm[1] = t
    end
  elseif typ == 'inventory.adjusted' then
    delta(pos, deltas, snap, id, t, tonumber(a.qty))
  elseif typ == 'inventory.received' then
    delta(pos, deltas, snap, id, t, tonumber(a.qty))
    if a.po then
      redis.call('HINCRBYFLOAT', inbound, a.po .. '|received', a.qty)
      redis.call('HSET', inbound, a.po .. '|received_t', t)
    end
  elseif typ == 'order.created' then
    redis.call('HINCRBYFLOAT', demand, day, a.qty)
    -- Priority-1 customers' share of demand weighs in the impact score.
    if a.prio == '1' then redis.call('HINCRBYFLOAT', demand, 'p1|' .. day, a.qty) end
  elseif typ == 'order.shipped' then
    delta(pos, deltas, snap, id, t, -tonumber(a.qty))
    redis.call('HINCRBYFLOAT', shipped, day, a.qty)
  elseif typ == 'po.created' then
    redis.call('HSETNX', inbound, a.po .. '|qty', a.qty)
    redis.call('HSETNX', inbound, a.po .. '|supplier', a.supplier)
    redis.call('HSETNX', inbound, a.po .. '|created_t', t)
    if a.lane then redis.call('HSETNX', inbound, a.po .. '|lane', a.lane) end
    -- The promise the PO was raised with, for promise reliability.
    redis.call('HSET', inbound, a.po .. '|promised0', a.date)
    latest(inbound, t, a.po, 'promised', a.date)
  elseif typ == 'supplier.promise_changed' then
    latest(inbound, t, a.po, 'promised', a.date)
    if a.qty then latest(inbound, t, a.po, 'qty', a.qty) end
  elseif typ == 'shipment.dispatched' then
    redis.call('HSET', inbound, a.po .. '|shipment', a.shipment)
    if a.qty then redis.call('HSET', inbound, a.po .. '|shipment_qty', a.qty) end
    if a.carrier then redis.call('HSET', inbound, a.po .. '|carrier', a.carrier) end
    -- The carrier's first ETA and the dispatch time, for transit KPIs.
    redis.call('HSET', inbound, a.po .. '|eta0', a.date, a.po .. '|dispatched_t', t)
    latest(inbound, t, a.po, 'eta', a.date)
  elseif typ == 'shipment.delayed' then
    latest(inbound, t, a.po, 'eta', a.date)
  elseif typ == 'shipment.delivered' then
    redis.call('HSETNX', inbound, a.po .. '|delivered_t', t)
  elseif typ == 'forecast.updated' then
    local prev = hnum(forecast, 't')
    if prev == nil or t >= prev then
      redis.call('HSET', forecast, 'start', a.date, 'daily', a.daily, 'model', a.model or '', 't', t)
    end
  else
    error('apply.lua: unknown event type ' .. typ, 0)
  end

  if tm[2] == nil or t > tm[2] then
    redis.call('HSET', pos, 'last_t', t)
    tm[2] = t
  end
  redis.call('SADD', seen, id)
  return 1
end

-- message is the text of an error caught by pcall. Redis 7 raises a table
-- {err = ...} for a failed redis.call; older Redis and the embedded store
-- raise a string with the script position in front ("user_script:22:
-- WRONGTYPE ..."), which is cut so the error reads the same everywhere and
-- still starts with its kind. Lua's own errors (all lowercase) keep their
-- position.
local function message(e)
  if type(e) == 'table' and e.err then return tostring(e.err) end
  e = tostring(e)
  return string.match(e, '^[^:]*:%d+: (%u+ .*)$') or e
end

local ttl = tonumber(ARGV[1])
local out, touched, expire = {}, {}, {}
local i, argc = 2, #ARGV
while i <= argc do
  local seen, n = KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 6])
  local a = {}
  for j = i + 7, i + 6 + 2 * n, 2 do a[ARGV[j]] = ARGV[j + 1] end
  local ok, r = pcall(apply, tonumber(ARGV[i]), seen, ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4]), ARGV[i + 5], a)
  if not ok then
    r = message(r)
    times[tonumber(ARGV[i])] = nil
  elseif r == 1 and not touched[seen] then
    touched[seen] = true
    expire[#expire + 1] = seen
  end
  out[#out + 1] = r
  i = i + 7 + 2 * n
end

-- Each seen set the call added to lives for the dedupe window from now.
-- redis.pcall never raises, so nothing after an event's SADD can fail it.
if ttl > 0 then
  for _, key in ipairs(expire) do redis.pcall('EXPIRE', key, ttl) end
end
return out
