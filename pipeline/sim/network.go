package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// customerCount is the number of customers; orders spread across them.
const customerCount = 40

type sku struct {
	id, name, category, owner string
	class                     byte
	cost, price               float64
	caseQty                   int
	lead                      int // quoted lead time in days
	supplier                  int
	substitutes               []string
}

type site struct {
	id, name, region, timezone string
	port                       string // UN/LOCODE of the nearest port, for lanes
	wms                        string // the source name of the site's WMS
	// snapshotHour is the UTC hour of the WMS nightly export: local
	// midnight, ignoring daylight saving.
	snapshotHour int
}

type supplier struct {
	id, name, origin string
	overseas         bool
	lead             int     // typical lead time in days
	slipMean         float64 // mean days a dispatch runs late
	usesCases        bool    // orders are placed in cases (uom CS)
}

type customer struct {
	id, name string
	priority int
}

// siteTemplates are the sites in the order they are added; the regions
// alternate so that any network of two or more sites spans both.
var siteTemplates = []site{
	{id: "DC-EAST", name: "Newark distribution center", region: "east", timezone: "America/New_York", port: "USNYC", snapshotHour: 5},
	{id: "DC-WEST", name: "Ontario CA distribution center", region: "west", timezone: "America/Los_Angeles", port: "USLAX", snapshotHour: 8},
	{id: "DC-NORTH", name: "Columbus distribution center", region: "east", timezone: "America/New_York", port: "USNYC", snapshotHour: 5},
	{id: "DC-MOUNTAIN", name: "Salt Lake City distribution center", region: "west", timezone: "America/Denver", port: "USLAX", snapshotHour: 7},
	{id: "DC-SOUTH", name: "Atlanta distribution center", region: "east", timezone: "America/New_York", port: "USSAV", snapshotHour: 5},
	{id: "DC-PACIFIC", name: "Tacoma distribution center", region: "west", timezone: "America/Los_Angeles", port: "USTIW", snapshotHour: 8},
	{id: "DC-CENTRAL", name: "Dallas distribution center", region: "east", timezone: "America/Chicago", port: "USHOU", snapshotHour: 6},
	{id: "DC-DESERT", name: "Phoenix distribution center", region: "west", timezone: "America/Phoenix", port: "USLAX", snapshotHour: 7},
}

// supplierTemplates start with the Rotterdam supplier, which the critical
// scenario's SKU is bought from.
var supplierTemplates = []supplier{
	{name: "Rhine Delta Components", origin: "NLRTM", overseas: true, lead: 21},
	{name: "Great Lakes Fasteners", origin: "USCHI", lead: 7},
	{name: "Pearl River Manufacturing", origin: "CNSZX", overseas: true, lead: 28},
	{name: "Lakeside Packaging", origin: "USDET", lead: 6},
	{name: "Hanseatic Tools", origin: "DEHAM", overseas: true, lead: 24},
	{name: "Carolina Safety Products", origin: "USCLT", lead: 8},
	{name: "Yangtze Electric", origin: "CNSHA", overseas: true, lead: 30},
	{name: "Monterrey Industrial", origin: "MXMTY", lead: 12},
	{name: "Ontario Polymers", origin: "CATOR", lead: 9},
	{name: "Busan Precision", origin: "KRPUS", overseas: true, lead: 26},
	{name: "Scheldt Chemicals", origin: "BEANR", overseas: true, lead: 20},
	{name: "Gulf Coast Supply", origin: "USHOU", lead: 5},
}

type category struct {
	name, owner string
	items       []string
}

// categories are what the SKUs are; each has a planner who owns its alerts.
var categories = []category{
	{"packaging", "planner-consumables", []string{"Stretch film 500mm", "Shipping carton 40x30x20", "Packing tape 48mm", "Void fill bag", "Pallet label roll", "Corner board"}},
	{"cleaning", "planner-consumables", []string{"Floor degreaser 5L", "Nitrile gloves box", "Paper towel roll", "Absorbent pad", "Hand soap 1L"}},
	{"fasteners", "planner-mro", []string{"Hex bolt M10", "Lock nut M8", "Wood screw 4x40", "Rivet 4.8mm", "Anchor bolt M12", "Washer M10"}},
	{"tools", "planner-mro", []string{"Utility knife", "Torque wrench 1/2in", "Cordless drill battery", "Cable tie gun", "Tape measure 8m"}},
	{"spares", "planner-mro", []string{"Conveyor belt 600mm", "Bearing 6204", "V-belt A42", "Roller 50mm", "Forklift tire 18x7"}},
	{"electrical", "planner-technical", []string{"LED high bay 150W", "Cable 3x2.5mm 100m", "Circuit breaker 16A", "Extension reel 25m", "Motion sensor"}},
	{"safety", "planner-technical", []string{"Hi-vis vest", "Safety goggles", "Hard hat", "Ear plugs box", "Safety boots", "First aid kit"}},
}

