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
}

// Found is what Lookup resolved; a missing name is absent from its map.
type Found struct {
	SKUs      map[string]event.Event // master record by sku
	Sites     map[string]event.Event
	Suppliers map[string]bool
	POs       map[string]string // po -> "SKU@SITE"
	Shipments map[string]string // shipment -> po
}

// Empty reports whether no reference is asked for.
func (r Refs) Empty() bool {
	return len(r.SKUs)+len(r.Sites)+len(r.Suppliers)+len(r.POs)+len(r.Shipments) == 0
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
}

// Lookup resolves references in one round trip.
func (s *Store) Lookup(ctx context.Context, r Refs) (Found, error) {
	f := Found{SKUs: map[string]event.Event{}, Sites: map[string]event.Event{}, Suppliers: map[string]bool{},
		POs: map[string]string{}, Shipments: map[string]string{}}
	if r.Empty() {
		return f, nil
	}
	pipe := s.rdb.Pipeline()
	var skus, sites, sups, pos, shs *redis.SliceCmd
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
	if _, err := pipe.Exec(ctx); err != nil {
		return f, fmt.Errorf("look up references: %w", err)
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
}

// Result is the outcome of applying one Op.
type Result struct {
	Applied bool  // false: a duplicate event id, nothing changed
	Err     error // the op was not applied; it stays pending and is retried
}

// Apply applies ops in order, each atomically with its idempotency key, in
// one round trip. A script missing after a Redis restart is reloaded and
// the ops are sent again (the scripts are idempotent). The returned error
// is for the round trip as a whole; per-op failures are in the results.
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

func (s *Store) apply(ctx context.Context, ops []Op) ([]Result, error) {
	ttl := strconv.FormatInt(int64(s.opt.DedupeWindow/time.Second), 10)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(ops))
	for i, op := range ops {
		ev := &op.Event
		t := strconv.FormatInt(ev.OccurredAt.UnixMilli(), 10)
		day := ev.OccurredAt.Format(time.DateOnly)
		if kind, name, ok := masterRecord(ev); ok {
			val, err := json.Marshal(ev)
			if err != nil {
				return nil, fmt.Errorf("encode %s record %s: %w", kind, name, err)
			}
			cmds[i] = recordScript.EvalSha(ctx, pipe,
				[]string{s.keys.Master(kind), s.keys.MasterTime(kind), s.keys.MasterSeen(day)},
				ev.ID, name, t, val, ttl)
			continue
		}
		ss := op.SKUSite
		switch ev.Type {
		case event.POCreated:
			pipe.HSetNX(ctx, s.keys.POIndex(), ev.PO, ss)
		case event.ShipmentDispatched:
			pipe.HSetNX(ctx, s.keys.ShipmentIndex(), ev.Shipment, op.PO)
		}
		pipe.SAdd(ctx, s.keys.Positions(), ss)
		args := []any{ev.ID, string(ev.Type), t, day, ttl}
		args = append(args, opArgs(op)...)
		cmds[i] = applyScript.EvalSha(ctx, pipe,
			[]string{s.keys.Pos(ss), s.keys.Demand(ss), s.keys.Shipped(ss), s.keys.Inbound(ss),
				s.keys.Seen(ss, day), s.keys.Deltas(ss), s.keys.Forecast(ss)},
			args...)
	}
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		// Exec reports the first failed command; connection-level failures
		// leave every op unknown, so fail the whole round trip.
		if isNoScript(err) {
			return nil, err
		}
		var rerr redis.Error
		if !errors.As(err, &rerr) {
			return nil, fmt.Errorf("apply %d events: %w", len(ops), err)
		}
	}
	out := make([]Result, len(ops))
	for i, c := range cmds {
		n, err := c.Int()
		if err != nil {
			out[i].Err = fmt.Errorf("apply event %s: %w", ops[i].Event.ID, err)
			continue
		}
		out[i].Applied = n == 1
	}
	return out, nil
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

// opArgs are the name/value pairs apply.lua reads for an event's type.
func opArgs(op Op) []any {
	ev := &op.Event
	a := []any{}
	add := func(kv ...string) {
		for _, s := range kv {
			a = append(a, s)
		}
	}
	switch ev.Type {
	case event.InventorySnapshot:
		add("on_hand", ff(op.Qty), "allocated", ff(op.Alloc))
	case event.InventoryAdjusted, event.OrderCreated, event.OrderShipped:
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
	Created, Delivered, LastReceipt       time.Time
}

// Position is the validated state of one SKU-site.
type Position struct {
	SKUSite, SKU, Site string
	OnHand, Allocated  float64
	SnapshotAt         time.Time // event time of the newest snapshot
	LastEventAt        time.Time
	Demand             map[string]float64 // order.created quantity by day (YYYY-MM-DD)
	Shipped            map[string]float64
	POs                []PO
	SKUInfo, SiteInfo  *event.Event // master data, nil when missing
	Forecast           *Forecast
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
	p.Demand = nums(dem.Val())
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

// Positions lists every SKU-site that has state, sorted.
func (s *Store) Positions(ctx context.Context) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, s.keys.Positions()).Result()
	if err != nil {
		return nil, fmt.Errorf("list positions: %w", err)
	}
	sort.Strings(out)
	return out, nil
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
