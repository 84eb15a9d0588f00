package detect

import (
	"context"
	"encoding/json"
	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Runner re-evaluates stock positions off the event hot path: positions
// marked by the consumer after each batch (coalesced, so a burst of events
// on one position costs one evaluation), and every position on a sweep,
// because time passing alone moves stockouts closer.
type Runner struct {
	read  PositionReader
	pol   *Policy
	dets  []Detector
	mgr   *alert.Manager
	list  func(ctx context.Context) ([]string, error)
	now   func() time.Time
	log   *slog.Logger
	sweep time.Duration
	ready func() bool
	evals prometheus.Counter

	// Review, when set, runs after every sweep: the escalation chain and
	// repeat interval of alerts nobody answered.
	Review func(ctx context.Context) error
	// SitesOf, when set, lists the sites of a SKU, for transfers.
	SitesOf func(ctx context.Context, sku string) ([]string, error)
	// Feeds, when set, runs on every sweep and judges the event feeds as
	// a whole (stale_feed, data_quality): the alerts that hold, and the
	// fingerprints of those to clear. FeedWatch.Check is one.
	Feeds func(ctx context.Context, now time.Time) (fire []alert.Candidate, clear []string, err error)
	// GroupWait is the alert manager's group wait: when an evaluation
	// raises an alert a group may stand for, a sweep (which raises the
	// groups) runs after half of it, or at the next tick if sooner.
	GroupWait time.Duration

	mu    sync.Mutex
	dirty map[string][]string
	wake  chan struct{}
}

// NewRunner returns a Runner. list enumerates every position for sweeps.
// ready says whether state is complete enough to judge (the consumer is not
// working through a backlog); until it is, marked positions wait.
func NewRunner(read PositionReader, pol *Policy, dets []Detector, mgr *alert.Manager, list func(ctx context.Context) ([]string, error), ready func() bool,
	now func() time.Time, sweep time.Duration, log *slog.Logger, reg prometheus.Registerer) *Runner {
	r := &Runner{read: read, pol: pol, dets: dets, mgr: mgr, list: list, ready: ready, now: now, log: log, sweep: sweep,
		dirty: map[string][]string{}, wake: make(chan struct{}, 1),
		evals: prometheus.NewCounter(prometheus.CounterOpts{Name: "qm_detect_evaluations_total", Help: "Stock positions evaluated by the stockout detector."}),
	}
	if reg != nil {
		reg.MustRegister(r.evals)
	}
	return r
}

// maxTriggers bounds the event ids kept per position between evaluations.
const maxTriggers = 50

// Mark queues positions for evaluation with the events that changed them.
// It never blocks.
func (r *Runner) Mark(_ context.Context, touched map[string][]string) {
	if len(touched) == 0 {
		return
	}
	r.mu.Lock()
	for ss, ids := range touched {
		t := append(r.dirty[ss], ids...)
		if len(t) > maxTriggers {
			t = t[len(t)-maxTriggers:]
		}
		r.dirty[ss] = t
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run evaluates marked positions as they come and sweeps all positions
// every sweep interval, until ctx ends. Errors are logged and the position
// is tried again on the next mark or sweep.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.sweep)
	defer t.Stop()
	// While not ready, poll so that marks left waiting are taken up soon
	// after the backlog drains.
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	var early <-chan time.Time // an early sweep for groups, when due
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-early:
			early = nil
			if r.ready() {
				r.Sweep(ctx)
			}
		case <-poll.C:
			r.mu.Lock()
			n := len(r.dirty)
			r.mu.Unlock()
			if n > 0 {
				select {
				case r.wake <- struct{}{}:
				default:
				}
			}
		case <-r.wake:
			if !r.ready() {
				continue
			}
			r.mu.Lock()
			batch := r.dirty
			r.dirty = map[string][]string{}
			r.mu.Unlock()
			keys := make([]string, 0, len(batch))
			for ss := range batch {
				keys = append(keys, ss)
			}
			sort.Strings(keys)
			for _, ss := range keys {
				if ctx.Err() != nil {
					return nil
				}
				_, raised := r.evaluate(ctx, ss, batch[ss])
				if early == nil && r.GroupWait > 0 && slices.ContainsFunc(raised, alert.Candidate.Groupable) {
					early = time.After(min(r.GroupWait/2, r.sweep))
				}
			}
		case <-t.C:
			if r.ready() {
				r.Sweep(ctx)
			}
		}
	}
}

