package sim

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultSKUs           = 200
	DefaultSites          = 5
	DefaultSuppliers      = 12
	DefaultHistoryDays    = 42
	DefaultPortDelayAfter = 20 * time.Minute
)

// Lower bounds the scenario needs: a class-A and a class-B SKU, a site in
// each region, and four weeks of history behind the trailing demand the
// critical alert is computed from. Smaller values are raised to these.
const (
	minSKUs        = 2
	minSites       = 2
	minHistoryDays = trailDays
)

// DefaultStart is the simulated start for a zero Config.Start. It is a fixed
// Monday rather than the wall clock so that a zero Config is deterministic.
var DefaultStart = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// Config says which network to simulate. The zero value of every field
// selects its default.
type Config struct {
	Seed      uint64
	SKUs      int // default 200
	Sites     int // default 5, alternating between regions "east" and "west"
	Suppliers int // default 12
	// Start is the simulated "now" when live simulation begins. It is taken
	// in UTC and truncated to midnight.
	Start time.Time
	// HistoryDays is how many days of demand history Backfill emits before
	// Start (default 42, at least 28).
	HistoryDays int
	// PortDelayAfter is how long after Start the port delay of the critical
	// scenario is announced (default 20 minutes, at most 23 hours). The demo
	// shortens or lengthens it to fit its time acceleration.
	PortDelayAfter time.Duration
}

// withDefaults returns c with zero fields defaulted and every field in range.
func (c Config) withDefaults() Config {
	def := func(v *int, d, lo int) {
		if *v <= 0 {
			*v = d
		}
		*v = max(*v, lo)
	}
	def(&c.SKUs, DefaultSKUs, minSKUs)
	def(&c.Sites, DefaultSites, minSites)
	def(&c.Suppliers, DefaultSuppliers, 1)
	def(&c.HistoryDays, DefaultHistoryDays, minHistoryDays)
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(24 * time.Hour)
	if c.PortDelayAfter <= 0 {
		c.PortDelayAfter = DefaultPortDelayAfter
	}
	c.PortDelayAfter = min(max(c.PortDelayAfter, time.Minute), 23*time.Hour).Truncate(time.Second)
	return c
}

// Record is one raw record as a producer would append it to the stream.
type Record struct {
	// At is the simulated arrival time: never before the event's
	// occurred_at, and later than usual for late feeds.
	At time.Time
	// Body is the raw JSON event; for the broken feed, deliberately bad bytes.
	Body []byte
	// Fault is the defect planted in a broken-feed record, and empty for
	// every other record, which is valid and refers only to known entities.
	Fault Fault
}

// Fault names a defect the broken feed plants in a record.
type Fault string

// The broken feed's defects. The first four are refused by event.Decode;
// the last two decode and are caught downstream (referential integrity and
// duplicate detection).
const (
	FaultNotJSON      Fault = "not_json"      // an HTML error page or a truncated object
	FaultMissingField Fault = "missing_field" // a snapshot without on_hand or site
	FaultNegative     Fault = "negative"      // a snapshot with negative on_hand
	FaultFutureTime   Fault = "future_time"   // occurred_at one day after arrival
	FaultUnknownSKU   Fault = "unknown_sku"   // a snapshot for a SKU never in master data
	FaultDuplicateID  Fault = "duplicate_id"  // a byte-for-byte resend of an earlier record
)

// Disruption is one scheduled disruption of the scenario.
type Disruption struct {
	At     time.Time
	Kind   string // "port_delay", "supplier_slip", "demand_spike" or "broken_feed"
	Detail string // one line for people
	// SKU, Site, Supplier and Source name what is hit, where that applies.
	SKU, Site, Supplier, Source string
}

// Disruption kinds.
const (
	KindPortDelay    = "port_delay"
	KindSupplierSlip = "supplier_slip"
	KindDemandSpike  = "demand_spike"
	KindBrokenFeed   = "broken_feed"
)