var variants = []string{"standard", "heavy duty", "bulk pack", "pro", "compact", "XL"}

var caseQtys = map[byte][]int{'A': {1, 2, 4, 6, 12}, 'B': {6, 10, 12, 24}, 'C': {12, 20, 24, 48}}

var customerNames = [][]string{
	{"Northwind", "Bluebird", "Summit", "Harbor", "Pioneer", "Redwood", "Granite", "Silverline"},
	{"Hospitals", "Retail", "Manufacturing", "Foods", "Logistics"},
}

// buildNetwork draws sites, suppliers, customers, SKUs and the stock
// positions, and picks what the scenario's disruptions hit.
func (s *Sim) buildNetwork(r *rand.Rand) {
	cfg := s.cfg
	for i := range cfg.Sites {
		t := siteTemplates[i%len(siteTemplates)]
		if n := i / len(siteTemplates); n > 0 {
			t.id = fmt.Sprintf("%s-%d", t.id, n+1)
			t.name = fmt.Sprintf("%s %d", t.name, n+1)
		}
		t.wms = "wms-" + t.region
		s.sites = append(s.sites, t)
	}
	for i := range cfg.Suppliers {
		t := supplierTemplates[i%len(supplierTemplates)]
		t.id = fmt.Sprintf("SUP-%02d", i+1)
		if n := i / len(supplierTemplates); n > 0 {
			t.name = fmt.Sprintf("%s %d", t.name, n+1)
		}
		t.lead = max(5, t.lead+r.IntN(5)-2)
		t.slipMean = uniform(r, 0.2, 3)
		t.usesCases = i%3 == 2
		s.suppliers = append(s.suppliers, t)
	}
	for i := range customerCount {
		a, b := customerNames[0], customerNames[1]
		c := customer{
			id:       fmt.Sprintf("CUST-%03d", i+1),
			name:     a[i%len(a)] + " " + b[(i/len(a))%len(b)],
			priority: 3,
		}
		switch x := r.Float64(); {
		case x < 0.15:
			c.priority = 1
		case x < 0.5:
			c.priority = 2
		}
		s.customers = append(s.customers, c)
	}

	// Classes by rank: the first 20% of a shuffled list are A, the next 30% B.
	classes := make([]byte, cfg.SKUs)
	nA := max(1, int(math.Round(0.2*float64(cfg.SKUs))))
	nB := max(1, int(math.Round(0.3*float64(cfg.SKUs))))
	for rank, i := range r.Perm(cfg.SKUs) {
		switch {
		case rank < nA:
			classes[i] = 'A'
		case rank < nA+nB:
			classes[i] = 'B'
		default:
			classes[i] = 'C'
		}
	}
	for i := range cfg.SKUs {
		cat := categories[r.IntN(len(categories))]
		k := sku{
			id:       fmt.Sprintf("SKU-%d", 1001+i),
			name:     cat.items[r.IntN(len(cat.items))] + ", " + variants[r.IntN(len(variants))],
			category: cat.name,
			owner:    cat.owner,
			class:    classes[i],
			supplier: r.IntN(cfg.Suppliers),
		}
		cq := caseQtys[k.class]
		k.caseQty = cq[r.IntN(len(cq))]
		// A items are the expensive, fast movers; C items are cheap and slow.
		var median, spread, markupLo, markupHi float64
		switch k.class {
		case 'A':
			median, spread, markupLo, markupHi = 60, 0.5, 1.3, 1.8
		case 'B':
			median, spread, markupLo, markupHi = 25, 0.6, 1.25, 1.7
		default:
			median, spread, markupLo, markupHi = 8, 0.7, 1.3, 2.2
		}
		k.cost = cents(clamp(median*lognormal(r, spread), 1, 400))
		k.price = cents(k.cost * uniform(r, markupLo, markupHi))
		k.lead = clampInt(s.suppliers[k.supplier].lead+r.IntN(6)-2, 5, 30)
		s.skus = append(s.skus, k)
	}
	// Some SKUs name a substitute from the same category, one published
	// before them so that master data never refers forward.
	for i := 1; i < len(s.skus); i++ {
		if r.Float64() >= 0.1 {
			continue
		}
		if j := r.IntN(i); s.skus[j].category == s.skus[i].category {
			s.skus[i].substitutes = []string{s.skus[j].id}
		}
	}

	s.plan = s.pickScenario(r)
	crit := &s.skus[s.plan.critSKU]
	// The critical SKU is a pricey, fast, overseas item from Rotterdam with
	// no substitute, so that nothing softens its stockout.
	crit.class = 'A'
	crit.supplier = 0
	crit.lead = 21
	crit.caseQty = 1
	crit.cost = cents(uniform(r, 110, 140))
	crit.price = cents(crit.cost * 1.45)
	crit.substitutes = nil
	for i := range s.skus {
		if len(s.skus[i].substitutes) > 0 && s.skus[i].substitutes[0] == crit.id {
			s.skus[i].substitutes = nil
		}
	}

	s.pos = make([]position, len(s.skus)*len(s.sites))
	for i := range s.pos {
		p := &s.pos[i]
		p.sku, p.site = i/len(s.sites), i%len(s.sites)
		k := &s.skus[p.sku]
		siteMix := uniform(r, 0.6, 1.4)
		switch k.class {
		case 'A':
			p.rate = clamp(22*lognormal(r, 0.45), 8, 80) * siteMix
			p.orderSize = uniform(r, 4, 8)
		case 'B':
			p.rate = clamp(6*lognormal(r, 0.4), 2, 15) * siteMix
			p.orderSize = uniform(r, 2, 4)
		default:
			p.rate = clamp(0.6*lognormal(r, 0.6), 0.1, 2.5) * siteMix
			p.lumpy = true
			p.lumpSize = max(uniform(r, 1.5, 4), p.rate*1.2)
			p.orderSize = p.lumpSize
		}
	}
	cp := &s.pos[s.plan.critPos]
	cp.rate = 45 * uniform(r, 0.95, 1.1)
	cp.orderSize = 7
	for i := range s.pos {
		s.pos[i].setPolicy(&s.skus[s.pos[i].sku], &s.suppliers[s.skus[s.pos[i].sku].supplier])
	}
}

