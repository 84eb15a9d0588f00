package detect

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/pipeline/sim"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var feedNow = time.Date(2026, 11, 27, 14, 30, 0, 0, time.UTC)

// feedStat is a source first seen a week ago that last sent silent ago.
func feedStat(src string, silent, usual time.Duration) store.FeedStat {
	return store.FeedStat{Source: src, LastArrival: feedNow.Add(-silent), LastAccepted: feedNow.Add(-silent),
		LastEventTime: feedNow.Add(-silent - 10*time.Minute), UsualGap: usual, FirstSeen: feedNow.Add(-7 * 24 * time.Hour),
		Since: feedNow.Truncate(time.Hour).Add(-3 * time.Hour), ByReason: map[string]int{}}
}

func refusing(st store.FeedStat, accepted int, reasons map[string]int) store.FeedStat {
	st.Accepted, st.ByReason = accepted, reasons
	for _, n := range reasons {
		st.Quarantined += n
	}
	return st
}

func TestFeedsDetect(t *testing.T) {
	quality := func(src string) string { return FeedFingerprint(alert.KindDataQuality, src) }
	tests := []struct {
		name  string
		feeds Feeds
		stats []store.FeedStat
		open  []string // fingerprints of open alerts
		fire  []string // kind/source of the candidates
	}{
		{name: "no statistics"},
		{name: "fresh", stats: []store.FeedStat{feedStat("wms-east", time.Hour, time.Hour)}},
		{name: "silent past the minimum", stats: []store.FeedStat{feedStat("wms-east", 6*time.Hour+time.Minute, time.Hour)},
			fire: []string{"stale_feed/wms-east"}},
		{name: "quiet as every night", stats: []store.FeedStat{feedStat("tms", 19*time.Hour, 13*time.Hour)}},
		{name: "quieter than any night", stats: []store.FeedStat{feedStat("tms", 20*time.Hour, 13*time.Hour)},
			fire: []string{"stale_feed/tms"}},
		{name: "a gap factor of 4", feeds: Feeds{GapFactor: 4}, stats: []store.FeedStat{feedStat("tms", 20*time.Hour, 13*time.Hour)}},
		{name: "still learning", stats: []store.FeedStat{func() store.FeedStat {
			st := feedStat("new", 10*time.Hour, 0)
			st.FirstSeen = feedNow.Add(-20 * time.Hour)
			return st
		}()}},
		{name: "records naming no source are never stale", stats: []store.FeedStat{feedStat(store.UnknownSource, 30*time.Hour, 0)}},
		{name: "30% refused", stats: []store.FeedStat{refusing(feedStat("wms-west", 0, time.Hour), 70, map[string]int{"missing_field": 20, "negative_quantity": 10})},
			fire: []string{"data_quality/wms-west"}},
		{name: "refused share high, too few", stats: []store.FeedStat{refusing(feedStat("wms-west", 0, time.Hour), 10, map[string]int{"missing_field": 4})}},
		{name: "many refused, share low", stats: []store.FeedStat{refusing(feedStat("erp", 0, time.Hour), 1000, map[string]int{"unknown_sku": 40})}},
		{name: "open, share between clear and raise: holds", open: []string{quality("wms-west")},
			stats: []store.FeedStat{refusing(feedStat("wms-west", 0, time.Hour), 97, map[string]int{"missing_field": 3})},
			fire:  []string{"data_quality/wms-west"}},
		{name: "open, share below clear: clears", open: []string{quality("wms-west")},
			stats: []store.FeedStat{refusing(feedStat("wms-west", 0, time.Hour), 98, map[string]int{"missing_field": 2})}},
		{name: "unknown producer of garbage", stats: []store.FeedStat{refusing(feedStat(store.UnknownSource, 0, 0), 0, map[string]int{"invalid_json": 6})},
			fire: []string{"data_quality/unknown"}},
		{name: "stale and refusing at once", stats: []store.FeedStat{
			refusing(feedStat("wms-west", 8*time.Hour, time.Hour), 10, map[string]int{"future_time": 10}),
			feedStat("erp", time.Minute, time.Hour),
		}, fire: []string{"stale_feed/wms-west", "data_quality/wms-west"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fire, clear := tt.feeds.Detect(tt.stats, feedNow, "ops", func(fp string) bool { return slices.Contains(tt.open, fp) })
			var got []string
			fired := map[string]bool{}
			for _, c := range fire {
				got = append(got, c.Kind+"/"+c.Labels["source"])
				fired[FeedFingerprint(c.Kind, c.Labels["source"])] = true
				if c.Tier != score.Actionable || c.ResponseClass != score.PlannerReview || c.Owner != "ops" || c.RevenueAtRisk != 0 {
					t.Errorf("%s: tier %s, class %s, owner %s, revenue %v", c.Kind, c.Tier, c.ResponseClass, c.Owner, c.RevenueAtRisk)
				}
				if fp := alert.Fingerprint(c.Kind, c.SKU, c.Site, c.Supplier, c.Source); fp != FeedFingerprint(c.Kind, c.Labels["source"]) {
					t.Errorf("%s: the manager would fingerprint it %s, not FeedFingerprint", c.Kind, fp)
				}
			}
			if !slices.Equal(got, tt.fire) {
				t.Errorf("fired %v, want %v", got, tt.fire)
			}
			// Every other feed alert of every source is cleared.
			if want := 2*len(tt.stats) - len(tt.fire); len(clear) != want {
				t.Errorf("cleared %d, want %d", len(clear), want)
			}
			for _, fp := range clear {
				if fired[fp] {
					t.Errorf("fingerprint %s both fired and cleared", fp)
				}
			}
		})
	}
}

