package llm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

var prompt = prompts.Prompt{ID: "alert_summary", Version: 3, System: "You summarise.", User: "Facts."}

func messages(p prompts.Prompt) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{Messages: llm.Messages(p)}
}

// harness is a client under test with what it reports: its metrics, its
// log and the waits it asked for between attempts.
type harness struct {
	reg   *prometheus.Registry
	log   *bytes.Buffer
	mu    sync.Mutex
	waits []time.Duration
}

func (h *harness) options() llm.Options {
	h.reg = prometheus.NewRegistry()
	h.log = &bytes.Buffer{}
	return llm.Options{
		Registerer: h.reg,
		Log:        slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.waits = append(h.waits, d)
			h.mu.Unlock()
			return ctx.Err()
		},
	}
}

// client is a client of env with h's options, after tweaks.
func (h *harness) client(t *testing.T, env config.Env, tweaks ...func(*llm.Options)) *llm.Client {
	t.Helper()
	opt := h.options()
	for _, tweak := range tweaks {
		tweak(&opt)
	}
	c, err := llm.New(env, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.waits...)
}

// value is the sum of the series of metric name whose labels include
// labels: a counter's value, or a histogram's sample count.
func (h *harness) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ticking is a clock that advances by step at every reading.
func ticking(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

func echo(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	return llmtest.Text("SKU-1 at DC-EAST runs out on 2026-11-28."), nil
}

func TestChatAccounting(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	c := h.client(t, s.Env(), func(opt *llm.Options) {
		opt.Now = ticking(1500 * time.Millisecond)
		opt.Prices = map[string]llm.Price{llmtest.Model: {InputPerM: 0.15, OutputPerM: 0.60}}
	})
	if c.Model() != llmtest.Model {
		t.Errorf("Model() = %q", c.Model())
	}

	resp, call, err := c.Chat(context.Background(), prompt, messages(prompt))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "SKU-1 at DC-EAST runs out on 2026-11-28." {
		t.Errorf("content = %q", got)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Model != llmtest.Model {
		t.Fatalf("requests = %+v, want one with the configured model", reqs)
	}
	// "You summarise." is 14 bytes (4 tokens) and "Facts." 6 (2), plus 4 of
	// framing each: 14 in. The answer's 40 bytes are 10 out.
	want := llm.Call{
		PromptID: "alert_summary", PromptVersion: 3, Model: llmtest.Model,
		PromptTokens: 14, CompletionTokens: 10,
		Latency:  1500 * time.Millisecond,
		CostUSD:  (14*0.15 + 10*0.60) / 1e6,
		Attempts: 1,
	}
	if call != want {
		t.Errorf("call = %+v\nwant   %+v", call, want)
	}

	for _, m := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"qm_llm_requests_total", []string{"model", llmtest.Model, "result", "ok"}, 1},
		{"qm_llm_requests_total", []string{"result", "retry"}, 0},
		{"qm_llm_tokens_total", []string{"model", llmtest.Model, "kind", "prompt"}, 14},
		{"qm_llm_tokens_total", []string{"model", llmtest.Model, "kind", "completion"}, 10},
		{"qm_llm_cost_usd_total", []string{"model", llmtest.Model}, want.CostUSD},
		{"qm_llm_latency_seconds", []string{"model", llmtest.Model}, 1},
	} {
		if got := h.value(t, m.name, m.labels...); got != m.want {
			t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
	for _, field := range []string{"prompt=alert_summary", "version=3", "prompt_tokens=14", "completion_tokens=10", "latency=1.5s", "attempts=1"} {
		if !strings.Contains(h.log.String(), field) {
			t.Errorf("log lacks %s:\n%s", field, h.log)
		}
	}
}

func TestChatModel(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	// A price found only under the model the server reports.
	prices := func(opt *llm.Options) {
		opt.Prices = map[string]llm.Price{"gpt-4o-2024-08-06": {InputPerM: 1e6, OutputPerM: 0}}
	}
	s2 := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		r := llmtest.Text("ok")
		r.Model = "gpt-4o-2024-08-06"
		return r, nil
	})
	for _, tc := range []struct {
		srv      *llmtest.Server
		model    string
		wantCost float64
	}{
		{s, "gpt-4o", 0},   // a model the request names, with no price
		{s2, "gpt-4o", 14}, // priced by the model the answer names: 14 prompt tokens at $1 each
	} {
		c := h.client(t, tc.srv.Env(), prices)
		req := messages(prompt)
		req.Model = tc.model
		_, call, err := c.Chat(context.Background(), prompt, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.srv.Requests()[0].Model; got != tc.model || call.Model != tc.model {
			t.Errorf("sent model %q, accounted %q, want %q", got, call.Model, tc.model)
		}
		if call.CostUSD != tc.wantCost {
			t.Errorf("cost = %v, want %v", call.CostUSD, tc.wantCost)
		}
	}
}

func TestRetry(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fails      int
		status     int
		retryAfter string
		attempts   int
		maxWait    time.Duration
		wantWaits  []time.Duration
		wantClass  string // "" when the call succeeds
	}{
		{"429 then ok", 1, 429, "1", 3, 0, []time.Duration{time.Second}, ""},
		{"429 fractional", 1, 429, "0.25", 3, 0, []time.Duration{250 * time.Millisecond}, ""},
		{"429 capped", 1, 429, "3600", 3, 2 * time.Second, []time.Duration{2 * time.Second}, ""},
		{"429 without header backs off", 2, 429, "", 3, 0, []time.Duration{500 * time.Millisecond, time.Second}, ""},
		{"5xx then ok", 2, 503, "", 3, 0, []time.Duration{500 * time.Millisecond, time.Second}, ""},
		{"5xx every time", 3, 500, "", 3, 0, []time.Duration{500 * time.Millisecond, time.Second}, llm.ClassServer},
		{"429 every time", 2, 429, "1", 2, 0, []time.Duration{time.Second}, llm.ClassRateLimited},
		{"400", 1, 400, "", 3, 0, nil, llm.ClassClient},
		{"404", 1, 404, "", 3, 0, nil, llm.ClassClient},
		{"401", 1, 401, "", 3, 0, nil, llm.ClassAuth},
		{"403", 1, 403, "1", 3, 0, nil, llm.ClassAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.New(t, echo)
			s.Fail(tc.fails, tc.status, tc.retryAfter)
			var h harness
			c := h.client(t, s.Env(), func(opt *llm.Options) {
				opt.Attempts = tc.attempts
				opt.MaxWait = tc.maxWait
			})
			_, call, err := c.Chat(context.Background(), prompt, messages(prompt))

			wantAttempts := len(tc.wantWaits) + 1
			if got := len(s.Requests()); got != wantAttempts || call.Attempts != wantAttempts {
				t.Errorf("server saw %d requests, call says %d attempts, want %d", got, call.Attempts, wantAttempts)
			}
			if got := h.slept(); fmt.Sprint(got) != fmt.Sprint(tc.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tc.wantWaits)
			}
			if got := h.value(t, "qm_llm_requests_total", "result", "retry"); got != float64(len(tc.wantWaits)) {
				t.Errorf("retries counted = %v, want %d", got, len(tc.wantWaits))
			}
			if tc.wantClass == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if got := h.value(t, "qm_llm_requests_total", "result", "ok"); got != 1 {
					t.Errorf("ok counted = %v", got)
				}
				return
			}
			e, ok := errors.AsType[*llm.Error](err)
			if !ok {
				t.Fatalf("err = %v, want *llm.Error", err)
			}
			if e.Class != tc.wantClass || e.Status != tc.status || e.Attempts != wantAttempts || e.PromptID != prompt.ID {
				t.Errorf("error = %+v, want class %s status %d", e, tc.wantClass, tc.status)
			}
			if !strings.Contains(err.Error(), "prompt alert_summary") {
				t.Errorf("error %q does not name the prompt", err)
			}
			if got := h.value(t, "qm_llm_requests_total", "model", llmtest.Model, "result", tc.wantClass); got != 1 {
				t.Errorf("%s counted = %v, want 1", tc.wantClass, got)
			}
			if got := h.value(t, "qm_llm_latency_seconds"); got != 0 {
				t.Errorf("latency observed %v times for a failed call", got)
			}
		})
	}
}

