package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// Master data kinds, as used in Keys.Master.
const (
	KindSKU      = "sku"
	KindSite     = "site"
	KindSupplier = "supplier"
	KindCustomer = "customer"
	KindAck      = "ack"
)

// Refs are the references a batch of events needs resolved.
type Refs struct {
	SKUs, Sites, Suppliers, POs, Shipments []string
	// Customers are optional references: an unknown customer is not an
	// error, its orders just carry no priority.
	Customers []string
}

// Found is what Lookup resolved; a missing name is absent from its map.
type Found struct {
	SKUs      map[string]event.Event // master record by sku
	Sites     map[string]event.Event
	Suppliers map[string]bool
	POs       map[string]string // po -> "SKU@SITE"
	Shipments map[string]string // shipment -> po
	Customers map[string]int    // customer -> priority (1 highest)
}

// NewFound returns an empty Found ready to fill.
func NewFound() Found {
	return Found{SKUs: map[string]event.Event{}, Sites: map[string]event.Event{}, Suppliers: map[string]bool{},
		POs: map[string]string{}, Shipments: map[string]string{}, Customers: map[string]int{}}
}

// Empty reports whether no reference is asked for.
func (r Refs) Empty() bool {
	return len(r.SKUs)+len(r.Sites)+len(r.Suppliers)+len(r.POs)+len(r.Shipments)+len(r.Customers) == 0
}

// Merge adds what o found to f.
func (f Found) Merge(o Found) {
	for k, v := range o.SKUs {
		f.SKUs[k] = v
	}
	for k, v := range o.Sites {
		f.Sites[k] = v
	}
	for k := range o.Suppliers {
		f.Suppliers[k] = true
	}
	for k, v := range o.POs {
		f.POs[k] = v
	}
	for k, v := range o.Shipments {
		f.Shipments[k] = v
	}
	for k, v := range o.Customers {
		f.Customers[k] = v
	}
}

// Lookup resolves references in one round trip.
func (s *Store) Lookup(ctx context.Context, r Refs) (Found, error) {
	f := NewFound()
	if r.Empty() {
		return f, nil
	}
	pipe := s.rdb.Pipeline()
	var skus, sites, sups, pos, shs, custs *redis.SliceCmd
	if len(r.SKUs) > 0 {
		skus = pipe.HMGet(ctx, s.keys.Master(KindSKU), r.SKUs...)
	}
	if len(r.Sites) > 0 {
		sites = pipe.HMGet(ctx, s.keys.Master(KindSite), r.Sites...)
	}
	if len(r.Suppliers) > 0 {
		sups = pipe.HMGet(ctx, s.keys.Master(KindSupplier), r.Suppliers...)
	}
	if len(r.POs) > 0 {
		pos = pipe.HMGet(ctx, s.keys.POIndex(), r.POs...)
	}
	if len(r.Shipments) > 0 {
		shs = pipe.HMGet(ctx, s.keys.ShipmentIndex(), r.Shipments...)
	}
	if len(r.Customers) > 0 {
		custs = pipe.HMGet(ctx, s.keys.Master(KindCustomer), r.Customers...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return f, fmt.Errorf("look up references: %w", err)
	}
	for i, v := range values(custs) {
		if ev, ok := decodeRecord(v); ok {
			f.Customers[r.Customers[i]] = ev.Priority
		}
	}
	for i, v := range values(skus) {
		if ev, ok := decodeRecord(v); ok {
			f.SKUs[r.SKUs[i]] = ev
		}
	}
	for i, v := range values(sites) {
		if ev, ok := decodeRecord(v); ok {
			f.Sites[r.Sites[i]] = ev
		}
	}
	for i, v := range values(sups) {
		if v != nil {
			f.Suppliers[r.Suppliers[i]] = true
		}
	}
	for i, v := range values(pos) {
		if s, ok := v.(string); ok {
			f.POs[r.POs[i]] = s
		}
	}
	for i, v := range values(shs) {
		if s, ok := v.(string); ok {
			f.Shipments[r.Shipments[i]] = s
		}
	}
	return f, nil
}

func values(c *redis.SliceCmd) []any {
	if c == nil {
		return nil
	}
	return c.Val()
}

func decodeRecord(v any) (event.Event, bool) {
	s, ok := v.(string)
	if !ok {
		return event.Event{}, false
	}
	var ev event.Event
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		return event.Event{}, false
	}
	return ev, true
}