// The evidence and action of each kind, exactly.
func TestFeedCandidates(t *testing.T) {
	st := feedStat("wms-east", 14*time.Hour+30*time.Minute, 2*time.Hour)
	fire, _ := Feeds{}.Detect([]store.FeedStat{st}, feedNow, "ops", nil)
	want := alert.Candidate{
		Kind: alert.KindStaleFeed, Source: "wms-east", Labels: map[string]string{"source": "wms-east"},
		Tier: score.Actionable, ResponseClass: score.PlannerReview, Owner: "ops",
		RecommendedAction: "Check the wms-east export job and its link to Quartermaster: its last batch arrived Nov 27 00:00 UTC, " +
			"15h ago, and it is usually silent no more than 2h",
		ActionKey: "check feed wms-east",
		Evidence: map[string]any{"source": "wms-east", "last_arrival": "2026-11-27T00:00:00Z", "last_event_time": "2026-11-26T23:50:00Z",
			"silent_hours": 14.5, "usual_gap_hours": 2.0, "threshold_hours": 6.0},
	}
	if len(fire) != 1 || !reflect.DeepEqual(fire[0], want) {
		t.Errorf("stale_feed =\n%#v\nwant\n%#v", fire, want)
	}

	st = refusing(feedStat("wms-west", time.Minute, time.Hour), 70, map[string]int{"missing_field": 20, "negative_quantity": 8, "unknown_sku": 1, "future_time": 1})
	fire, _ = Feeds{}.Detect([]store.FeedStat{st}, feedNow, "ops", nil)
	want = alert.Candidate{
		Kind: alert.KindDataQuality, Source: "wms-west", Labels: map[string]string{"source": "wms-west"},
		Tier: score.Actionable, ResponseClass: score.PlannerReview, Owner: "ops",
		RecommendedAction: "Fix the wms-west export: 30 of its 100 records since 11:00 UTC were refused (30%), " +
			"mostly missing_field (20), negative_quantity (8), future_time (1); see `quartermaster quarantine list --source wms-west --reason missing_field`",
		ActionKey: "fix feed wms-west",
		Evidence: map[string]any{"source": "wms-west", "quarantined": 30, "accepted": 70, "share": 0.3,
			"by_reason":   map[string]any{"missing_field": 20, "negative_quantity": 8, "unknown_sku": 1, "future_time": 1},
			"top_reasons": []string{"missing_field", "negative_quantity", "future_time"}, "window_hours": 3.5, "since": "2026-11-27T11:00:00Z"},
	}
	if len(fire) != 1 || !reflect.DeepEqual(fire[0], want) {
		t.Errorf("data_quality =\n%#v\nwant\n%#v", fire, want)
	}
}

func TestFreshness(t *testing.T) {
	east := feedStat("wms-east", 9*time.Hour, time.Hour)
	east.Sites = []string{"DC-EAST", "DC-NORTH"}
	west := refusing(feedStat("wms-west", time.Minute, time.Hour), 10, map[string]int{"negative_quantity": 10})
	west.Sites = []string{"DC-WEST"}
	erp := feedStat("erp", time.Minute, time.Hour)
	erp.Sites = []string{"DC-EAST", "DC-WEST"}
	fr := Feeds{}.Freshness([]store.FeedStat{east, erp, west}, feedNow)
	tests := []struct {
		site    string
		conf    float64
		caveats []string
	}{
		{"DC-EAST", StaleFeedConfidence, []string{"feed wms-east silent for 9h"}},
		{"DC-WEST", PoorFeedConfidence, []string{"feed wms-west has 50% of its records refused"}},
		{"DC-SOUTH", 1, nil},
	}
	for _, tt := range tests {
		conf, caveats := fr.Confidence(tt.site)
		if conf != tt.conf || !slices.Equal(caveats, tt.caveats) {
			t.Errorf("Confidence(%s) = %v, %q; want %v, %q", tt.site, conf, caveats, tt.conf, tt.caveats)
		}
	}
	var none *Freshness
	if conf, caveats := none.Confidence("DC-EAST"); conf != 1 || caveats != nil {
		t.Errorf("nil Freshness: %v, %v", conf, caveats)
	}
}