// scenario is what the disruptions hit, as indices into the network.
type scenario struct {
	critSKU, critPos int
	critPO           *po
	spikePos         int
	slipSupplier     int
}

// pickScenario chooses the critical SKU-site, the spiking SKU-site and the
// slipping supplier.
func (s *Sim) pickScenario(r *rand.Rand) scenario {
	var a, b []int
	for i, k := range s.skus {
		switch k.class {
		case 'A':
			a = append(a, i)
		case 'B':
			b = append(b, i)
		}
	}
	var sc scenario
	sc.critSKU = a[r.IntN(len(a))]
	sc.critPos = sc.critSKU*len(s.sites) + r.IntN(len(s.sites))
	spikeSKU := b[r.IntN(len(b))]
	if spikeSKU == sc.critSKU { // only when there are too few SKUs to choose from
		spikeSKU = (sc.critSKU + 1) % len(s.skus)
	}
	sc.spikePos = spikeSKU*len(s.sites) + r.IntN(len(s.sites))
	// The slipping supplier is the busiest one other than the critical SKU's,
	// so that the slip touches many POs and leaves the port delay alone.
	count := make([]int, len(s.suppliers))
	for i, k := range s.skus {
		if i != sc.critSKU {
			count[k.supplier]++
		}
	}
	sc.slipSupplier = -1
	for i, n := range count {
		if i == 0 && len(s.suppliers) > 1 {
			continue // the critical SKU will be moved to supplier 0
		}
		if sc.slipSupplier < 0 || n > count[sc.slipSupplier] {
			sc.slipSupplier = i
		}
	}
	return sc
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// lognormal returns a multiplier with mean 1 and log-spread sigma.
func lognormal(r *rand.Rand, sigma float64) float64 {
	return math.Exp(sigma*r.NormFloat64() - sigma*sigma/2)
}

// poisson draws a Poisson count: exactly for small means, by the normal
// approximation for large ones, where the difference does not show.
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit, p, k := math.Exp(-mean), 1.0, 0
	for {
		p *= r.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }
func clampInt(v, lo, hi int) int      { return min(max(v, lo), hi) }
func cents(v float64) float64         { return math.Round(v*100) / 100 }

// roundUp rounds q up to a whole number of cases.
func roundUp(q, caseQty int) int {
	if caseQty <= 1 {
		return q
	}
	return (q + caseQty - 1) / caseQty * caseQty
}