// Op is one validated event, resolved and ready to apply.
type Op struct {
	Event   event.Event
	SKUSite string  // the stock position it changes; "" for master data and acks
	PO      string  // the purchase order, resolved for shipment events
	Qty     float64 // the event's quantity in eaches (delta for adjustments, on-hand for snapshots)
	Alloc   float64 // allocated, in eaches, for snapshots
	Prio    int     // for orders: the customer's priority, 0 when unknown
}

// Result is the outcome of applying one Op.
type Result struct {
	Applied bool  // false: a duplicate event id, nothing changed
	Err     error // the op was not applied; it stays pending and is retried
}

// applyBatch is the most events one script call applies. What a call
// costs whatever its size (a new Lua interpreter per call on the embedded
// store, about 250µs; far less on Redis) is shared out by 128 events until
// it no longer shows, and larger calls gained nothing in BenchmarkApply.
// A script blocks every other client of the server while it runs, so
// calls stay short: 128 events take about 2ms of Lua on our 2-core test
// machine, 256 twice that.
const applyBatch = 128

// Apply applies ops, each atomically with its idempotency key, in one
// round trip, and returns one Result per op, in op order. Many ops share
// one script call (see batches); each is still applied or refused on its
// own, so an op that fails (on a key of the wrong type, say) fails alone
// and the others of its call apply. Ops of one position are applied in op
// order. A script missing after a Redis restart is reloaded and the ops
// are sent again (the scripts are idempotent). The returned error is for
// the round trip as a whole; per-op failures are in the results.
func (s *Store) Apply(ctx context.Context, ops []Op) ([]Result, error) {
	res, err := s.apply(ctx, ops)
	if err != nil && isNoScript(err) {
		if err := s.LoadScripts(ctx); err != nil {
			return nil, err
		}
		res, err = s.apply(ctx, ops)
	}
	return res, err
}

func isNoScript(err error) bool {
	return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT")
}

// scriptCall is one script call of a pipeline and the ops it applies, by
// index in the ops given to Apply, in the order it applies them.
type scriptCall struct {
	cmd *redis.Cmd
	ops []int
}

// scriptError is the error one event met inside a script call. Like the
// server's own error replies it is a redis.Error, so redis.HasErrorPrefix
// tells its kind (WRONGTYPE, OOM, ...) as it did when each event had a call
// of its own.
type scriptError string

func (e scriptError) Error() string { return string(e) }

// RedisError marks scriptError as a redis.Error.
func (scriptError) RedisError() {}