// feedRig is a Runner whose only work is the feed hook, over real Redis,
// on a clock the test moves.
type feedRig struct {
	st    *store.Store
	r     *Runner
	now   time.Time
	watch *FeedWatch
}

func newFeedRig(t *testing.T, start time.Time) *feedRig {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	if err := st.LoadScripts(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := &feedRig{st: st, now: start}
	clock := func() time.Time { return g.now }
	mgr := alert.NewManager(st, clock, nil)
	none := func(context.Context) ([]string, error) { return nil, nil }
	g.r = NewRunner(st, &Policy{}, nil, mgr, none, func() bool { return true }, clock, time.Hour,
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	g.watch = &FeedWatch{Store: st, Owner: "ops"}
	g.r.Feeds = g.watch.Check
	return g
}

// send records n entries from src at the rig's clock, bad of them refused
// for reason.
func (g *feedRig) send(t *testing.T, src string, n, bad int, reason string) {
	t.Helper()
	var fs []store.FeedEntry
	for i := range n {
		e := store.FeedEntry{Source: src, Arrived: g.now, Status: store.FeedAccepted, Occurred: g.now.Add(-time.Minute), Site: "DC-1"}
		if i < bad {
			e = store.FeedEntry{Source: src, Arrived: g.now, Status: store.FeedQuarantined, Reason: reason}
		}
		fs = append(fs, e)
	}
	if err := g.st.Settle(context.Background(), nil, fs); err != nil {
		t.Fatal(err)
	}
}

// changes lists the alert stream as "kind/source change".
func (g *feedRig) changes(t *testing.T) []string {
	t.Helper()
	log, err := g.st.AlertLog(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		var a alert.Alert
		if err := json.Unmarshal(e.Record, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Kind+"/"+a.Labels["source"]+" "+string(a.Change))
	}
	return out
}

// A feed that goes silent raises stale_feed on the sweep, with the
// evidence on the alert stream, and resolves when it sends again.
func TestStaleFeedRaisedAndCleared(t *testing.T) {
	start := time.Date(2026, 11, 20, 0, 10, 0, 0, time.UTC)
	g := newFeedRig(t, start)
	ctx := context.Background()
	for range 48 {
		g.send(t, "wms-east", 10, 0, "")
		g.send(t, "erp", 5, 0, "")
		g.now = g.now.Add(time.Hour)
	}
	last := g.now.Add(-time.Hour)
	for range 6 { // erp keeps sending, wms-east stops: silent 7h
		g.send(t, "erp", 5, 0, "")
		g.now = g.now.Add(time.Hour)
	}
	g.r.Sweep(ctx)
	if got, want := g.changes(t), []string{"stale_feed/wms-east raised"}; !slices.Equal(got, want) {
		t.Fatalf("alert changes = %v, want %v", got, want)
	}
	raw, _, err := g.st.Alert(ctx, FeedFingerprint(alert.KindStaleFeed, "wms-east"))
	if err != nil {
		t.Fatal(err)
	}
	var a alert.Alert
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	wantEvidence := map[string]any{
		"source":          "wms-east",
		"last_arrival":    last.Format(time.RFC3339),
		"last_event_time": last.Add(-time.Minute).Format(time.RFC3339),
		"silent_hours":    7.0,
		"usual_gap_hours": 1.0,
		"threshold_hours": 6.0,
	}
	if a.State != alert.Firing || a.Tier != score.Actionable || a.Owner != "ops" || !reflect.DeepEqual(a.Evidence, wantEvidence) {
		t.Errorf("alert = %s %s %s %v, want firing actionable ops %v", a.State, a.Tier, a.Owner, a.Evidence, wantEvidence)
	}
	if conf, _ := g.watch.Freshness().Confidence("DC-1"); conf != StaleFeedConfidence {
		t.Errorf("confidence at DC-1 = %v, want %v", conf, StaleFeedConfidence)
	}

	g.r.Sweep(ctx) // still silent: nothing new
	g.send(t, "wms-east", 1, 0, "")
	g.r.Sweep(ctx)
	if got, want := g.changes(t), []string{"stale_feed/wms-east raised", "stale_feed/wms-east resolved"}; !slices.Equal(got, want) {
		t.Errorf("alert changes = %v, want %v", got, want)
	}
}

// A feed with 30% of its records refused raises data_quality with the
// counts by reason; it holds while the share stays above half the
// threshold and resolves below it.
func TestDataQualityWithHysteresis(t *testing.T) {
	g := newFeedRig(t, time.Date(2026, 11, 20, 9, 5, 0, 0, time.UTC))
	ctx := context.Background()
	g.send(t, "wms-west", 70, 0, "")
	g.send(t, "wms-west", 20, 20, "missing_field")
	g.send(t, "wms-west", 10, 10, "negative_quantity")
	g.r.Sweep(ctx)
	if got, want := g.changes(t), []string{"data_quality/wms-west raised"}; !slices.Equal(got, want) {
		t.Fatalf("alert changes = %v, want %v", got, want)
	}
	raw, _, _ := g.st.Alert(ctx, FeedFingerprint(alert.KindDataQuality, "wms-west"))
	var a alert.Alert
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if a.Evidence["quarantined"] != 30.0 || a.Evidence["accepted"] != 70.0 || a.Evidence["share"] != 0.3 ||
		!reflect.DeepEqual(a.Evidence["by_reason"], map[string]any{"missing_field": 20.0, "negative_quantity": 10.0}) {
		t.Errorf("evidence = %v", a.Evidence)
	}

	// Three hours on, the window holds only new records: 3% refused, under
	// the 5% that raises it but over the 2.5% that clears it.
	g.now = g.now.Add(4 * time.Hour)
	g.send(t, "wms-west", 97, 0, "")
	g.send(t, "wms-west", 3, 3, "missing_field")
	g.r.Sweep(ctx)
	if got := g.changes(t); len(got) != 1 {
		t.Errorf("alert changes = %v, want it still open", got)
	}
	g.send(t, "wms-west", 100, 0, "") // 3 of 200: 1.5%
	g.r.Sweep(ctx)
	if got, want := g.changes(t), []string{"data_quality/wms-west raised", "data_quality/wms-west resolved"}; !slices.Equal(got, want) {
		t.Errorf("alert changes = %v, want %v", got, want)
	}
}

// With no statistics at all the feed hook raises and writes nothing.
func TestFeedsWithoutStatistics(t *testing.T) {
	g := newFeedRig(t, feedNow)
	g.r.Sweep(context.Background())
	if got := g.changes(t); len(got) != 0 {
		t.Errorf("alert changes = %v, want none", got)
	}
	if fr := g.watch.Freshness(); fr == nil || len(fr.Feeds) != 0 {
		t.Errorf("freshness = %+v, want an empty one", fr)
	}
}

// The simulator's broken feed (wms-west sending bad records for four hours
// from day 3, 09:00) raises data_quality at the default thresholds, and
// nothing else does, swept every simulated hour as production sweeps
// every few minutes.
func TestSimBrokenFeedRaisesDataQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulation through the consumer")
	}
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	ctx := context.Background()
	s := sim.New(sim.Config{Seed: 1})
	var broken sim.Disruption
	for _, d := range s.Scenario() {
		if d.Kind == sim.KindBrokenFeed {
			broken = d
		}
	}
	var ids store.IDClock
	appendRecs := func(recs []sim.Record) {
		ids2 := make([]string, len(recs))
		bodies := make([][]byte, len(recs))
		for i, r := range recs {
			ids2[i], bodies[i] = ids.Next(r.At), r.Body
		}
		if len(recs) > 0 {
			if err := st.AppendAt(ctx, ids2, bodies); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendRecs(s.Backfill())
	c := consume.NewConsumer(st, consume.Config{Group: "qm", Consumer: "c1", BatchSize: 1000, Block: 10 * time.Millisecond,
		ClaimMinIdle: time.Hour, ClaimInterval: time.Hour}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil, time.Now)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- c.Run(cctx) }()
	defer func() { cancel(); <-done }()
	drain := func() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			g, err := st.Group(ctx, "qm")
			if err == nil && g.Lag == 0 && g.Pending == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("consumer did not drain: %+v %v", g, err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	w := &FeedWatch{Store: st, Owner: "ops"}
	var raised []string
	from := broken.At.Add(-4 * time.Hour)
	appendRecs(s.Advance(from))
	for now := from.Add(time.Hour); !now.After(broken.At.Add(8 * time.Hour)); now = now.Add(time.Hour) {
		appendRecs(s.Advance(now))
		drain()
		fire, _, err := w.Check(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range fire {
			if c.Kind == alert.KindDataQuality {
				raised = append(raised, c.Labels["source"]+" at "+now.Sub(broken.At).String())
			}
		}
	}
	if len(raised) == 0 || raised[0] != broken.Source+" at 3h0m0s" {
		t.Errorf("data_quality raised %v, want %s first 3h into the broken feed", raised, broken.Source)
	}
	for _, r := range raised {
		if !strings.HasPrefix(r, broken.Source+" ") {
			t.Errorf("data_quality raised for %s", r)
		}
	}
}
