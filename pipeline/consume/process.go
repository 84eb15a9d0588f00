// Package consume turns the raw event stream into validated state: it reads
// qm:events in a consumer group, decodes and validates each entry, resolves
// its references, applies it exactly once and acknowledges it only after
// the state change (or its quarantine record) is durable in Redis.
package consume

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Outcome is what processing a batch decided, entry by entry.
type Outcome struct {
	Done       []string            // entries applied or found duplicate: acknowledge them
	Quarantine []store.Quarantined // entries refused: quarantine, then acknowledge
	Failed     []string            // entries whose apply failed: leave pending, retried later
	Deferred   []string            // entries whose reference may yet arrive from another replica: retried later
	Touched    map[string][]string // SKU-site -> ids of the events applied to it, in order
	Acks       []event.Event       // exception.acknowledged events applied
	Applied    map[event.Type]int
	Duplicates int
}

// Processor validates, resolves and applies batches of stream entries. It
// is shared by the live consumer and by replay, so both build the same
// state from the same entries.
type Processor struct {
	st       *store.Store
	consumer string
	now      func() time.Time

	mu    sync.Mutex
	cache refCache
}

// NewProcessor returns a Processor writing through st. consumer names the
// consumer in quarantine records; now stamps them.
func NewProcessor(st *store.Store, consumer string, now func() time.Time) *Processor {
	return &Processor{st: st, consumer: consumer, now: now, cache: newRefCache()}
}

type item struct {
	entry store.Entry
	ev    event.Event
	err   *event.Error
}

// Batch is a batch of entries decoded and resolved, ready to commit.
type Batch struct {
	entries    []store.Entry
	items      []item
	ops        []store.Op
	opItem     []int // the item of each op
	quarantine []store.Quarantined
}

// Len is the number of entries in the batch.
func (b *Batch) Len() int { return len(b.entries) }

// Process handles one batch in stream order: Prepare, then Commit. An
// error means nothing was decided for the batch (Redis unreachable, say);
// retry it whole.
func (p *Processor) Process(ctx context.Context, entries []store.Entry) (Outcome, error) {
	b, err := p.Prepare(ctx, entries)
	if err != nil {
		return Outcome{}, err
	}
	return p.Commit(ctx, b)
}

// Prepare decodes and validates a batch and resolves its references, but
// applies nothing. The next batch may be prepared while this one commits:
// what this batch establishes (a SKU, a PO) is remembered now, so the next
// one resolves against it. Should the commit then fail, the event that
// established it stays pending and is applied on retry; a later event
// applied meanwhile is not undone.
func (p *Processor) Prepare(ctx context.Context, entries []store.Entry) (*Batch, error) {
	b := &Batch{entries: entries, items: make([]item, len(entries))}
	for i, e := range entries {
		b.items[i].entry = e
		if e.Body == nil {
			b.items[i].err = &event.Error{Reason: event.ReasonInvalidJSON, Field: store.EventField, Detail: "stream entry has no event field"}
			continue
		}
		ev, err := event.Decode(e.Body, e.Arrived)
		if err != nil {
			b.items[i].err = err.(*event.Error)
			continue
		}
		b.items[i].ev = ev
	}

	found, err := p.lookup(ctx, b.items)
	if err != nil {
		return nil, err
	}
	for i := range b.items {
		it := &b.items[i]
		if it.err == nil {
			op, rerr := resolve(&it.ev, found)
			if rerr == nil {
				learn(&it.ev, op, found)
				b.ops = append(b.ops, op)
				b.opItem = append(b.opItem, i)
				continue
			}
			it.err = rerr
		}
		b.quarantine = append(b.quarantine, p.quarantined(it))
	}
	p.mu.Lock()
	for j, i := range b.opItem {
		p.cache.remember(&b.items[i].ev, b.ops[j])
	}
	p.mu.Unlock()
	return b, nil
}