func TestQuotaNotRetried(t *testing.T) {
	s := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return openai.ChatCompletionResponse{}, &llmtest.Error{Status: 429, Type: "insufficient_quota", Message: "You exceeded your current quota"}
	})
	var h harness
	c := h.client(t, s.Env())
	_, _, err := c.Chat(context.Background(), prompt, messages(prompt))
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassQuota || e.Attempts != 1 {
		t.Errorf("err = %v, want one attempt of class quota", err)
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := llmtest.New(t, echo)
	s.Fail(1, 429, now.Add(3*time.Second).Format(http.TimeFormat))
	var h harness
	c := h.client(t, s.Env(), func(opt *llm.Options) { opt.Now = func() time.Time { return now } })
	if _, _, err := c.Chat(context.Background(), prompt, messages(prompt)); err != nil {
		t.Fatal(err)
	}
	if got := h.slept(); len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("waits = %v, want [3s]", got)
	}
}

// blocking answers only once the test ends, or once release is closed.
func blocking() (llmtest.Responder, chan struct{}, chan struct{}) {
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	return func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		arrived <- struct{}{}
		<-release
		return llmtest.Text("late"), nil
	}, arrived, release
}

func TestTimeoutPerAttempt(t *testing.T) {
	r, _, release := blocking()
	s := llmtest.New(t, r)
	t.Cleanup(func() { close(release) }) // runs before the server closes
	var h harness
	c := h.client(t, s.Env(), func(opt *llm.Options) {
		opt.Timeout = 50 * time.Millisecond
		opt.Attempts = 2
	})
	begin := time.Now()
	_, call, err := c.Chat(context.Background(), prompt, messages(prompt))
	elapsed := time.Since(begin)

	e, ok := errors.AsType[*llm.Error](err)
	if !ok || e.Class != llm.ClassTimeout || e.Attempts != 2 || call.Attempts != 2 {
		t.Fatalf("err = %v, want two attempts that timed out", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to be context.DeadlineExceeded", err)
	}
	if len(s.Requests()) != 2 || len(h.slept()) != 1 {
		t.Errorf("requests %d, waits %v", len(s.Requests()), h.slept())
	}
	if elapsed > 2*time.Second {
		t.Errorf("took %v with a 50ms timeout", elapsed)
	}
}

func TestContextCanceled(t *testing.T) {
	r, arrived, release := blocking()
	s := llmtest.New(t, r)
	t.Cleanup(func() { close(release) })
	var h harness
	c := h.client(t, s.Env())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, call, err := c.Chat(ctx, prompt, messages(prompt))
	e, ok := errors.AsType[*llm.Error](err)
	if !ok || e.Class != llm.ClassCanceled || call.Attempts != 1 {
		t.Fatalf("err = %v after %d attempts, want canceled after 1", err, call.Attempts)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to be context.Canceled", err)
	}
	if len(h.slept()) != 0 {
		t.Errorf("waited %v after cancellation", h.slept())
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	s := llmtest.New(t, echo)
	s.Fail(1, 503, "")
	var h harness
	ctx, cancel := context.WithCancel(context.Background())
	c := h.client(t, s.Env(), func(opt *llm.Options) {
		opt.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
	})
	_, _, err := c.Chat(ctx, prompt, messages(prompt))
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassCanceled || !errors.Is(err, context.Canceled) || e.Status != 503 {
		t.Errorf("err = %v, want canceled while waiting after a 503", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNoWaitPastDeadline(t *testing.T) {
	s := llmtest.New(t, echo)
	s.Fail(1, 429, "30")
	var h harness
	c := h.client(t, s.Env())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := c.Chat(ctx, prompt, messages(prompt))
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassRateLimited || e.Attempts != 1 {
		t.Errorf("err = %v, want the 429 at once rather than a wait past the deadline", err)
	}
	if len(h.slept()) != 0 {
		t.Errorf("waited %v", h.slept())
	}
}

func TestConnectionError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	env := env(map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://" + addr + "/v1"})
	var h harness
	c := h.client(t, env)
	_, _, err = c.Chat(context.Background(), prompt, messages(prompt))
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassConnection || e.Attempts != 3 || e.Status != 0 {
		t.Errorf("err = %v, want a connection error after 3 attempts", err)
	}
}

func TestBadResponse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no choices", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"id":"x","choices":[],"usage":{"prompt_tokens":3}}`)
		}},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `<html>gateway says hi</html>`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			env := env(map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": srv.URL + "/v1"})
			var h harness
			c := h.client(t, env)
			_, _, err := c.Chat(context.Background(), prompt, messages(prompt))
			if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassBadResponse || e.Attempts != 1 {
				t.Errorf("err = %v, want one bad_response attempt", err)
			}
		})
	}
}

