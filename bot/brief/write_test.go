package brief_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// recorder is the real client, with the verdicts it was given kept for
// the test to read.
type recorder struct {
	*llm.Client
	mu       sync.Mutex
	verdicts []string
}

func (r *recorder) Record(call llm.Call, passed bool, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := "passed"
	if !passed {
		v = "rejected: " + reason
	}
	r.verdicts = append(r.verdicts, call.PromptID+" "+v)
	r.Client.Record(call, passed, reason)
}

func (r *recorder) Chat(ctx context.Context, p prompts.Prompt, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, llm.Call, error) {
	return r.Client.Chat(ctx, p, req)
}

func modelWriter(t *testing.T, reply llmtest.Responder) (*brief.Writer, *recorder, *llmtest.Server) {
	t.Helper()
	srv := llmtest.New(t, reply)
	c, err := llm.New(srv.Env(), llm.Options{Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Client: c}
	return &brief.Writer{Model: rec, Timeout: 100 * time.Millisecond}, rec, srv
}

// The model writes the introduction only: its checked words open the
// briefing, the numbers are the template's, and every rejection falls
// back to the template's introduction and is recorded.
func TestModelIntroduction(t *testing.T) {
	r := compute(t, newWorld(t))
	for i := range r.Risks {
		r.Risks[i].Series = nil // the chart has its own tests; drawing it here is slow under -race
	}
	plain, err := r.Text("planner")
	if err != nil {
		t.Fatal(err)
	}
	templateIntro, _ := r.Intro("planner")
	numbers := plain[strings.Index(plain, "KPIs for"):]

	tests := []struct {
		name    string
		reply   llmtest.Responder
		words   string // model or template
		intro   string // what the introduction must say
		verdict string // the start of what Record was told
	}{
		{
			name: "checked words are used",
			reply: func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				return llmtest.Text("Fill rate fell to 83.3% [F4], below its 95% target [F6]. SKU-1@DC1 runs out on Nov 28 with $12k at risk [F18, F16]."), nil
			},
			words: "model", intro: "Fill rate fell to 83.3%, below its 95% target. SKU-1@DC1 runs out on Nov 28 with $12k at risk.",
			verdict: "brief passed",
		},
		{
			name: "a figure that is no fact is refused",
			reply: func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				return llmtest.Text("Fill rate fell 16.7 points to 83.3%; $20,000 is at risk."), nil
			},
			words: "template", intro: templateIntro, verdict: `brief rejected: facts check: figure "16.7"`,
		},
		{
			name: "a mass mention is refused",
			reply: func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				return llmtest.Text("@here fill rate is 83.3%."), nil
			},
			words: "template", intro: templateIntro, verdict: `brief rejected: facts check: mention "@here"`,
		},
		{
			name: "an error falls back",
			reply: func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				return openai.ChatCompletionResponse{}, &llmtest.Error{Status: 400, Message: "no"}
			},
			words: "template", intro: templateIntro, verdict: "brief rejected: model:",
		},
		{
			name: "a slow model falls back",
			reply: func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				time.Sleep(400 * time.Millisecond)
				return llmtest.Text("Fill rate is 83.3%."), nil
			},
			words: "template", intro: templateIntro, verdict: "brief rejected: model: no answer within 100ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, rec, srv := modelWriter(t, tt.reply)
			b, err := w.Write(context.Background(), r, "planner")
			if err != nil {
				t.Fatal(err)
			}
			if b.Words != tt.words || b.Intro != tt.intro {
				t.Errorf("words %s, intro %q; want %s, %q (reason %q)", b.Words, b.Intro, tt.words, tt.intro, b.Reason)
			}
			if !strings.HasSuffix(b.Text, numbers) || !strings.Contains(b.Text, tt.intro) {
				t.Errorf("briefing does not hold the intro and the computed numbers:\n%s", b.Text)
			}
			if len(rec.verdicts) != 1 || !strings.HasPrefix(rec.verdicts[0], tt.verdict) {
				t.Errorf("recorded %q, want one starting %q", rec.verdicts, tt.verdict)
			}
			if reqs := srv.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0].Messages[1].Content, "<untrusted>SKU-1@DC1</untrusted>") {
				t.Errorf("the prompt does not quote partner identifiers as data: %d requests", len(reqs))
			}
		})
	}
}

// Without a model the words are the template's and nothing is recorded.
func TestWriteWithoutModel(t *testing.T) {
	r := compute(t, newWorld(t))
	r.Risks[0].Series = nil
	b, err := (&brief.Writer{}).Write(context.Background(), r, "executive")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := r.Text("executive")
	if b.Words != "template" || b.Text != want || b.Reason != "" || b.PNG != nil {
		t.Errorf("briefing %+v", b)
	}
}
