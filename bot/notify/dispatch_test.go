package notify_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"context"
	"errors"
	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// recorder is a chat platform that remembers what it was asked to do.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fail  func(n int) error // the error for the n-th call (from 0), or nil
}

type call struct {
	channel  string
	revision int64
	edit     bool
}

func (r *recorder) Notify(_ context.Context, channel string, a alert.Alert, prev *notify.Ref) (notify.Ref, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.calls)
	r.calls = append(r.calls, call{channel, a.Revision, prev != nil})
	if r.fail != nil {
		if err := r.fail(n); err != nil {
			return notify.Ref{}, err
		}
	}
	if prev != nil {
		return *prev, nil
	}
	return notify.Ref{Channel: channel, Message: a.ID, Thread: a.ID}, nil
}

func (r *recorder) sent() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func setup(t *testing.T) (*store.Store, *alert.Manager) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	return st, alert.NewManager(st, func() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }, nil)
}

func dispatcher(st *store.Store, consumer string, rec notify.Notifier) *notify.Dispatcher {
	return &notify.Dispatcher{
		St: st, Notifiers: map[string]notify.Notifier{"slack": rec}, Group: "notify", Consumer: consumer,
		Block: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Attempts: 3,
		Routes: []notify.Route{
			{Platform: "slack", Channel: "war-room", Match: func(a alert.Alert) bool { return a.Tier == score.Critical }},
			{Platform: "slack", Channel: "planners"},
		},
	}
}

func fire(t *testing.T, m *alert.Manager, tier score.Tier, revenue float64) {
	t.Helper()
	if _, err := m.Fire(context.Background(), alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1",
		Tier: tier, RevenueAtRisk: revenue, ActionKey: "reorder", Owner: "ana"}); err != nil {
		t.Fatal(err)
	}
}

// run starts dispatchers until they have delivered want calls in total.
func run(t *testing.T, rec *recorder, want int, ds ...*notify.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.sent()) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // anything extra would show now
	cancel()
	wg.Wait()
}