// Commit applies a prepared batch and says what became of each entry.
func (p *Processor) Commit(ctx context.Context, b *Batch) (Outcome, error) {
	out := Outcome{Touched: map[string][]string{}, Applied: map[event.Type]int{}, Quarantine: b.quarantine}
	results, err := p.st.Apply(ctx, b.ops)
	if err != nil {
		return out, err
	}
	for j, r := range results {
		it := &b.items[b.opItem[j]]
		switch {
		case r.Err != nil:
			out.Failed = append(out.Failed, it.entry.ID)
		case !r.Applied:
			out.Duplicates++
			out.Done = append(out.Done, it.entry.ID)
		default:
			out.Applied[it.ev.Type]++
			out.Done = append(out.Done, it.entry.ID)
			if ss := b.ops[j].SKUSite; ss != "" {
				out.Touched[ss] = append(out.Touched[ss], it.ev.ID)
			}
			if it.ev.Type == event.ExceptionAcknowledged {
				out.Acks = append(out.Acks, it.ev)
			}
		}
	}
	return out, nil
}

func (p *Processor) quarantined(it *item) store.Quarantined {
	return store.Quarantined{
		Entry: it.entry.ID, Reason: string(it.err.Reason), Field: it.err.Field, Detail: it.err.Detail,
		Raw: it.entry.Body, At: p.now(), Consumer: p.consumer, Source: itemSource(it),
	}
}

// lookup resolves every reference the batch names: from the cache when it
// holds them, the rest from Redis. References found through others (the PO
// of a shipment, the SKU of a PO for case quantities) take a second round
// trip, only when the cache misses them.
func (p *Processor) lookup(ctx context.Context, items []item) (store.Found, error) {
	found := store.NewFound()
	asked := map[string]bool{}
	for range 3 {
		p.mu.Lock()
		need := p.missing(items, found, asked)
		p.mu.Unlock()
		if need.Empty() {
			break
		}
		got, err := p.st.Lookup(ctx, need)
		if err != nil {
			return found, err
		}
		p.mu.Lock()
		p.cache.fill(got)
		p.mu.Unlock()
		found.Merge(got)
	}
	return found, nil
}

// missing lists the references of items that neither found nor the cache
// holds and that were not asked for before (asked ones do not exist).
func (p *Processor) missing(items []item, found store.Found, asked map[string]bool) store.Refs {
	var need store.Refs
	add := func(list *[]string, kind, name string) {
		key := kind + "\x00" + name
		if name == "" || asked[key] {
			return
		}
		asked[key] = true
		if !p.cache.get(kind, name, found) {
			*list = append(*list, name)
		}
	}
	for i := range items {
		if items[i].err != nil {
			continue
		}
		ev := &items[i].ev
		add(&need.SKUs, store.KindSKU, ev.SKU)
		add(&need.Sites, store.KindSite, ev.Site)
		if ev.Type == event.POCreated {
			add(&need.Suppliers, store.KindSupplier, ev.Supplier)
		}
		if ev.Type == event.OrderCreated {
			add(&need.Customers, store.KindCustomer, ev.Customer)
		}
		add(&need.POs, "po", ev.PO)
		add(&need.Shipments, "shipment", ev.Shipment)
		po := ev.PO
		if po == "" {
			po = found.Shipments[ev.Shipment]
		}
		add(&need.POs, "po", po)
		if ev.UOM == event.UOMCase && ev.SKU == "" {
			if ss, ok := found.POs[po]; ok {
				sku, _ := store.SplitSKUSite(ss)
				add(&need.SKUs, store.KindSKU, sku)
			}
		}
	}
	return need
}