func TestInvalidRequest(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	c := h.client(t, s.Env())
	req := messages(prompt)
	req.Stream = true // Chat takes whole answers; go-openai refuses before sending
	_, _, err := c.Chat(context.Background(), prompt, req)
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassInvalid || e.Attempts != 1 {
		t.Errorf("err = %v, want one invalid attempt", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestAzure(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	env := s.AzureEnv("qm-prod")
	env.OpenAIKey = "sk-stray" // Azure wins over a stray OpenAI key
	c := h.client(t, env)
	if c.Model() != "qm-prod" {
		t.Errorf("Model() = %q, want the deployment", c.Model())
	}
	req := messages(prompt)
	req.Model = "gpt-4o" // the deployment decides, whatever the request says
	_, call, err := c.Chat(context.Background(), prompt, req)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Received()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.Path != "/openai/deployments/qm-prod/chat/completions" || r.RawQuery != "api-version="+config.DefaultAzureAPIVersion {
		t.Errorf("request to %s?%s", r.Path, r.RawQuery)
	}
	if r.Header.Get("api-key") != llmtest.Key || r.Header.Get("Authorization") != "" {
		t.Errorf("api-key %q, Authorization %q", r.Header.Get("api-key"), r.Header.Get("Authorization"))
	}
	if call.Model != "qm-prod" {
		t.Errorf("accounted model %q, want the deployment", call.Model)
	}

	env.AzureAPIVersion = "2025-01-01-preview"
	c = h.client(t, env)
	if _, _, err := c.Chat(context.Background(), prompt, messages(prompt)); err != nil {
		t.Fatal(err)
	}
	if q := s.Received()[1].RawQuery; q != "api-version=2025-01-01-preview" {
		t.Errorf("query %q", q)
	}
}

func TestKeyless(t *testing.T) {
	s := llmtest.New(t, echo)
	env := s.Env()
	env.OpenAIKey = "" // Ollama and vLLM take no key
	if !llm.Configured(env) {
		t.Fatal("a base URL without a key is not Configured")
	}
	var h harness
	c := h.client(t, env)
	if _, _, err := c.Chat(context.Background(), prompt, messages(prompt)); err != nil {
		t.Fatal(err)
	}
	if a := s.Received()[0].Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization %q sent without a key", a)
	}
}

// TestSecretNeverShown runs a server that echoes the credentials it gets
// into its error bodies, as a misbehaving proxy might, and checks that
// the key reaches neither errors nor logs.
func TestSecretNeverShown(t *testing.T) {
	const key = "sk-live-5f8a1c0ffee"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds := r.Header.Get("Authorization") + " " + r.Header.Get("api-key")
		switch {
		case strings.Contains(r.URL.Path, "plain"): // not JSON: go-openai quotes the body raw
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "upstream refused %s", creds)
		case strings.Contains(r.URL.Path, "deployments"): // Azure
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":"bad key %s","type":"invalid_api_key"}}`, creds)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"error":{"message":"no capacity for %s","type":"server_error"}}`, creds)
		}
	}))
	t.Cleanup(srv.Close)

	for _, vars := range []map[string]string{
		{"OPENAI_API_KEY": key, "OPENAI_BASE_URL": srv.URL + "/v1"},
		{"OPENAI_API_KEY": key, "OPENAI_BASE_URL": srv.URL + "/plain"},
		{"AZURE_OPENAI_ENDPOINT": srv.URL, "AZURE_OPENAI_API_KEY": key, "AZURE_OPENAI_DEPLOYMENT": "d"},
	} {
		e := env(vars)
		var h harness
		c := h.client(t, e)
		_, _, err := c.Chat(context.Background(), prompt, messages(prompt))
		if err == nil {
			t.Fatal("no error from a failing server")
		}
		if !strings.Contains(err.Error(), "<redacted>") {
			t.Errorf("error %q: the echo did not reach it, so the test proves nothing", err)
		}
		shown := fmt.Sprintf("%v %+v %#v %s %s", err, err, err, h.log, llm.Describe(e))
		for u := err; u != nil; u = errors.Unwrap(u) {
			shown += " " + u.Error()
		}
		if strings.Contains(shown, key) || strings.Contains(shown, "5f8a1c0ffee") {
			t.Errorf("the key leaked:\n%s", shown)
		}
	}
}