// Sweep evaluates every position.
func (r *Runner) Sweep(ctx context.Context) {
	all, err := r.list(ctx)
	if err != nil {
		r.log.Warn("sweep: list positions", "err", err)
		return
	}
	views := map[string]*SupplierView{}
	var lts []kpi.LeadTime
	for _, ss := range all {
		if ctx.Err() != nil {
			return
		}
		sit, raised := r.evaluate(ctx, ss, nil)
		if sit == nil {
			continue
		}
		for _, c := range raised {
			if c.Kind == alert.KindSupplierSlip && c.Labels["supplier"] != "" {
				sup := c.Labels["supplier"]
				if views[sup] == nil {
					views[sup] = &SupplierView{}
				}
				views[sup].Slips = append(views[sup].Slips, c)
			}
		}
		lts = append(lts, kpi.LeadTimes(sit.P)...)
		for _, sup := range openSuppliers(sit) {
			if views[sup] == nil {
				views[sup] = &SupplierView{}
			}
			views[sup].Open = append(views[sup].Open, ss)
		}
	}
	for _, st := range kpi.Suppliers(lts, kpi.DefaultRecent) {
		if views[st.Supplier] == nil {
			views[st.Supplier] = &SupplierView{}
		}
		views[st.Supplier].Stats = st
	}
	r.supplierAlerts(ctx, views)
	r.feedAlerts(ctx)
	if r.Review != nil {
		if err := r.Review(ctx); err != nil {
			r.log.Warn("review open alerts", "err", err)
		}
	}
}

// supplierAlerts fires lead_time_drift for drifting suppliers and clears
// it for the others.
func (r *Runner) supplierAlerts(ctx context.Context, views map[string]*SupplierView) {
	raised := map[string]bool{}
	assess := func(ss string) *Situation {
		p, err := r.read.Position(ctx, ss)
		if err != nil {
			return nil
		}
		sit, err := r.pol.Assess(p, r.now())
		if err != nil {
			return nil
		}
		return sit
	}
	cs := (Drift{Ratio: r.pol.Exceptions.DriftRatio}).Detect(views, r.pol, r.now(), assess)
	groups := SlipGroups(views, r.pol, r.now())
	grouped := map[string]bool{}
	for _, c := range groups {
		grouped[c.Supplier] = true
	}
	for sup := range views {
		if !grouped[sup] {
			if _, err := r.mgr.Clear(ctx, alert.Fingerprint(alert.KindSupplierSlip, "", "", sup), nil); err != nil {
				r.log.Warn("record alert", "supplier", sup, "err", err)
			}
		}
	}
	for _, c := range groups {
		if _, err := r.mgr.Fire(ctx, c); err != nil {
			r.log.Warn("record alert", "supplier", c.Supplier, "kind", c.Kind, "err", err)
		}
	}
	for _, c := range cs {
		raised[c.Supplier] = true
		if _, err := r.mgr.Fire(ctx, c); err != nil {
			r.log.Warn("record alert", "supplier", c.Supplier, "kind", c.Kind, "err", err)
		}
	}
	for sup := range views {
		if raised[sup] {
			continue
		}
		if _, err := r.mgr.Clear(ctx, alert.Fingerprint(alert.KindLeadTimeDrift, "", "", sup), nil); err != nil {
			r.log.Warn("record alert", "supplier", sup, "err", err)
		}
	}
}

// siblings reads the same SKU's positions at other sites, for transfers.
// A read error leaves them out: the alert then recommends without them.
func (r *Runner) siblings(ctx context.Context, p store.Position) []store.Position {
	if r.SitesOf == nil {
		return nil
	}
	sites, err := r.SitesOf(ctx, p.SKU)
	if err != nil {
		return nil
	}
	var out []store.Position
	for _, site := range sites {
		if site == p.Site {
			continue
		}
		if sib, err := r.read.Position(ctx, p.SKU+"@"+site); err == nil {
			out = append(out, sib)
		}
	}
	return out
}