// resolve checks an event's references against what is known and builds
// the op that applies it.
func resolve(ev *event.Event, f store.Found) (store.Op, *event.Error) {
	op := store.Op{Event: *ev}
	if isMaster(ev.Type) {
		return op, nil
	}
	needPos := func() *event.Error {
		if _, ok := f.SKUs[ev.SKU]; !ok {
			return &event.Error{Reason: event.ReasonUnknownSKU, Field: "sku", Detail: fmt.Sprintf("no masterdata.sku for %q", ev.SKU)}
		}
		if _, ok := f.Sites[ev.Site]; !ok {
			return &event.Error{Reason: event.ReasonUnknownSite, Field: "site", Detail: fmt.Sprintf("no masterdata.site for %q", ev.Site)}
		}
		op.SKUSite = ev.SKUSite()
		return nil
	}
	needPO := func(po string) *event.Error {
		ss, ok := f.POs[po]
		if !ok {
			return &event.Error{Reason: event.ReasonUnknownPO, Field: "po", Detail: fmt.Sprintf("no po.created for %q", po)}
		}
		op.PO = po
		if op.SKUSite == "" {
			op.SKUSite = ss
		}
		return nil
	}
	var err *event.Error
	switch ev.Type {
	case event.InventorySnapshot, event.InventoryAdjusted, event.OrderCreated, event.OrderShipped, event.ForecastUpdated:
		err = needPos()
	case event.InventoryReceived:
		err = needPos()
		if err == nil && ev.PO != "" {
			err = needPO(ev.PO)
			op.SKUSite = ev.SKUSite() // the receipt is where the goods landed
		}
	case event.POCreated:
		err = needPos()
		if err == nil && !f.Suppliers[ev.Supplier] {
			err = &event.Error{Reason: event.ReasonUnknownSupplier, Field: "supplier", Detail: fmt.Sprintf("no masterdata.supplier for %q", ev.Supplier)}
		}
	case event.PromiseChanged, event.ShipmentDispatched:
		err = needPO(ev.PO)
	case event.ShipmentDelayed, event.ShipmentDelivered:
		po, ok := f.Shipments[ev.Shipment]
		if !ok {
			return op, &event.Error{Reason: event.ReasonUnknownShipment, Field: "shipment", Detail: fmt.Sprintf("no shipment.dispatched for %q", ev.Shipment)}
		}
		err = needPO(po)
	default:
		return op, &event.Error{Reason: event.ReasonUnknownType, Field: "type", Detail: string(ev.Type)}
	}
	if err != nil {
		return op, err
	}
	if ev.Type == event.OrderCreated {
		op.Prio = f.Customers[ev.Customer]
	}
	return op, quantities(ev, &op, f)
}

// quantities converts the event's quantities to eaches.
func quantities(ev *event.Event, op *store.Op, f store.Found) *event.Error {
	factor := 1.0
	if ev.UOM == event.UOMCase {
		sku, ok := f.SKUs[ev.SKU]
		if !ok && op.SKUSite != "" {
			s, _ := store.SplitSKUSite(op.SKUSite)
			sku, ok = f.SKUs[s]
		}
		if !ok || sku.CaseQty == nil {
			return &event.Error{Reason: event.ReasonInvalidUOM, Field: "uom", Detail: "CS given but the SKU has no case_qty"}
		}
		factor = *sku.CaseQty
	}
	switch {
	case ev.OnHand != nil:
		op.Qty = *ev.OnHand * factor
		if ev.Allocated != nil {
			op.Alloc = *ev.Allocated * factor
		}
	case ev.Delta != nil:
		op.Qty = *ev.Delta * factor
	case ev.Qty != nil:
		op.Qty = *ev.Qty * factor
	}
	return nil
}

// learn makes what an event establishes visible to later events of the
// same batch: a SKU created before its first snapshot, a PO before its
// shipment.
func learn(ev *event.Event, op store.Op, f store.Found) {
	switch ev.Type {
	case event.MasterSKU:
		f.SKUs[ev.SKU] = *ev
	case event.MasterSite:
		f.Sites[ev.Site] = *ev
	case event.MasterSupplier:
		f.Suppliers[ev.Supplier] = true
	case event.MasterCustomer:
		f.Customers[ev.Customer] = ev.Priority
	case event.POCreated:
		if _, ok := f.POs[ev.PO]; !ok {
			f.POs[ev.PO] = op.SKUSite
		}
	case event.ShipmentDispatched:
		if _, ok := f.Shipments[ev.Shipment]; !ok {
			f.Shipments[ev.Shipment] = ev.PO
		}
	}
}

func isMaster(t event.Type) bool {
	switch t {
	case event.MasterSKU, event.MasterSite, event.MasterSupplier, event.MasterCustomer, event.ExceptionAcknowledged:
		return true
	}
	return false
}