func TestRecord(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	c := h.client(t, s.Env())
	call := llm.Call{PromptID: "daily_brief", PromptVersion: 2, Model: "m", PromptTokens: 900, CompletionTokens: 120, Latency: 2 * time.Second, CostUSD: 0.0002, Attempts: 1}
	c.Record(call, true, "")
	c.Record(call, false, "number 412 not in facts")
	c.Record(call, false, "too long")

	if got := h.value(t, "qm_llm_outputs_total", "prompt", "daily_brief", "result", "passed"); got != 1 {
		t.Errorf("passed = %v", got)
	}
	if got := h.value(t, "qm_llm_outputs_total", "prompt", "daily_brief", "result", "rejected"); got != 2 {
		t.Errorf("rejected = %v", got)
	}
	lines := strings.Split(strings.TrimSpace(h.log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want 3:\n%s", len(lines), h.log)
	}
	for _, field := range []string{"msg=\"llm output\"", "prompt=daily_brief", "version=2", "model=m", "prompt_tokens=900", "completion_tokens=120", "latency=2s", "cost_usd=0.0002", "result=passed"} {
		if !strings.Contains(lines[0], field) {
			t.Errorf("line lacks %s: %s", field, lines[0])
		}
	}
	if strings.Contains(lines[0], "reason") {
		t.Errorf("a passed output has a reason: %s", lines[0])
	}
	if !strings.Contains(lines[1], `result=rejected reason="number 412 not in facts"`) {
		t.Errorf("line: %s", lines[1])
	}
}

func TestSharedRegistry(t *testing.T) {
	s := llmtest.New(t, echo)
	reg := prometheus.NewRegistry()
	a, err := llm.New(s.Env(), llm.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	b, err := llm.New(s.Env(), llm.Options{Registerer: reg})
	if err != nil {
		t.Fatalf("a second client on one registry: %v", err)
	}
	for _, c := range []*llm.Client{a, b} {
		if _, _, err := c.Chat(context.Background(), prompt, messages(prompt)); err != nil {
			t.Fatal(err)
		}
	}
	h := harness{reg: reg}
	if got := h.value(t, "qm_llm_requests_total", "result", "ok"); got != 2 {
		t.Errorf("ok = %v, want both clients counted", got)
	}

	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "qm_llm_requests_total", Help: "not ours"}))
	if _, err := llm.New(s.Env(), llm.Options{Registerer: clash}); err == nil {
		t.Error("no error when a metric name is taken by another kind of collector")
	}
}