// alertReader reads an alert's current record; the store is one.
type alertReader interface {
	Alert(ctx context.Context, fp string) (record []byte, rev int64, err error)
}

// claimed sums, by source site, the units of sku that the open stockout
// alerts at the sibling sites plan to transfer. A read error leaves a
// sibling out: at worst two shortages are offered the same surplus, which
// the approvals then show.
func (r *Runner) claimed(ctx context.Context, sku string, siblings []store.Position) map[string]float64 {
	ar, ok := r.read.(alertReader)
	if !ok {
		return nil
	}
	out := map[string]float64{}
	for _, sib := range siblings {
		raw, _, err := ar.Alert(ctx, alert.Fingerprint(alert.KindStockout, sku, sib.Site))
		if err != nil || raw == nil {
			continue
		}
		var a alert.Alert
		if json.Unmarshal(raw, &a) != nil || a.State == alert.Resolved || a.Planned == nil || a.Planned.Kind != "transfer" {
			continue
		}
		if qty, err := strconv.ParseFloat(a.Planned.Params["qty"], 64); err == nil {
			out[a.Planned.Params["from_site"]] += qty
		}
	}
	return out
}

// substitutes reads the positions at p's site of the SKUs its master
// data names as substitutes. A read error leaves one out.
func (r *Runner) substitutes(ctx context.Context, p store.Position) []store.Position {
	var out []store.Position
	for _, sku := range p.SKUInfo.Substitutes {
		if sku == p.SKU {
			continue
		}
		if sub, err := r.read.Position(ctx, sku+"@"+p.Site); err == nil && sub.SKUInfo != nil {
			out = append(out, sub)
		}
	}
	return out
}

// openSuppliers are the suppliers with a PO still open at the position.
func openSuppliers(s *Situation) []string {
	seen := map[string]bool{}
	var out []string
	for _, po := range s.P.POs {
		if po.Supplier != "" && po.Qty-po.Received > 0 && po.Delivered.IsZero() && !seen[po.Supplier] {
			seen[po.Supplier] = true
			out = append(out, po.Supplier)
		}
	}
	return out
}

// Evaluate judges one position with every detector and records the
// outcome: each kind a detector raised fires, each it did not is cleared.
// It returns the situation it judged, nil when it could not.
func (r *Runner) Evaluate(ctx context.Context, ss string, triggers []string) *Situation {
	sit, _ := r.evaluate(ctx, ss, triggers)
	return sit
}

// evaluate is Evaluate, also returning the candidates raised.
func (r *Runner) evaluate(ctx context.Context, ss string, triggers []string) (*Situation, []alert.Candidate) {
	r.evals.Inc()
	p, err := r.read.Position(ctx, ss)
	if err != nil {
		r.log.Warn("read position", "position", ss, "err", err)
		return nil, nil
	}
	sit, err := r.pol.Assess(p, r.now())
	if err != nil {
		r.log.Warn("assess position", "position", ss, "err", err)
		return nil, nil
	}
	if sit.Proj.Stockout() && sit.Proj.UnservedQty > 0 {
		sit.Siblings = r.siblings(ctx, p)
		sit.Substitutes = r.substitutes(ctx, p)
		sit.Claimed = r.claimed(ctx, p.SKU, sit.Siblings)
	}
	var all []alert.Candidate
	for _, d := range r.dets {
		raised := map[string]bool{}
		for _, c := range d.Detect(sit) {
			c.Triggers = triggers
			c.SignalAt = p.LastEventAt
			all = append(all, c)
			raised[c.Kind] = true
			if _, err := r.mgr.Fire(ctx, c); err != nil {
				r.log.Warn("record alert", "position", ss, "kind", c.Kind, "err", err)
			}
		}
		for _, kind := range d.Kinds() {
			if raised[kind] {
				continue
			}
			if _, err := r.mgr.Clear(ctx, alert.Fingerprint(kind, p.SKU, p.Site), triggers); err != nil {
				r.log.Warn("record alert", "position", ss, "kind", kind, "err", err)
			}
		}
	}
	return sit, all
}
