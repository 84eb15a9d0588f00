-- apply.lua applies one validated SKU-site event to state, exactly once.
--
-- All keys share the SKU-site's hash tag, so the script is atomic and runs
-- on one Redis Cluster shard. The event id is recorded in the same step as
-- the state change: a redelivered or duplicate event changes nothing.
--
-- KEYS: 1 pos, 2 demand, 3 shipped, 4 inbound, 5 seen, 6 deltas, 7 forecast
-- ARGV: 1 event id, 2 type, 3 occurred_at (unix ms), 4 day (YYYY-MM-DD),
--       5 seen ttl (s), then name/value pairs of the event's fields.
-- Returns 1 when applied, 0 for a duplicate.
local pos, demand, shipped, inbound, seen, deltas, forecast =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, typ, t, day, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local a = {}
for i = 6, #ARGV, 2 do a[ARGV[i]] = ARGV[i + 1] end

-- Redis does not roll a script back when a command in it fails, so the id
-- is checked first and recorded last: a failed apply is retried whole.
if redis.call('SISMEMBER', seen, id) == 1 then return 0 end

local function fmt(x) return string.format('%.17g', x) end
local function hnum(key, field) return tonumber(redis.call('HGET', key, field) or '') end

-- A delta (receipt, adjustment, shipment) at or before the newest snapshot
-- is already inside it. Newer deltas are kept by event time so a snapshot
-- that arrives late can re-add the ones after it.
local maxDeltas = 10000
local function delta(d)
  local snap = hnum(pos, 'snap_t')
  if snap ~= nil and t <= snap then return end
  redis.call('ZADD', deltas, t, id .. '|' .. fmt(d))
  redis.call('HINCRBYFLOAT', pos, 'on_hand', fmt(d))
  if redis.call('ZCARD', deltas) > maxDeltas then
    redis.call('ZREMRANGEBYRANK', deltas, 0, 0)
  end
end

-- The latest word by event time wins for dates (promise, ETA).
local function latest(po, name, value)
  local prev = hnum(inbound, po .. '|' .. name .. '_t')
  if prev == nil or t >= prev then
    redis.call('HSET', inbound, po .. '|' .. name, value, po .. '|' .. name .. '_t', t)
  end
end

if typ == 'inventory.snapshot' then
  local snap = hnum(pos, 'snap_t')
  if snap == nil or t >= snap then
    redis.call('ZREMRANGEBYSCORE', deltas, '-inf', t)
    local sum = 0
    for _, m in ipairs(redis.call('ZRANGE', deltas, 0, -1)) do
      sum = sum + tonumber(string.match(m, '|([^|]+)$'))
    end
    redis.call('HSET', pos, 'on_hand', fmt(tonumber(a.on_hand) + sum), 'snap_on_hand', a.on_hand,
      'allocated', a.allocated or '0', 'snap_t', t)
  end
elseif typ == 'inventory.adjusted' then
  delta(tonumber(a.qty))
elseif typ == 'inventory.received' then
  delta(tonumber(a.qty))
  if a.po then
    redis.call('HINCRBYFLOAT', inbound, a.po .. '|received', a.qty)
    redis.call('HSET', inbound, a.po .. '|received_t', t)
  end
elseif typ == 'order.created' then
  redis.call('HINCRBYFLOAT', demand, day, a.qty)
elseif typ == 'order.shipped' then
  delta(-tonumber(a.qty))
  redis.call('HINCRBYFLOAT', shipped, day, a.qty)
elseif typ == 'po.created' then
  redis.call('HSETNX', inbound, a.po .. '|qty', a.qty)
  redis.call('HSETNX', inbound, a.po .. '|supplier', a.supplier)
  redis.call('HSETNX', inbound, a.po .. '|created_t', t)
  if a.lane then redis.call('HSETNX', inbound, a.po .. '|lane', a.lane) end
  latest(a.po, 'promised', a.date)
elseif typ == 'supplier.promise_changed' then
  latest(a.po, 'promised', a.date)
  if a.qty then latest(a.po, 'qty', a.qty) end
elseif typ == 'shipment.dispatched' then
  redis.call('HSET', inbound, a.po .. '|shipment', a.shipment)
  if a.qty then redis.call('HSET', inbound, a.po .. '|shipment_qty', a.qty) end
  if a.carrier then redis.call('HSET', inbound, a.po .. '|carrier', a.carrier) end
  latest(a.po, 'eta', a.date)
elseif typ == 'shipment.delayed' then
  latest(a.po, 'eta', a.date)
elseif typ == 'shipment.delivered' then
  redis.call('HSETNX', inbound, a.po .. '|delivered_t', t)
elseif typ == 'forecast.updated' then
  local prev = hnum(forecast, 't')
  if prev == nil or t >= prev then
    redis.call('HSET', forecast, 'start', a.date, 'daily', a.daily, 'model', a.model or '', 't', t)
  end
else
  return redis.error_reply('apply.lua: unknown event type ' .. typ)
end

local last = hnum(pos, 'last_t')
if last == nil or t > last then redis.call('HSET', pos, 'last_t', t) end
redis.call('SADD', seen, id)
if ttl > 0 then redis.call('EXPIRE', seen, ttl) end
return 1