// Random streams. Each part of the simulation draws from its own generator
// so that, for example, the network does not change when the history length
// does, and Backfill can be rendered again without disturbing Advance.
const (
	streamNetwork uint64 = iota + 1
	streamHistory
	streamOpening
	streamBackfill
	streamLive
)

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// Sim is one simulated network. It is not safe for concurrent use.
type Sim struct {
	cfg   Config
	start int64 // Config.Start in Unix seconds; all internal times are Unix seconds

	skus      []sku
	sites     []site
	suppliers []supplier
	customers []customer
	pos       []position // index skuIndex*len(sites) + siteIndex

	// hist is the daily demand before Start, position-major:
	// hist[p*HistoryDays+d] is day d counted from Start-HistoryDays.
	hist       []int32
	histOrders int   // orders Backfill renders from hist
	opening    []po  // open POs as they stood at Start, for Backfill
	openOnHand []int // on-hand per position at Start, for Backfill
	masterAt   int64 // when master data was published

	plan     scenario     // what the disruptions hit
	disrupts []Disruption // the plan, described

	rng      *rand.Rand // the live stream
	queue    queue      // scheduled actions
	seq      uint64     // actions scheduled so far
	now      int64      // time of the action being handled
	out      sink       // emitted records not yet returned by Advance
	last     int64      // Advance has returned everything up to here
	ids      counters   // next numbers for ids
	lastWest []byte     // the latest valid wms-west snapshot, which the broken feed resends
	scratch  []int      // reused by splitQty
}

// counters are the next numbers of generated identifiers.
type counters struct {
	order, po, shipment, adjust, promise, delay int
}

// New builds the network, its history and its opening state from cfg. The
// same cfg always gives the same simulation.
func New(cfg Config) *Sim {
	cfg = cfg.withDefaults()
	s := &Sim{
		cfg:   cfg,
		start: cfg.Start.Unix(),
		rng:   newRand(cfg.Seed, streamLive),
	}
	s.buildNetwork(newRand(cfg.Seed, streamNetwork))
	s.drawHistory(newRand(cfg.Seed, streamHistory))
	s.openState(newRand(cfg.Seed, streamOpening))
	s.schedulePlan()
	s.schedule(action{at: s.start, kind: actDay})
	s.last = s.start
	return s
}

// Scenario returns the disruptions scheduled, in time order.
func (s *Sim) Scenario() []Disruption {
	return slices.Clone(s.disrupts)
}

// Start returns the simulated start of live simulation, which Advance counts
// from.
func (s *Sim) Start() time.Time { return s.cfg.Start }

// Advance runs the simulation up to until and returns the records arriving
// in (last, until], in arrival order, where last is the previous until (or
// Start). Records that occurred by until but arrive later are held for a
// later call. An until at or before last returns nil.
func (s *Sim) Advance(until time.Time) []Record {
	u := until.Unix() // event times are whole seconds
	if u <= s.last {
		return nil
	}
	for len(s.queue) > 0 && s.queue[0].at <= u {
		a := s.queue.pop()
		s.now = a.at
		s.handle(a)
	}
	s.last = u
	return s.out.take(u)
}

// pending is an emitted record waiting for its arrival time.
type pending struct {
	at    int64
	seq   uint64 // emission order, which breaks ties in arrival time
	body  []byte
	fault Fault
}

// sink collects emitted records and hands them out in arrival order.
type sink struct {
	recs []pending
	seq  uint64
}

func (k *sink) add(arrival int64, body []byte, f Fault) {
	k.seq++
	k.recs = append(k.recs, pending{at: arrival, seq: k.seq, body: body, fault: f})
}

// take removes and returns the records arriving at or before until, ordered
// by arrival and then emission. Because emission order is fixed by the
// simulation, the result does not depend on how Advance is stepped.
func (k *sink) take(until int64) []Record {
	slices.SortFunc(k.recs, func(a, b pending) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
	})
	n, _ := slices.BinarySearchFunc(k.recs, until+1, func(p pending, t int64) int { return cmp.Compare(p.at, t) })
	out := make([]Record, n)
	for i, p := range k.recs[:n] {
		out[i] = Record{At: unixTime(p.at), Body: p.body, Fault: p.fault}
	}
	// Shift the rest down and clear the tail so the bodies handed out can be
	// collected once the caller is done with them.
	rest := copy(k.recs, k.recs[n:])
	clear(k.recs[rest:])
	k.recs = k.recs[:rest]
	return out
}

func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }
