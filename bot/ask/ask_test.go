package ask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// recorder counts what the asker records of each answer.
type recorder struct {
	*llm.Client
	mu      sync.Mutex
	records []string // "passed" or the reason
	tokens  []int
}

func (r *recorder) Record(call llm.Call, passed bool, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if passed {
		reason = "passed"
	}
	r.records = append(r.records, reason)
	r.tokens = append(r.tokens, call.CompletionTokens)
	r.Client.Record(call, passed, reason)
}

func TestAnswerFlow(t *testing.T) {
	fx := scenario(t)
	ctx := context.Background()
	q := Question{Text: "When will SKU-100 run out at DC-EAST?", Role: RolePlanner, User: "U1"}
	call := llmtest.Call("c1", ToolStatus, map[string]string{"sku": "SKU-100", "site": "DC-EAST"})
	for _, tc := range []struct {
		name     string
		final    string // the model's answer after one round of tools
		source   string
		recorded string // prefix of what was recorded
	}{
		{"faithful", "SKU-100@DC-EAST runs out on 2026-03-12 [F9], with $1,900 [F11] at risk.", SourceLLM, "passed"},
		{"invented figure", "SKU-100@DC-EAST runs out on 2026-03-12 [F9], with $2,500 at risk.", SourceParser, "figure"},
		{"invented date", "SKU-100@DC-EAST runs out on 2026-03-14.", SourceParser, "date"},
		{"unknown citation", "SKU-100@DC-EAST runs out on 2026-03-12 [F99].", SourceParser, "citation"},
		{"mention", "<!here> SKU-100@DC-EAST runs out on 2026-03-12 [F9].", SourceParser, "mention"},
		{"link", "See https://evil.example.com: SKU-100@DC-EAST runs out on 2026-03-12 [F9].", SourceParser, "link"},
		{"empty", "  ", SourceParser, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []openai.ChatCompletionRequest
			var mu sync.Mutex
			client, _ := newModel(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				mu.Lock()
				seen = append(seen, req)
				mu.Unlock()
				if len(toolResults(req)) == 0 {
					return llmtest.ToolCalls(call), nil
				}
				return llmtest.Text(tc.final), nil
			})
			rec := &recorder{Client: client}
			a := New(fx.st, fx.pol, Options{Now: clock, Model: rec})
			ans, err := a.Answer(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Source != tc.source {
				t.Errorf("source %s, want %s: %+v", ans.Source, tc.source, ans)
			}
			if tc.source == SourceParser && (!strings.Contains(ans.Text, "2026-03-12") || !strings.HasPrefix(ans.Rejected, tc.recorded)) {
				t.Errorf("fallback: %+v", ans)
			}
			if len(rec.records) != 1 || !strings.HasPrefix(rec.records[0], tc.recorded) {
				t.Errorf("recorded %q, want one %q", rec.records, tc.recorded)
			}
			// One record for both rounds, with both rounds' tokens.
			if rec.tokens[0] < 2 {
				t.Errorf("recorded %d completion tokens for two rounds", rec.tokens[0])
			}
			if tc.source == SourceLLM {
				if ids := factIDs(ans.Facts); ids != "F9 F11" {
					t.Errorf("cited facts %s", ids)
				}
			}
			// What the model was sent: the ask prompt, the seven tools,
			// partner names quoted as untrusted.
			first := seen[0]
			want, _ := prompts.Render(PromptID, promptData{Question: q.Text, Role: RolePlanner, Today: "2026-03-10", Masked: Masked})
			if first.Messages[0].Content != want.System || len(first.Tools) != 7 {
				t.Errorf("first request: %d tools, system %q", len(first.Tools), first.Messages[0].Content)
			}
			raw := toolResults(seen[1])[0]
			if !strings.Contains(decodeJSONText(raw), `"text":"<untrusted>Hex bolt M8</untrusted>"`) || json.Unmarshal([]byte(raw), &map[string]any{}) != nil {
				t.Errorf("tool result does not quote the SKU name as untrusted: %s", raw)
			}
		})
	}
}

func factIDs(fs []facts.Fact) string {
	ids := make([]string, len(fs))
	for i, f := range fs {
		ids[i] = f.ID
	}
	return strings.Join(ids, " ")
}

func TestModelDown(t *testing.T) {
	fx := scenario(t)
	client, srv := newModel(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return openai.ChatCompletionResponse{}, &llmtest.Error{Status: http.StatusBadRequest, Message: "nope"}
	})
	a := New(fx.st, fx.pol, Options{Now: clock, Model: client})
	ans, err := a.Answer(context.Background(), Question{Text: "Days of supply of SKU-400 at DC-WEST?", Role: RolePlanner})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Source != SourceParser || !strings.Contains(ans.Plain(), "1.5 days of supply") || !strings.HasPrefix(ans.Rejected, "model unavailable") {
		t.Errorf("%+v", ans)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestBadQuestions(t *testing.T) {
	fx := scenario(t)
	a := New(fx.st, fx.pol, Options{Now: clock})
	for _, q := range []Question{{Text: "  ", Role: RolePlanner}, {Text: "status SKU-100", Role: "root"}, {Text: strings.Repeat("x", MaxQuestion+1)}} {
		if _, err := a.Answer(context.Background(), q); err == nil {
			t.Errorf("%.40q as %q: no error", q.Text, q.Role)
		}
	}
}

func TestHandler(t *testing.T) {
	fx := scenario(t)
	a := New(fx.st, fx.pol, Options{Now: clock})
	srv := httptest.NewServer(Handler(a, "s3cret", nil))
	defer srv.Close()
	post := func(method, token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/v1/ask", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	q := `{"question":"What is the unit cost of SKU-100 at DC-EAST?"`
	for _, tc := range []struct {
		name, method, token, body string
		code                      int
		want                      string
	}{
		{"no token", "POST", "", q + `,"role":"finance"}`, 401, "bearer"},
		{"wrong token", "POST", "guess", q + `,"role":"finance"}`, 401, "bearer"},
		{"get", "GET", "s3cret", "", 405, "POST"},
		{"not json", "POST", "s3cret", "what is", 400, "body"},
		{"unknown field", "POST", "s3cret", q + `,"admin":true}`, 400, "unknown field"},
		{"two objects", "POST", "s3cret", q + `} {}`, 400, "one JSON object"},
		{"empty question", "POST", "s3cret", `{"question":" "}`, 400, "empty"},
		{"bad role", "POST", "s3cret", q + `,"role":"root"}`, 400, "role"},
		{"too large", "POST", "s3cret", `{"question":"` + strings.Repeat("x", maxBody) + `"}`, 413, "16 KiB"},
		{"no role", "POST", "s3cret", q + `}`, 200, "masked for your role"},
		{"finance", "POST", "s3cret", q + `,"role":"finance"}`, 200, "$4.25"},
	} {
		code, body := post(tc.method, tc.token, tc.body)
		b, _ := json.Marshal(body)
		if code != tc.code || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, code, b, tc.code, tc.want)
		}
		if code == 200 {
			for _, k := range []string{"answer", "facts", "source", "tools"} {
				if _, ok := body[k]; !ok {
					t.Errorf("%s: no %q in %s", tc.name, k, b)
				}
			}
		}
	}
	off := httptest.NewServer(Handler(a, "", nil))
	defer off.Close()
	resp, err := http.Post(off.URL, "application/json", bytes.NewReader([]byte(q+`}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	// A failure to answer is a 503 without the cause.
	failing := httptest.NewServer(Handler(answerFunc(func(context.Context, Question) (Answer, error) {
		return Answer{}, errors.New("redis at 10.0.0.7: connection refused")
	}), "s3cret", nil))
	defer failing.Close()
	req, _ := http.NewRequest("POST", failing.URL, strings.NewReader(q+`}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(m["error"], "10.0.0.7") {
		t.Errorf("failure: %d %v", resp.StatusCode, m)
	}
}

type answerFunc func(context.Context, Question) (Answer, error)

func (f answerFunc) Answer(ctx context.Context, q Question) (Answer, error) { return f(ctx, q) }

// A nil client, as an app without an endpoint holds, means no model, and
// the answer lists the facts it cites under it.
func TestNilClientAndFootnotes(t *testing.T) {
	fx := scenario(t)
	var none *llm.Client
	a := New(fx.st, fx.pol, Options{Now: clock, Model: none})
	ans, err := a.Answer(context.Background(), Question{Text: "Days of supply of SKU-400 at DC-WEST?", Role: RolePlanner})
	if err != nil || ans.Source != SourceParser {
		t.Fatalf("%v %+v", err, ans)
	}
	want := "SKU-400@DC-WEST has 1.5 days [F8] of supply: 15 [F4] on hand at a forecast 10 [F6] units a day.\n\n" +
		"[F8] SKU-400@DC-WEST days_of_supply: 1.5 days\n[F4] SKU-400@DC-WEST on_hand: 15\n[F6] SKU-400@DC-WEST daily_demand: 10"
	if got := ans.Footnoted(); got != want {
		t.Errorf("footnoted:\n%s\nwant:\n%s", got, want)
	}
	if got := ans.Plain(); got != "SKU-400@DC-WEST has 1.5 days of supply: 15 on hand at a forecast 10 units a day." {
		t.Errorf("plain: %s", got)
	}
}

// TestBusyModel checks that a question asked while the model already
// works on MaxConcurrent others is answered by the parser at once, not
// queued for another paid call.
func TestBusyModel(t *testing.T) {
	fx := scenario(t)
	entered, release := make(chan struct{}), make(chan struct{})
	client, srv := newModel(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		entered <- struct{}{}
		<-release
		return llmtest.Text("I have no figures for that."), nil
	})
	a := New(fx.st, fx.pol, Options{Now: clock, Model: client, MaxConcurrent: 1})
	q := Question{Text: "Days of supply of SKU-400 at DC-WEST?", Role: RolePlanner}
	done := make(chan Answer)
	go func() {
		ans, _ := a.Answer(context.Background(), q)
		done <- ans
	}()
	<-entered // the first question holds the only slot
	ans, err := a.Answer(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Source != SourceParser || ans.Rejected != busy || !strings.Contains(ans.Plain(), "1.5 days of supply") {
		t.Errorf("second question: %+v, want the parser's answer, rejected as busy", ans)
	}
	close(release)
	<-done
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d model requests, want 1", n)
	}
}