func TestOneMessagePerAlertEditedInPlace(t *testing.T) {
	st, m := setup(t)
	rec := &recorder{}
	d := dispatcher(st, "r1", rec)
	if err := d.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	fire(t, m, score.Actionable, 3000) // rev 1: planners only
	fire(t, m, score.Critical, 30000)  // rev 2: escalated, both rooms
	run(t, rec, 3, d)
	got := rec.sent()
	want := []call{{"planners", 1, false}, {"war-room", 2, false}, {"planners", 2, true}}
	if len(got) != len(want) {
		t.Fatalf("calls %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// A restarted bot (a new dispatcher, same consumer) edits the same
	// messages for the next change and posts nothing twice.
	fire(t, m, score.Info, 300) // rev 3: de-escalated, planners only
	rec2 := &recorder{}
	run(t, rec2, 1, dispatcher(st, "r1", rec2))
	if got := rec2.sent(); len(got) != 1 || got[0] != (call{"planners", 3, true}) {
		t.Errorf("after restart: %+v, want one edit of the planners message", got)
	}
}

// Two replicas in one group deliver every change once between them.
func TestReplicasDeliverOnce(t *testing.T) {
	st, m := setup(t)
	rec := &recorder{}
	a, b := dispatcher(st, "r1", rec), dispatcher(st, "r2", rec)
	if err := a.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		fire(t, m, score.Actionable, float64(1000*(i+1)*2))
	}
	run(t, rec, 5, a, b)
	seen := map[int64]int{}
	for _, c := range rec.sent() {
		seen[c.revision]++
	}
	for rev, n := range seen {
		if n != 1 {
			t.Errorf("revision %d sent %d times", rev, n)
		}
	}
	if len(seen) != 5 {
		t.Errorf("revisions sent: %v, want 5", seen)
	}
}

func TestRetriesAndRefusals(t *testing.T) {
	st, m := setup(t)
	// Rate limited twice, then through: one message, three calls.
	rec := &recorder{fail: func(n int) error {
		if n < 2 {
			return &notify.Error{Retryable: true, RetryAfter: 10 * time.Millisecond, Err: errors.New("rate limited")}
		}
		return nil
	}}
	d := dispatcher(st, "r1", rec)
	d.Prepare(context.Background())
	fire(t, m, score.Actionable, 3000)
	run(t, rec, 3, d)
	if got := rec.sent(); len(got) != 3 {
		t.Fatalf("calls %+v, want 3 (two rate limited)", got)
	}
	// Refused for good (no permission): the edit is tried once as a new
	// post, in case the message was deleted; then it is counted, not
	// retried, and the stream moves on.
	refused := &recorder{fail: func(int) error { return &notify.Error{Err: errors.New("missing_scope")} }}
	d2 := dispatcher(st, "r1", refused)
	fire(t, m, score.Actionable, 9000)
	run(t, refused, 2, d2)
	if got := refused.sent(); len(got) != 2 || !got[0].edit || got[1].edit {
		t.Errorf("refused calls %+v, want an edit then one new post", got)
	}
}

// A muted change reaches no chat and is not retried.
func TestMute(t *testing.T) {
	st, m := setup(t)
	rec := &recorder{}
	d := dispatcher(st, "r1", rec)
	d.Mute = func(_ context.Context, a alert.Alert) (bool, error) { return a.Revision == 1, nil }
	d.Prepare(context.Background())
	fire(t, m, score.Actionable, 3000) // rev 1: muted
	fire(t, m, score.Actionable, 9000) // rev 2: sent, as a new message
	run(t, rec, 1, d)
	if got := rec.sent(); len(got) != 1 || got[0] != (call{"planners", 2, false}) {
		t.Errorf("calls %+v, want only revision 2, posted new", got)
	}
}

// Actionable alerts become work items: created once per episode, then
// updated, each call with the episode and revision as idempotency key.
func TestWorkItems(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var item notify.WorkItem
		json.NewDecoder(r.Body).Decode(&item)
		mu.Lock()
		got = append(got, item.Event+" "+item.Queue+" "+r.Header.Get("Idempotency-Key"))
		mu.Unlock()
	}))
	defer srv.Close()
	st, m := setup(t)
	d := dispatcher(st, "r1", nil)
	d.Notifiers = map[string]notify.Notifier{"webhook": notify.WorkItems{Sender: &approve.Webhook{URL: srv.URL, Attempts: 1}}}
	d.Routes = []notify.Route{{Platform: "webhook", Channel: "tickets"}}
	d.Prepare(context.Background())
	fire(t, m, score.Actionable, 3000)
	fire(t, m, score.Actionable, 9000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	fp := alert.Fingerprint(alert.KindStockout, "SKU1", "DC1")
	want := []string{"create tickets " + alert.ID(fp, 1) + ":1", "update tickets " + alert.ID(fp, 1) + ":2"}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("work items %q, want %q", got, want)
	}
}

// digester is a recorder that can also post digests.
type digester struct {
	recorder
	digests [][]alert.Alert
}

func (d *digester) Digest(_ context.Context, _ string, changes []alert.Alert) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.digests = append(d.digests, changes)
	return nil
}

// A storm of changes for one route becomes one digest, not a message each.
func TestStormDigest(t *testing.T) {
	st, m := setup(t)
	rec := &digester{}
	d := dispatcher(st, "r1", rec)
	d.Routes = []notify.Route{{Platform: "slack", Channel: "planners"}}
	d.Prepare(context.Background())
	for i := range 30 {
		if _, err := m.Fire(context.Background(), alert.Candidate{Kind: alert.KindStockout, SKU: fmt.Sprintf("SKU%d", i), Site: "DC1",
			Tier: score.Actionable, RevenueAtRisk: float64(1000 + i), ActionKey: "reorder"}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rec.mu.Lock()
		n := len(rec.digests)
		rec.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.digests) != 1 || len(rec.digests[0]) != 30 || len(rec.calls) != 0 {
		t.Errorf("%d digests (first of %d), %d single messages; want one digest of 30 and none", len(rec.digests), lenFirst(rec.digests), len(rec.calls))
	}
	if text := notify.DigestText(rec.digests[0]); !strings.HasPrefix(text, "30 alert changes: 0 critical, 30 actionable, 0 info. ACTIONABLE stockout_risk SKU29@DC1 $1,029") ||
		!strings.Contains(text, "And 20 more.") {
		t.Errorf("digest text %q", text)
	}
}

func lenFirst(d [][]alert.Alert) int {
	if len(d) == 0 {
		return 0
	}
	return len(d[0])
}

// Pace spaces sends to one channel.
func TestPace(t *testing.T) {
	st, m := setup(t)
	rec := &recorder{}
	d := dispatcher(st, "r1", rec)
	d.Routes = []notify.Route{{Platform: "slack", Channel: "planners"}}
	d.Pace = map[string]time.Duration{"slack": 150 * time.Millisecond}
	d.Prepare(context.Background())
	fire(t, m, score.Actionable, 3000)
	fire(t, m, score.Actionable, 9000)
	fire(t, m, score.Actionable, 30000)
	start := time.Now()
	run(t, rec, 3, d)
	if got := len(rec.sent()); got != 3 {
		t.Fatalf("%d sends, want 3", got)
	}
	// Three sends with two gaps of 150ms between them.
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("three paced sends took %s, want at least 300ms", took)
	}
}

