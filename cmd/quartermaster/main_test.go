package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

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

// cli runs the command line in-process with the given environment.
func cli(ctx context.Context, env map[string]string, args ...string) (stdout, stderr string, err error) {
	var out, errb syncBuffer
	cmd := newRoot(&out, &errb, func(k string) string { return env[k] })
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"demo", "--help"}, {"run", "--help"}, {"ingest", "--help"}, {"replay", "--help"},
		{"quarantine", "--help"}, {"quarantine", "list", "--help"}, {"quarantine", "replay", "--help"}, {"forecast", "--help"}, {"kpi", "--help"}, {"whatif", "--help"}, {"audit", "verify", "--help"}, {"audit", "list", "--help"}, {"config", "--help"}, {"version", "--help"},
	} {
		out, _, err := cli(context.Background(), nil, args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: err %v, output %q", args, err, out)
		}
	}
}

func TestMalformedConfigFailsStartup(t *testing.T) {
	_, _, err := cli(context.Background(), nil, "run", "--config", "testdata/bad.yaml", "--listen", "")
	if err == nil {
		t.Fatal("run started with a malformed config")
	}
	msg := err.Error()
	for _, want := range []string{"testdata/bad.yaml", "line 3", "ingest.blok"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Count(msg, "\n") > 0 {
		t.Errorf("error spans several lines: %q", msg)
	}
}

func TestConfigCommand(t *testing.T) {
	out, _, err := cli(context.Background(), map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret-value"}, "config", "--config", "../../deploy/quartermaster.example.yaml")
	if err != nil || !strings.Contains(out, "batch_size: 500") {
		t.Fatalf("config: %v\n%s", err, out)
	}
	if strings.Contains(out, "xoxb-secret-value") {
		t.Errorf("config printed a secret:\n%s", out)
	}
}

func TestDataCommandsNeedRedisURL(t *testing.T) {
	for _, args := range [][]string{{"ingest", "x.jsonl"}, {"replay"}, {"quarantine", "list"}} {
		_, _, err := cli(context.Background(), nil, args...)
		if err == nil || !strings.Contains(err.Error(), "REDIS_URL is unset") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
}

// The demo shows a critical stockout alert within its first 30 seconds.
// It runs the real binary, built without the race detector, because the
// promise is about the product as users run it, not about an instrumented
// test build.
func TestDemoShowsCriticalAlertWithin30s(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "quartermaster")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out, errb syncBuffer
	cmd := exec.Command(bin, "demo", "--duration", "30s", "--listen", "")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for !strings.Contains(out.String(), "CRITICAL") {
		select {
		case err := <-done:
			t.Fatalf("demo ended (%v) without a critical alert:\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("first critical alert after %s", time.Since(start).Round(time.Millisecond))
	cmd.Process.Signal(os.Interrupt)
	if err := <-done; err != nil {
		t.Errorf("demo did not stop cleanly on interrupt: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "redis: embedded store") || !strings.Contains(errb.String(), "chat: console") {
		t.Errorf("start-up does not say what it uses:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "port_delay") {
		t.Errorf("demo banner lacks the scenario:\n%s", out.String())
	}
}

// ingest, run, quarantine list and replay, and replay work together on one
// Redis.
func TestDataCommands(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	env := map[string]string{"REDIS_URL": srv.URL()}
	ctx := context.Background()
	dir := t.TempDir()
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.jsonl", fmt.Sprintf(`{"id":"m1","type":"masterdata.site","occurred_at":%[1]q,"source":"erp","site":"DC1","name":"East","region":"east"}
{"id":"s1","type":"inventory.snapshot","occurred_at":%[1]q,"source":"wms","sku":"SKU9","site":"DC1","on_hand":5}
this line is not JSON
`, at))
	out, _, err := cli(ctx, env, "ingest", first)
	if err != nil || !strings.Contains(out, "2 events appended") || !strings.Contains(out, "1 rejected") || !strings.Contains(out, "line 3") {
		t.Fatalf("ingest: %v\n%s", err, out)
	}

	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() {
		_, _, err := cli(runCtx, env, "run", "--listen", "", "--consumer", "c1")
		ran <- err
	}()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	waitOut := func(what string, args ...string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, _, err := cli(ctx, env, args...)
			if err == nil && strings.Contains(out, what) {
				return out
			}
			if time.Now().After(deadline) {
				t.Fatalf("%v never said %q; last: %v\n%s", args, what, err, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitOut("unknown_sku", "quarantine", "list")
	if out, _, err := cli(ctx, env, "quarantine", "list", "--source", "wms"); err != nil || !strings.Contains(out, "from wms") || !strings.Contains(out, "1 quarantined events shown") {
		t.Errorf("quarantine list --source wms: %v\n%s", err, out)
	}
	if out, _, err := cli(ctx, env, "quarantine", "list", "--source", "erp"); err != nil || !strings.Contains(out, "0 quarantined events shown") {
		t.Errorf("quarantine list --source erp: %v\n%s", err, out)
	}
	out = waitOut("re-submitted 0 of 1", "quarantine", "replay")
	if !strings.Contains(out, "1 still miss their reference") {
		t.Errorf("quarantine replay before the SKU exists: %s", out)
	}

	second := write("second.csv", "id,type,occurred_at,source,sku,name,unit_cost,unit_price,class\nm2,masterdata.sku,"+at+",erp,SKU9,Bolt,1,2,C\n")
	if out, _, err := cli(ctx, env, "ingest", second); err != nil || !strings.Contains(out, "1 events appended") {
		t.Fatalf("ingest csv: %v\n%s", err, out)
	}
	waitOut("re-submitted 1 of 1", "quarantine", "replay")
	out = waitOut("rebuilt generation 2 from 4 entries", "replay")
	if !strings.Contains(out, "3 applied") || !strings.Contains(out, "1 refused") {
		t.Errorf("replay: %s", out)
	}
	if out, _, err := cli(ctx, env, "whatif", "--slip", "SUP-1", "--days", "7"); err != nil || !strings.Contains(out, "SUP-1 7 days later: 0 positions change") {
		t.Errorf("whatif: %v\n%s", err, out)
	}
	if out, _, err := cli(ctx, env, "kpi"); err != nil || !strings.Contains(out, "SUPPLIER") || !strings.Contains(out, "DC1") {
		t.Errorf("kpi: %v\n%s", err, out)
	}
	if out, _, _ := cli(ctx, env, "quarantine", "replay"); !strings.Contains(out, "1 were re-submitted before") {
		t.Errorf("second quarantine replay re-submitted again: %s", out)
	}
}

func TestForecastCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	var b strings.Builder
	b.WriteString("unique_id,ds,y\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "W1,%d,%d\n", i, 100+i)
	}
	for i := 0; i < 36; i++ {
		fmt.Fprintf(&b, "P1,%s,%d\n", time.Date(2020, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), []int{0, 0, 3, 0, 1, 0}[i%6])
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, details := filepath.Join(dir, "out.csv"), filepath.Join(dir, "details.jsonl")
	stdout, _, err := cli(context.Background(), nil, "forecast", "--in", in, "--horizon", "3", "--out", out, "--details", details)
	if err != nil || !strings.Contains(stdout, "forecast 2 series 3 steps ahead") {
		t.Fatalf("forecast: %v\n%s", err, stdout)
	}
	got, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 7 || lines[0] != "unique_id,ds,yhat" {
		t.Fatalf("output:\n%s", got)
	}
	for i, want := range []string{"W1,31,", "W1,32,", "W1,33,", "P1,2023-01-01,", "P1,2023-02-01,", "P1,2023-03-01,"} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("line %d = %q, want prefix %q", i+2, lines[i+1], want)
		}
	}
	d, _ := os.ReadFile(details)
	if !strings.Contains(string(d), `"pattern":"intermittent"`) || !strings.Contains(string(d), `"unique_id":"W1"`) {
		t.Errorf("details:\n%s", d)
	}
	if _, _, err := cli(context.Background(), nil, "forecast", "--in", in); err == nil {
		t.Error("forecast without --out and --horizon succeeded")
	}
}

// With a Slack token, `run` posts alerts to the routed Slack channel (a
// stand-in Slack Web API here) and edits them as they change.
func TestRunPostsToSlack(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	var firstText string
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		calls[r.URL.Path]++
		if r.URL.Path == "/chat.postMessage" && firstText == "" {
			firstText = r.Form.Get("text")
		}
		mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":"C123","ts":"1700000000.%06d"}`, calls[r.URL.Path])
	}))
	defer slackAPI.Close()

	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "qm.yaml")
	os.WriteFile(cfgPath, []byte("routes:\n  - platform: slack\n    channel: C123\n    tiers: [critical, actionable, info]\n"), 0o644)
	env := map[string]string{"REDIS_URL": srv.URL(), "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slackAPI.URL + "/", "QM_CONFIG": cfgPath}

	// 30 on hand, 20 a day sold over four weeks: a stockout tomorrow.
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	var b strings.Builder
	at := today.AddDate(0, 0, -40).Format(time.RFC3339)
	fmt.Fprintf(&b, `{"id":"m1","type":"masterdata.site","occurred_at":%q,"source":"erp","site":"DC1","name":"East","region":"east"}`+"\n", at)
	fmt.Fprintf(&b, `{"id":"m2","type":"masterdata.sku","occurred_at":%q,"source":"erp","sku":"SKU1","name":"Widget","unit_cost":20,"unit_price":50,"class":"A","lead_time_days":14}`+"\n", at)
	for i := 1; i <= 28; i++ {
		fmt.Fprintf(&b, `{"id":"o%d","type":"order.created","occurred_at":%q,"source":"erp","order":"O%d","sku":"SKU1","site":"DC1","qty":20}`+"\n", i, today.AddDate(0, 0, -i).Add(10*time.Hour).Format(time.RFC3339), i)
	}
	fmt.Fprintf(&b, `{"id":"s1","type":"inventory.snapshot","occurred_at":%q,"source":"wms","sku":"SKU1","site":"DC1","on_hand":30}`+"\n", now.Add(-time.Hour).Format(time.RFC3339))
	file := filepath.Join(dir, "events.jsonl")
	os.WriteFile(file, []byte(b.String()), 0o644)

	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		_, _, err := cli(ctx, env, "run", "--listen", "", "--consumer", "c1")
		ran <- err
	}()
	if _, _, err := cli(context.Background(), env, "ingest", file); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		posted := calls["/chat.postMessage"]
		mu.Unlock()
		if posted > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no message reached Slack")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(firstText, "SKU1") {
		t.Errorf("first Slack message text %q does not name the SKU", firstText)
	}
}