func (s *Store) apply(ctx context.Context, ops []Op) ([]Result, error) {
	ttl := strconv.FormatInt(int64(s.opt.DedupeWindow/time.Second), 10)
	pipe := s.rdb.Pipeline()
	var records, positions []int
	var members []any // positions for the index, each once
	known := map[string]bool{}
	for i := range ops {
		op := &ops[i]
		if _, _, ok := masterRecord(&op.Event); ok {
			records = append(records, i)
			continue
		}
		switch op.Event.Type {
		case event.POCreated:
			pipe.HSetNX(ctx, s.keys.POIndex(), op.Event.PO, op.SKUSite)
		case event.ShipmentDispatched:
			pipe.HSetNX(ctx, s.keys.ShipmentIndex(), op.Event.Shipment, op.PO)
		}
		if !known[op.SKUSite] {
			known[op.SKUSite] = true
			members = append(members, op.SKUSite)
		}
		positions = append(positions, i)
	}
	if len(members) > 0 {
		pipe.SAdd(ctx, s.keys.Positions(), members...)
		for _, m := range members {
			sku, site := SplitSKUSite(m.(string))
			pipe.SAdd(ctx, s.keys.SKUSites(sku), site)
		}
	}
	var calls []scriptCall
	// Master data all lives under the hash tag {md}: one slot, even on a
	// cluster.
	for _, b := range chunks(records, applyBatch) {
		c, err := s.recordCall(ctx, pipe, ops, b, ttl)
		if err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	for _, b := range s.batches(ops, positions) {
		calls = append(calls, s.applyCall(ctx, pipe, ops, b, ttl))
	}
	if len(calls) == 0 {
		return []Result{}, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		// Exec reports the first failed command. A reply from the server
		// is that command's own; anything else (a connection failure)
		// leaves every op unknown, so the whole round trip fails.
		var rerr redis.Error
		if !errors.As(err, &rerr) {
			return nil, fmt.Errorf("apply %d events: %w", len(ops), err)
		}
	}
	out := make([]Result, len(ops))
	for _, c := range calls {
		// Not only the first error: an index write may have failed before.
		if err := c.cmd.Err(); isNoScript(err) {
			return nil, err
		}
		c.results(ops, out)
	}
	return out, nil
}

// batches splits the position ops (indexes into ops, in order) into script
// calls of at most applyBatch ops, each call and the calls of a position
// in op order. On a single Redis (a *redis.Client, which a Sentinel
// failover client also is) any ops may share a call. Anywhere else (Redis
// Cluster, a Ring) every key of a call must be on one slot, so a call
// holds the ops of one position: its keys share the hash tag {SKU@SITE}.
// Grouping by slot instead would rarely gain anything: k positions spread
// over 16384 slots share one about k²/32768 times (once in a batch over
// 200 positions), and it would tie Apply to the server's hashing of key
// names, which go-redis does not export.
func (s *Store) batches(ops []Op, idx []int) [][]int {
	if _, single := s.rdb.(*redis.Client); single {
		return chunks(idx, applyBatch)
	}
	var order []string
	by := map[string][]int{}
	for _, i := range idx {
		ss := ops[i].SKUSite
		if _, ok := by[ss]; !ok {
			order = append(order, ss)
		}
		by[ss] = append(by[ss], i)
	}
	var out [][]int
	for _, ss := range order {
		out = append(out, chunks(by[ss], applyBatch)...)
	}
	return out
}

// chunks cuts idx into consecutive runs of at most n.
func chunks(idx []int, n int) [][]int {
	var out [][]int
	for len(idx) > 0 {
		k := min(n, len(idx))
		out = append(out, idx[:k:k])
		idx = idx[k:]
	}
	return out
}

// keyIndex numbers a call's keys for its script: the keys of each group
// (a position, a kind of record) first, then the seen sets. Group indexes
// are 1-based, as Lua's KEYS; a seen set is numbered among the seen sets
// until done says where they start.
type keyIndex struct {
	keys   []string
	groups map[string]int // group name -> index of its first key
	seen   map[string]int // seen set -> its number among the seen sets
	order  []string       // the seen sets, in number order
}

func newKeyIndex() *keyIndex {
	return &keyIndex{groups: map[string]int{}, seen: map[string]int{}}
}

// group returns the index of the first key of group name, adding its keys
// (made by keys) when it is new.
func (k *keyIndex) group(name string, keys func() []string) int {
	if at, ok := k.groups[name]; ok {
		return at
	}
	at := len(k.keys) + 1
	k.groups[name] = at
	k.keys = append(k.keys, keys()...)
	return at
}

// seenSet returns the number of a seen set among the seen sets.
func (k *keyIndex) seenSet(key string) int {
	if n, ok := k.seen[key]; ok {
		return n
	}
	n := len(k.order)
	k.seen[key] = n
	k.order = append(k.order, key)
	return n
}

// done appends the seen sets after the groups' keys and returns all keys
// and the index of the first seen set.
func (k *keyIndex) done() (keys []string, seenBase int) {
	seenBase = len(k.keys) + 1
	return append(k.keys, k.order...), seenBase
}

// applyCall adds one apply.lua call for the position ops idx to pipe.
func (s *Store) applyCall(ctx context.Context, pipe redis.Pipeliner, ops []Op, idx []int, ttl string) scriptCall {
	ki := newKeyIndex()
	pos := make([]int, len(idx))
	seen := make([]int, len(idx))
	days := make([]string, len(idx))
	for j, i := range idx {
		ss := ops[i].SKUSite
		pos[j] = ki.group(ss, func() []string {
			return []string{s.keys.Pos(ss), s.keys.Demand(ss), s.keys.Shipped(ss), s.keys.Inbound(ss),
				s.keys.Deltas(ss), s.keys.Forecast(ss)}
		})
		days[j] = ops[i].Event.OccurredAt.Format(time.DateOnly)
		seen[j] = ki.seenSet(s.keys.Seen(ss, days[j]))
	}
	keys, seenBase := ki.done()
	args := make([]any, 1, 1+len(idx)*16)
	args[0] = ttl
	for j, i := range idx {
		op := &ops[i]
		ev := &op.Event
		args = append(args, pos[j], seenBase+seen[j], ev.ID, string(ev.Type), ms(ev.OccurredAt), days[j], 0)
		n := len(args) - 1
		args = opArgs(args, op)
		args[n] = (len(args) - n - 1) / 2
	}
	return scriptCall{cmd: applyScript.EvalSha(ctx, pipe, keys, args...), ops: idx}
}

// recordCall adds one record.lua call for the master data and
// acknowledgement ops idx to pipe.
func (s *Store) recordCall(ctx context.Context, pipe redis.Pipeliner, ops []Op, idx []int, ttl string) (scriptCall, error) {
	ki := newKeyIndex()
	rec := make([]int, len(idx))
	seen := make([]int, len(idx))
	for j, i := range idx {
		ev := &ops[i].Event
		kind, _, _ := masterRecord(ev)
		rec[j] = ki.group(kind, func() []string { return []string{s.keys.Master(kind), s.keys.MasterTime(kind)} })
		seen[j] = ki.seenSet(s.keys.MasterSeen(ev.OccurredAt.Format(time.DateOnly)))
	}
	keys, seenBase := ki.done()
	args := make([]any, 1, 1+len(idx)*6)
	args[0] = ttl
	for j, i := range idx {
		ev := &ops[i].Event
		kind, name, _ := masterRecord(ev)
		val, err := json.Marshal(ev)
		if err != nil {
			return scriptCall{}, fmt.Errorf("encode %s record %s: %w", kind, name, err)
		}
		args = append(args, rec[j], seenBase+seen[j], ev.ID, name, ms(ev.OccurredAt), val)
	}
	return scriptCall{cmd: recordScript.EvalSha(ctx, pipe, keys, args...), ops: idx}, nil
}

// results reads the call's reply, one entry per op, into out.
func (c scriptCall) results(ops []Op, out []Result) {
	vals, err := c.cmd.Slice()
	if err == nil && len(vals) != len(c.ops) {
		err = fmt.Errorf("script answered %d results for %d events", len(vals), len(c.ops))
	}
	for j, i := range c.ops {
		id := ops[i].Event.ID
		if err != nil {
			out[i].Err = fmt.Errorf("apply event %s: %w", id, err)
			continue
		}
		switch v := vals[j].(type) {
		case int64:
			out[i].Applied = v == 1
		case string:
			out[i].Err = fmt.Errorf("apply event %s: %w", id, scriptError(v))
		default:
			out[i].Err = fmt.Errorf("apply event %s: unexpected script result %v", id, v)
		}
	}
}

// masterRecord says which record an event keeps, if it is one.
func masterRecord(ev *event.Event) (kind, name string, ok bool) {
	switch ev.Type {
	case event.MasterSKU:
		return KindSKU, ev.SKU, true
	case event.MasterSite:
		return KindSite, ev.Site, true
	case event.MasterSupplier:
		return KindSupplier, ev.Supplier, true
	case event.MasterCustomer:
		return KindCustomer, ev.Customer, true
	case event.ExceptionAcknowledged:
		return KindAck, ev.Alert, true
	}
	return "", "", false
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// opArgs appends to a the name/value pairs apply.lua reads for an
// event's type.
func opArgs(a []any, op *Op) []any {
	ev := &op.Event
	add := func(kv ...string) {
		for _, s := range kv {
			a = append(a, s)
		}
	}
	switch ev.Type {
	case event.InventorySnapshot:
		add("on_hand", ff(op.Qty), "allocated", ff(op.Alloc))
	case event.OrderCreated:
		add("qty", ff(op.Qty))
		if op.Prio > 0 {
			add("prio", strconv.Itoa(op.Prio))
		}
	case event.InventoryAdjusted, event.OrderShipped:
		add("qty", ff(op.Qty))
	case event.InventoryReceived:
		add("qty", ff(op.Qty))
		if ev.PO != "" {
			add("po", ev.PO)
		}
	case event.POCreated:
		add("po", ev.PO, "supplier", ev.Supplier, "qty", ff(op.Qty), "date", ms(ev.PromisedAt))
		if ev.Lane != "" {
			add("lane", ev.Lane)
		}
	case event.PromiseChanged:
		add("po", ev.PO, "date", ms(ev.PromisedAt))
		if ev.Qty != nil {
			add("qty", ff(op.Qty))
		}
	case event.ShipmentDispatched:
		add("po", op.PO, "shipment", ev.Shipment, "date", ms(ev.ETA))
		if ev.Qty != nil {
			add("qty", ff(op.Qty))
		}
		if ev.Carrier != "" {
			add("carrier", ev.Carrier)
		}
	case event.ShipmentDelayed:
		add("po", op.PO, "date", ms(ev.ETA))
	case event.ShipmentDelivered:
		add("po", op.PO)
	case event.ForecastUpdated:
		daily, _ := json.Marshal(ev.Daily)
		add("date", ms(ev.Start), "daily", string(daily), "model", ev.Model)
	}
	return a
}

// PO is an open or closed purchase order of a position, with the latest
// dates by event time.
type PO struct {
	ID, Supplier, Lane, Shipment, Carrier string
	Qty, Received, ShipmentQty            float64
	Promised, ETA                         time.Time // zero when unknown
	PromisedAt, ETAAt                     time.Time // event time of the word each date rests on
	FirstPromised, FirstETA               time.Time // the promise the PO was raised with; the carrier's first ETA
	Created, Dispatched                   time.Time // event times of po.created and shipment.dispatched
	Delivered, LastReceipt                time.Time
}

// Position is the validated state of one SKU-site.
type Position struct {
	SKUSite, SKU, Site string
	OnHand, Allocated  float64
	SnapshotAt         time.Time // event time of the newest snapshot
	LastEventAt        time.Time
	Demand             map[string]float64 // order.created quantity by day (YYYY-MM-DD)
	// DemandP1 is the part of Demand ordered by priority-1 customers.
	DemandP1          map[string]float64
	Shipped           map[string]float64
	POs               []PO
	SKUInfo, SiteInfo *event.Event // master data, nil when missing
	Forecast          *Forecast
}

// Forecast is the newest external forecast.updated for a position.
type Forecast struct {
	Start time.Time
	Daily []float64
	Model string
}

// Position reads one SKU-site's state in one round trip.
func (s *Store) Position(ctx context.Context, ss string) (Position, error) {
	sku, site := SplitSKUSite(ss)
	p := Position{SKUSite: ss, SKU: sku, Site: site}
	pipe := s.rdb.Pipeline()
	pos := pipe.HGetAll(ctx, s.keys.Pos(ss))
	dem := pipe.HGetAll(ctx, s.keys.Demand(ss))
	shp := pipe.HGetAll(ctx, s.keys.Shipped(ss))
	inb := pipe.HGetAll(ctx, s.keys.Inbound(ss))
	fc := pipe.HGetAll(ctx, s.keys.Forecast(ss))
	skuRec := pipe.HGet(ctx, s.keys.Master(KindSKU), sku)
	siteRec := pipe.HGet(ctx, s.keys.Master(KindSite), site)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return p, fmt.Errorf("read position %s: %w", ss, err)
	}
	m := pos.Val()
	p.OnHand = num(m["on_hand"])
	p.Allocated = num(m["allocated"])
	p.SnapshotAt = msTime(m["snap_t"])
	p.LastEventAt = msTime(m["last_t"])
	p.Demand, p.DemandP1 = splitDemand(dem.Val())
	p.Shipped = nums(shp.Val())
	p.POs = parsePOs(inb.Val())
	if ev, ok := decodeRecord(skuRec.Val()); ok {
		p.SKUInfo = &ev
	}
	if ev, ok := decodeRecord(siteRec.Val()); ok {
		p.SiteInfo = &ev
	}
	if f := fc.Val(); len(f) > 0 {
		var daily []float64
		if err := json.Unmarshal([]byte(f["daily"]), &daily); err == nil {
			p.Forecast = &Forecast{Start: msTime(f["start"]), Daily: daily, Model: f["model"]}
		}
	}
	return p, nil
}

// SitesOf lists the sites where sku has state, sorted.
func (s *Store) SitesOf(ctx context.Context, sku string) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, s.keys.SKUSites(sku)).Result()
	if err != nil {
		return nil, fmt.Errorf("list sites of %s: %w", sku, err)
	}
	sort.Strings(out)
	return out, nil
}

