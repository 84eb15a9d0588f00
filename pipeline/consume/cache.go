package consume

import (
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
)

// refCache remembers references that exist so most batches need no lookup.
// Only existence is cached for long: PO and shipment mappings never change.
// SKU and site records (case_qty, time zone) can change on another replica,
// so they are kept for skuTTL only.
type refCache struct {
	skus      map[string]cachedRecord
	sites     map[string]cachedRecord
	suppliers map[string]bool
	pos       map[string]string
	shipments map[string]string
	customers map[string]cachedPriority
	now       func() time.Time
}

type cachedPriority struct {
	prio int
	when time.Time
}

type cachedRecord struct {
	ev   event.Event
	when time.Time
}

const (
	skuTTL       = time.Minute
	maxCacheSize = 200_000 // per map; cleared when exceeded, a cheap bound on memory
)

func newRefCache() refCache {
	c := refCache{now: time.Now}
	c.reset()
	return c
}

func (c *refCache) reset() {
	c.skus = map[string]cachedRecord{}
	c.sites = map[string]cachedRecord{}
	c.suppliers = map[string]bool{}
	c.pos = map[string]string{}
	c.shipments = map[string]string{}
	c.customers = map[string]cachedPriority{}
}

// get copies a cached reference into f and reports whether it was cached.
func (c *refCache) get(kind, name string, f store.Found) bool {
	switch kind {
	case store.KindSKU:
		if r, ok := c.skus[name]; ok && c.now().Sub(r.when) < skuTTL {
			f.SKUs[name] = r.ev
			return true
		}
	case store.KindSite:
		if r, ok := c.sites[name]; ok && c.now().Sub(r.when) < skuTTL {
			f.Sites[name] = r.ev
			return true
		}
	case store.KindSupplier:
		if c.suppliers[name] {
			f.Suppliers[name] = true
			return true
		}
	case "po":
		if v, ok := c.pos[name]; ok {
			f.POs[name] = v
			return true
		}
	case "shipment":
		if v, ok := c.shipments[name]; ok {
			f.Shipments[name] = v
			return true
		}
	case store.KindCustomer:
		if r, ok := c.customers[name]; ok && c.now().Sub(r.when) < skuTTL {
			f.Customers[name] = r.prio
			return true
		}
	}
	return false
}

// fill caches what a lookup found.
func (c *refCache) fill(f store.Found) {
	if len(c.skus)+len(c.pos)+len(c.shipments)+len(c.customers) > maxCacheSize {
		c.reset()
	}
	now := c.now()
	for k, v := range f.SKUs {
		c.skus[k] = cachedRecord{v, now}
	}
	for k, v := range f.Sites {
		c.sites[k] = cachedRecord{v, now}
	}
	for k := range f.Suppliers {
		c.suppliers[k] = true
	}
	for k, v := range f.POs {
		c.pos[k] = v
	}
	for k, v := range f.Shipments {
		c.shipments[k] = v
	}
	for k, v := range f.Customers {
		c.customers[k] = cachedPriority{v, now}
	}
}

// remember records what an applied event established, by the same rules
// as learn uses within a batch.
func (c *refCache) remember(ev *event.Event, op store.Op) {
	switch ev.Type {
	case event.MasterSKU, event.MasterSite, event.MasterSupplier, event.MasterCustomer, event.POCreated, event.ShipmentDispatched:
	default:
		return
	}
	f := store.NewFound()
	if v, ok := c.pos[ev.PO]; ok {
		f.POs[ev.PO] = v
	}
	if v, ok := c.shipments[ev.Shipment]; ok {
		f.Shipments[ev.Shipment] = v
	}
	learn(ev, op, f)
	c.fill(f)
}