func TestConcurrentChats(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	// Four attempts, so that a call drawing all three failures succeeds.
	c := h.client(t, s.Env(), func(opt *llm.Options) { opt.Attempts = 4 })
	s.Fail(3, 500, "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, _, err := c.Chat(context.Background(), prompt, messages(prompt)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := h.value(t, "qm_llm_requests_total", "result", "ok"); got != 8 {
		t.Errorf("ok = %v, want 8", got)
	}
	if got := h.value(t, "qm_llm_requests_total", "result", "retry"); got != 3 {
		t.Errorf("retry = %v, want 3", got)
	}
}

func TestNilClient(t *testing.T) {
	var c *llm.Client
	if c.Model() != "" {
		t.Errorf("Model() = %q", c.Model())
	}
	_, call, err := c.Chat(context.Background(), prompt, messages(prompt))
	if !errors.Is(err, llm.ErrNotConfigured) || call.PromptID != prompt.ID {
		t.Errorf("err = %v, call %+v", err, call)
	}
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassUnconfigured || !strings.Contains(err.Error(), "prompt alert_summary") {
		t.Errorf("err = %#v", err)
	}
	c.Record(call, false, "no model") // nothing to do, and no panic
}

func TestUnlabelled(t *testing.T) {
	s := llmtest.New(t, echo)
	var h harness
	c := h.client(t, s.Env())
	_, _, err := c.Chat(context.Background(), prompts.Prompt{System: "s", User: "u"}, messages(prompt))
	if e, ok := errors.AsType[*llm.Error](err); !ok || e.Class != llm.ClassInvalid {
		t.Errorf("err = %v, want invalid for a call without a prompt id", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