// Info changes go to the route's digest, not a message each: one digest
// per interval across replicas, with each alert's latest revision, leaving
// out alerts that grew louder and got a message of their own; an alert
// that has a message is edited in place even as info.
func TestInfoDigest(t *testing.T) {
	st, m := setup(t)
	ctx := context.Background()
	rec := &digester{}
	planners := notify.Route{Platform: "slack", Channel: "planners"}
	replica := func(name string) *notify.Dispatcher {
		d := dispatcher(st, name, rec)
		d.Routes, d.InfoDigest = []notify.Route{planners}, time.Hour
		return d
	}
	d1, d2 := replica("r1"), replica("r2")
	d1.Prepare(ctx)
	info := func(sku string, revenue float64) {
		if _, err := m.Fire(ctx, alert.Candidate{Kind: alert.KindStockout, SKU: sku, Site: "DC1", Tier: score.Info,
			RevenueAtRisk: revenue, ActionKey: "reorder"}); err != nil {
			t.Fatal(err)
		}
	}
	info("SKU1", 200)
	info("SKU2", 300)
	info("SKU2", 900)                  // a second revision of SKU2
	fire(t, m, score.Actionable, 3000) // SKU1 grows louder: a message of its own
	run(t, &rec.recorder, 1, d1)
	if got := rec.sent(); len(got) != 1 || got[0].channel != "planners" || got[0].edit {
		t.Fatalf("messages %+v, want one new message for the actionable change", got)
	}
	if err := d1.FlushDigest(ctx, planners); err != nil {
		t.Fatal(err)
	}
	if err := d2.FlushDigest(ctx, planners); err != nil { // the other replica, same interval
		t.Fatal(err)
	}
	rec.mu.Lock()
	digests := rec.digests
	rec.mu.Unlock()
	if len(digests) != 1 || len(digests[0]) != 1 {
		t.Fatalf("%d digests (first of %d changes), want one of 1", len(digests), lenFirst(digests))
	}
	if a := digests[0][0]; a.SKU != "SKU2" || a.RevenueAtRisk != 900 {
		t.Errorf("digest holds %s at $%v, want SKU2 at its latest ($900)", a.SKU, a.RevenueAtRisk)
	}
	// SKU1 now has a message: going back to info edits it in place.
	fire(t, m, score.Info, 300)
	run(t, &rec.recorder, 2, d1)
	if got := rec.sent(); len(got) != 2 || !got[1].edit {
		t.Errorf("messages %+v, want the de-escalation as an edit", got)
	}
}

// One change read by two routes of the same role is summarised once;
// a route of another role gets its own.
func TestSummaryOncePerRole(t *testing.T) {
	st, m := setup(t)
	rec := &recorder{}
	d := dispatcher(st, "r1", rec)
	d.Routes = []notify.Route{
		{Platform: "slack", Channel: "planners-east"}, {Platform: "slack", Channel: "planners-west"},
		{Platform: "slack", Channel: "finance", Role: "finance"},
	}
	var mu sync.Mutex
	calls := map[string]int{}
	d.Summarize = func(_ context.Context, a alert.Alert, role string) string {
		mu.Lock()
		defer mu.Unlock()
		calls[role]++
		return "summary for " + role
	}
	d.Prepare(context.Background())
	fire(t, m, score.Critical, 30000)
	run(t, rec, 3, d)
	mu.Lock()
	defer mu.Unlock()
	if len(rec.sent()) != 3 || calls[""] != 1 || calls["finance"] != 1 {
		t.Errorf("%d sends, summaries written %v; want 3 sends and one summary per role", len(rec.sent()), calls)
	}
}
