package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBench runs the whole benchmark, small, against a private
// redis-server: it builds and starts the bot, pushes the events through it
// and the raw baseline, and prints JSON.
func TestBench(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found on PATH: this test runs the bench against a private one; install it (apt-get install redis-server): %v", err)
	}
	// Never the developer's REDIS_URL: the bench would write to it.
	getenv := func(k string) string {
		if k == "REDIS_URL" {
			return ""
		}
		return os.Getenv(k)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-n", "5000", "--json", "--timeout", "2m"}, &stdout, &stderr, getenv)
	t.Logf("stderr:\n%s", stderr.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r result
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not the figures as JSON: %v\n%s", err, stdout.String())
	}
	if r.Events != 5000 || r.Replicas != 1 || r.BatchSize != 500 {
		t.Errorf("events %d, replicas %d, batch size %d; want 5000, 1, 500", r.Events, r.Replicas, r.BatchSize)
	}
	positive := map[string]float64{
		"append events/s":        r.Append.EventsPerSecond,
		"quartermaster events/s": r.Quartermaster.EventsPerSecond,
		"quartermaster seconds":  r.Quartermaster.Seconds,
		"share of raw":           r.ShareOfRaw,
		"alert latency count":    float64(r.AlertLatency.Count),
		"alert latency max":      float64(r.AlertLatency.Max),
	}
	if r.Raw == nil {
		t.Error("no raw redis figure")
	} else {
		positive["raw events/s"] = r.Raw.EventsPerSecond
	}
	for name, v := range positive {
		if !(v > 0) {
			t.Errorf("%s = %v, want more than 0", name, v)
		}
	}
	// The bench's own events, all of them, reached the bot's state.
	if got := r.Applied + r.Quarantined + r.Duplicates; got != 5000 {
		t.Errorf("applied %d + quarantined %d + duplicates %d = %d, want 5000", r.Applied, r.Quarantined, r.Duplicates, got)
	}
	if l := r.AlertLatency; !(l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
	if r.AlertsUnmatched != 0 {
		t.Errorf("%d alert revisions name trigger events the bench did not append", r.AlertsUnmatched)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "0"},
		{"--replicas", "0"},
		{"--batch-size", "10001"},
		{"--rate", "-1"},
		{"--timeout", "0s"},
		{"extra"},
		{"--no-such-flag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr, func(string) string { return "" }); code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	tests := []struct {
		name string
		ms   []int64
		want latency
	}{
		{"none", nil, latency{}},
		{"one", []int64{7}, latency{Count: 1, P50: 7, P90: 7, P99: 7, Max: 7}},
		{"unsorted", []int64{4, 1, 3, 2}, latency{Count: 4, P50: 2, P90: 4, P99: 4, Max: 4}},
		{"hundred", seq(1, 100), latency{Count: 100, P50: 50, P90: 90, P99: 99, Max: 100}},
		{"ten", seq(1, 10), latency{Count: 10, P50: 5, P90: 9, P99: 10, Max: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.ms)
			if got := percentiles(tt.ms); got != tt.want {
				t.Errorf("percentiles = %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(in, tt.ms) {
				t.Error("percentiles reordered its input")
			}
		})
	}
}

func seq(from, to int64) []int64 {
	var s []int64
	for i := to; i >= from; i-- {
		s = append(s, i)
	}
	return s
}

func TestResultString(t *testing.T) {
	tests := []struct {
		name string
		r    result
		want string
	}{
		{
			name: "full",
			r: result{
				Events: 200000, Replicas: 1,
				Append:        rate{EventsPerSecond: 180400},
				Quartermaster: rate{EventsPerSecond: 52000},
				Raw:           &rate{EventsPerSecond: 137000}, ShareOfRaw: 52000.0 / 137000,
				AlertLatency: latency{Count: 431, P50: 12, P90: 40, P99: 95, Max: 210},
			},
			want: "events 200000 | append 180k/s | quartermaster 52k/s (38% of raw) | raw redis 137k/s | alert latency p50 12ms p90 40ms p99 95ms max 210ms (n=431)",
		},
		{
			name: "paced, two replicas, no raw, sweeps",
			r: result{
				Events: 5000, Replicas: 2, Pace: 2000,
				Append:        rate{EventsPerSecond: 1999.6},
				Quartermaster: rate{EventsPerSecond: 1980},
				AlertLatency:  latency{Count: 3, P50: 1, P90: 2, P99: 2, Max: 2}, AlertsWithoutTriggers: 4,
			},
			want: "events 5000 | append 2.0k/s (paced at 2.0k/s) | quartermaster x2 2.0k/s | alert latency p50 1ms p90 2ms p99 2ms max 2ms (n=3; 4 without triggers)",
		},
		{
			name: "no alerts",
			r:    result{Events: 10, Replicas: 1, Append: rate{EventsPerSecond: 500}, Quartermaster: rate{EventsPerSecond: 400}},
			want: "events 10 | append 500/s | quartermaster 400/s | alert latency: no alert revisions with trigger events",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSum(t *testing.T) {
	body := []byte(`# HELP qm_events_consumed_total Events applied to state, by type.
# TYPE qm_events_consumed_total counter
qm_events_consumed_total{type="inventory.snapshot"} 1000
qm_events_consumed_total{type="order.created"} 2.5e+03
qm_events_consumed_total_extra 7
qm_detect_evaluations_total 42
`)
	tests := []struct {
		name  string
		want  float64
		found bool
	}{
		{"qm_events_consumed_total", 3500, true},
		{"qm_detect_evaluations_total", 42, true},
		{"qm_events_quarantined_total", 0, false},
	}
	for _, tt := range tests {
		if got, found := sum(body, tt.name); got != tt.want || found != tt.found {
			t.Errorf("sum(%s) = %v, %v; want %v, %v", tt.name, got, found, tt.want, tt.found)
		}
	}
}

func TestBotEnvHoldsNoCredentials(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "HOME=/root", "REDIS_URL=redis://prod:6379/0", "QM_CONFIG=/etc/qm.yaml",
		"SLACK_BOT_TOKEN=xoxb-1", "SLACK_APP_TOKEN=xapp-1", "DISCORD_BOT_TOKEN=d", "OPENAI_API_KEY=sk",
		"AZURE_OPENAI_API_KEY=a", "QM_INGEST_TOKEN=t", "REDIS_URLX=kept",
	}
	got := botEnv(in, "redis://127.0.0.1:1/0")
	want := []string{"PATH=/usr/bin", "HOME=/root", "REDIS_URLX=kept", "REDIS_URL=redis://127.0.0.1:1/0"}
	if !slices.Equal(got, want) {
		t.Errorf("botEnv = %q, want %q", got, want)
	}
}
