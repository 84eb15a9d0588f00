package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const signingSecret = "test-signing-secret"

// syncBuffer is the console, read while the app writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type running struct {
	app     *App
	console *syncBuffer
	base    string
	stop    func()
}

// start runs an App against rdb with a fixed detection clock.
func start(t *testing.T, rdb redis.UniversalClient, prefix string, now time.Time) *running {
	t.Helper()
	return startWith(t, rdb, prefix, now, nil)
}

// startWith starts a replica whose options change first changes.
func startWith(t *testing.T, rdb redis.UniversalClient, prefix string, now time.Time, change func(*Options)) *running {
	t.Helper()
	cfg := config.Default()
	cfg.Prefix = prefix
	cfg.Roles = map[string]string{"U1": "planner"}
	cfg.Ingest.Block = config.Duration(50 * time.Millisecond)
	cfg.Stock.SweepInterval = config.Duration(time.Hour)
	out := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opt := Options{
		Config: cfg, Env: config.Env{IngestToken: "s3cret", SlackSigningSecret: signingSecret}, Redis: rdb, Listen: "127.0.0.1:0",
		Consumer: "test", Now: func() time.Time { return now }, Out: out, Log: log,
	}
	if change != nil {
		change(&opt)
	}
	a, err := New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	r := &running{app: a, console: out, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("app: %v", err)
			}
		})
	}}
	t.Cleanup(r.stop)
	waitFor(t, "listener", func() bool { return a.Addr() != "" })
	r.base = "http://" + a.Addr()
	return r
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *running) post(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.base+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// scenario is SKU1 at DC1 with 30 on hand, 20 a day sold over the last 28
// days, priced $50 with a 14-day lead time: it runs out tomorrow.
func scenario(now time.Time) string {
	today := now.UTC().Truncate(24 * time.Hour)
	var b strings.Builder
	line := func(s string, args ...any) { fmt.Fprintf(&b, s+"\n", args...) }
	at := today.AddDate(0, 0, -40).Format(time.RFC3339)
	line(`{"id":"m1","type":"masterdata.site","occurred_at":%q,"source":"erp","site":"DC1","name":"East","region":"east"}`, at)
	line(`{"id":"m2","type":"masterdata.sku","occurred_at":%q,"source":"erp","sku":"SKU1","name":"Widget","unit_cost":20,"unit_price":50,"class":"A","lead_time_days":14,"owner":"ana"}`, at)
	for i := 1; i <= 28; i++ {
		d := today.AddDate(0, 0, -i).Add(10 * time.Hour).Format(time.RFC3339)
		line(`{"id":"o%d","type":"order.created","occurred_at":%q,"source":"erp","order":"O%d","sku":"SKU1","site":"DC1","qty":20}`, i, d, i)
	}
	line(`{"id":"s1","type":"inventory.snapshot","occurred_at":%q,"source":"wms","sku":"SKU1","site":"DC1","on_hand":30}`, now.Add(-time.Hour).Format(time.RFC3339))
	return b.String()
}

func alerts(t *testing.T, st *store.Store) []map[string]any {
	t.Helper()
	log, err := st.AlertLog(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range log {
		var m map[string]any
		if err := json.Unmarshal(e.Record, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestEndToEnd(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	now := time.Now().UTC().Truncate(time.Second)
	r := start(t, rdb, prefix, now)

	code, body := r.post(t, scenario(now)+`{"id":"bad1","type":"inventory.snapshot","occurred_at":"2026-01-01T00:00:00Z","source":"wms","sku":"NOPE","site":"DC1","on_hand":5}`+"\n")
	if code != http.StatusAccepted || body["accepted"] != 32.0 {
		t.Fatalf("POST /v1/events = %d %v", code, body)
	}
	waitFor(t, "the stockout alert", func() bool { return len(alerts(t, r.app.Store)) > 0 })
	a := alerts(t, r.app.Store)[0]

	// Every field the contract names, computed as it defines them: 30 on
	// hand at 20 a day covers today with 10 left; tomorrow is short 10, then
	// 20 a day until an order placed today lands in 14 days: 10 + 12 x 20 =
	// 250 units x $50 = $12,500, from tomorrow 00:00.
	tomorrow := now.Truncate(24*time.Hour).AddDate(0, 0, 1)
	tti := float64(int(tomorrow.Sub(now).Hours()*100+0.5)) / 100
	want := map[string]any{
		"kind": "stockout_risk", "tier": "critical", "state": "firing", "sku": "SKU1", "site": "DC1",
		"stockout_date": tomorrow.Format(time.DateOnly), "days_of_supply": 1.5, "revenue_at_risk": 12500.0,
		"time_to_impact_hours": tti, "response_class": "finance_approval", "owner": "ana",
		"detected_at": now.Format(time.RFC3339),
	}
	for k, v := range want {
		if !reflect.DeepEqual(a[k], v) {
			t.Errorf("%s = %v (%T), want %v", k, a[k], a[k], v)
		}
	}
	for _, k := range []string{"id", "fingerprint", "trigger_event_ids", "score", "recommended_action", "evidence"} {
		if a[k] == nil || a[k] == "" {
			t.Errorf("field %s missing in %v", k, a)
		}
	}
	if ids := a["trigger_event_ids"].([]any); len(ids) == 0 {
		t.Errorf("no trigger event ids")
	}
	if ev := a["evidence"].(map[string]any); ev["on_hand"] != 30.0 || ev["daily_demand"] != 20.0 {
		t.Errorf("evidence = %v", ev)
	}
	// Chat delivery reads the alert stream back, a moment later.
	waitFor(t, "the alert on the console", func() bool {
		return strings.Contains(r.console.String(), "CRITICAL") && strings.Contains(r.console.String(), "SKU1@DC1")
	})

	// The bad event is quarantined with its reason, not lost.
	waitFor(t, "quarantine", func() bool {
		q, _ := r.app.Store.QuarantineList(context.Background(), "", 10)
		return len(q) == 1 && q[0].Reason == "unknown_sku"
	})

	// /qm status answers from the same projection, for the asker only.
	status := slackPost(t, r.base+"/slack/commands", url.Values{"user_id": {"U1"}, "channel_id": {"C1"}, "text": {"status SKU1@DC1"}}.Encode())
	for _, want := range []string{"SKU1@DC1", "30 on hand", "1.5 days of supply", "$12,500 at risk", "ephemeral"} {
		if !strings.Contains(status, want) {
			t.Errorf("/qm status lacks %q: %s", want, status)
		}
	}
	if got := slackPost(t, r.base+"/slack/commands", url.Values{"user_id": {"U1"}, "text": {"status NOPE@DC1"}}.Encode()); !strings.Contains(got, "I have no data for NOPE@DC1") {
		t.Errorf("/qm status of nothing: %s", got)
	}

	// A planner acknowledges it from Slack: a signed button click.
	slackPost(t, r.base+"/slack/interactions", url.Values{"payload": {`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"container":{"message_ts":"171.1"},` +
		`"actions":[{"block_id":"qm_actions","action_id":"qm_ack","value":"` + a["id"].(string) + `"}]}`}}.Encode())
	waitFor(t, "the acknowledgement", func() bool {
		all := alerts(t, r.app.Store)
		return all[len(all)-1]["state"] == "acknowledged" && all[len(all)-1]["acknowledged_by"] == "U1"
	})

	// A large receipt clears the risk and resolves the alert, once.
	code, _ = r.post(t, fmt.Sprintf(`{"id":"r1","type":"inventory.received","occurred_at":%q,"source":"wms","sku":"SKU1","site":"DC1","qty":5000}`, now.Format(time.RFC3339)))
	if code != http.StatusAccepted {
		t.Fatalf("POST receipt = %d", code)
	}
	waitFor(t, "resolution", func() bool {
		all := alerts(t, r.app.Store)
		return all[len(all)-1]["state"] == "resolved"
	})
	waitFor(t, "the resolution on the console", func() bool { return strings.Contains(r.console.String(), "resolved") })
	all := alerts(t, r.app.Store)
	if len(all) != 3 || all[2]["id"] != a["id"] || !reflect.DeepEqual(all[2]["trigger_event_ids"], []any{"r1"}) {
		t.Errorf("alert stream = %v", all)
	}

	// Acknowledgement from another system, for the resolved episode: no change.
	r.post(t, fmt.Sprintf(`{"id":"ack1","type":"exception.acknowledged","occurred_at":%q,"source":"itsm","alert":%q,"by":"ana"}`, now.Format(time.RFC3339), a["id"]))

	// HTTP surface.
	for path, wantCode := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get(r.base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantCode {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, b)
		}
		if path == "/metrics" {
			for _, m := range []string{"qm_events_consumed_total", `qm_events_quarantined_total{reason="unknown_sku"} 1`, "qm_event_processing_latency_seconds_bucket", "qm_consumer_lag", "qm_alert_changes_total", `qm_decision_latency_seconds_count{resolved_by="people",stage="recovery"} 1`, `qm_decision_latency_seconds_count{resolved_by="",stage="acknowledgement"} 1`, `qm_decision_latency_seconds_count{resolved_by="",stage="detection"} 1`, "qm_notifications_total"} {
				if !strings.Contains(string(b), m) {
					t.Errorf("/metrics lacks %s", m)
				}
			}
		}
	}
	resp, _ := http.Post(r.base+"/v1/events", "application/json", strings.NewReader("[]"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without token = %d, want 401", resp.StatusCode)
	}
	resp.Body.Close()

	// Replay rebuilds the same state from the raw stream into fresh keys.
	r.stop()
	ctx := context.Background()
	fresh := r.app.Store.WithGeneration(2)
	stats, err := consume.Replay(ctx, fresh, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Entries != 34 || stats.Refused != 1 {
		t.Errorf("replay stats %+v", stats)
	}
	live, err := r.app.Store.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := fresh.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) == 0 || !reflect.DeepEqual(live, rebuilt) {
		t.Errorf("replayed state differs from live state:\nlive    %v\nrebuilt %v", live, rebuilt)
	}
}

// Redis restarting mid-run (and coming back empty, as one without
// persistence does) makes the bot reconnect with backoff and carry on.
func TestRedisRestart(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetryBackoff: 100 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	now := time.Now().UTC().Truncate(time.Second)
	r := start(t, rdb, "qm:", now)
	waitFor(t, "ready", func() bool { return r.app.consumer.Consuming() })

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The bot notices, backs off, recreates its group and consumes again.
	waitFor(t, "recovery", func() bool {
		code, _ := r.post(t, scenario(now))
		return code == http.StatusAccepted
	})
	waitFor(t, "an alert after the restart", func() bool { return len(alerts(t, r.app.Store)) > 0 })
	if a := alerts(t, r.app.Store)[0]; a["kind"] != alert.KindStockout {
		t.Errorf("alert after restart = %v", a)
	}
}

// slackPost sends a form as Slack signs it and returns the answer.
func slackPost(t *testing.T, target, form string) string {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":" + form))
	req, _ := http.NewRequest("POST", target, strings.NewReader(form))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s: %v %v", target, resp, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Inhibition: an open alert that stands for another mutes it in chat.
func TestMuted(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	now := time.Now().UTC()
	r := start(t, rdb, prefix, now)
	ctx := context.Background()
	mgr := alert.NewManager(r.app.Store, func() time.Time { return now }, nil)
	fire := func(c alert.Candidate) alert.Alert {
		t.Helper()
		a, err := mgr.Fire(ctx, c)
		if err != nil || a == nil {
			t.Fatalf("fire %+v: %v", c, err)
		}
		return *a
	}
	delay := fire(alert.Candidate{Kind: alert.KindShipmentDelay, SKU: "SKU1", Site: "DC1", ActionKey: "shipment_delay SH-1"})
	slip := fire(alert.Candidate{Kind: alert.KindSupplierSlip, SKU: "SKU1", Site: "DC1", ActionKey: "supplier_slip PO-1", Labels: map[string]string{"supplier": "SUP-4"}})
	check := func(a alert.Alert, want bool) {
		t.Helper()
		if got, err := r.app.muted(ctx, a); err != nil || got != want {
			t.Errorf("%s muted = %v, %v; want %v", a.Kind, got, err, want)
		}
	}
	check(delay, false)
	check(slip, false)
	fire(alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", ActionKey: "expedite SH-1"})
	fire(alert.Candidate{Kind: alert.KindSupplierSlip, Supplier: "SUP-4", ActionKey: "call supplier SUP-4"})
	check(delay, true)
	check(slip, true)
	// A stockout that recommends something else does not stand for the delay.
	fire(alert.Candidate{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", ActionKey: "transfer from DC2"})
	check(delay, false)
}