// Positions lists every SKU-site that has state, sorted.
func (s *Store) Positions(ctx context.Context) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, s.keys.Positions()).Result()
	if err != nil {
		return nil, fmt.Errorf("list positions: %w", err)
	}
	sort.Strings(out)
	return out, nil
}

// demandP1 prefixes the fields of the demand hash that count priority-1
// customers' orders; the rest are days.
const demandP1 = "p1|"

func splitDemand(m map[string]string) (all, p1 map[string]float64) {
	all, p1 = make(map[string]float64, len(m)), map[string]float64{}
	for k, v := range m {
		if day, ok := strings.CutPrefix(k, demandP1); ok {
			p1[day] = num(v)
		} else {
			all[k] = num(v)
		}
	}
	return all, p1
}

func num(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func nums(m map[string]string) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = num(v)
	}
	return out
}

func msTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// parsePOs turns the inbound hash (fields "PO|name") into POs sorted by id.
func parsePOs(m map[string]string) []PO {
	byID := map[string]*PO{}
	for k, v := range m {
		id, name, ok := strings.Cut(k, "|")
		if !ok {
			continue
		}
		po := byID[id]
		if po == nil {
			po = &PO{ID: id}
			byID[id] = po
		}
		switch name {
		case "qty":
			po.Qty = num(v)
		case "supplier":
			po.Supplier = v
		case "lane":
			po.Lane = v
		case "shipment":
			po.Shipment = v
		case "carrier":
			po.Carrier = v
		case "shipment_qty":
			po.ShipmentQty = num(v)
		case "received":
			po.Received = num(v)
		case "promised":
			po.Promised = msTime(v)
		case "promised_t":
			po.PromisedAt = msTime(v)
		case "eta":
			po.ETA = msTime(v)
		case "eta_t":
			po.ETAAt = msTime(v)
		case "created_t":
			po.Created = msTime(v)
		case "promised0":
			po.FirstPromised = msTime(v)
		case "eta0":
			po.FirstETA = msTime(v)
		case "dispatched_t":
			po.Dispatched = msTime(v)
		case "delivered_t":
			po.Delivered = msTime(v)
		case "received_t":
			po.LastReceipt = msTime(v)
		}
	}
	out := make([]PO, 0, len(byID))
	for _, po := range byID {
		out = append(out, *po)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
