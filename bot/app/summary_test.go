package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// TestSummaries runs the scenario's critical stockout past a stand-in
// model: a reply that keeps to the facts reaches chat under the alert; one
// that invents a figure is refused, counted, and the template speaks.
func TestSummaries(t *testing.T) {
	for _, tt := range []struct {
		name, reply, want, metric string
	}{
		{"faithful", "Widget at DC1 runs short tomorrow; ana should reorder today.",
			"Widget at DC1 runs short tomorrow; ana should reorder today.", `qm_llm_outputs_total{prompt="alert_summary",result="passed"} 1`},
		{"invented figure", "Widget at DC1 will lose $9,999,999 unless someone acts.",
			"$12,500", `qm_llm_rejected_total{prompt="alert_summary",reason="figure"} 1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			model := llmtest.New(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
				if len(req.Tools) > 0 {
					t.Errorf("the summariser was offered tools: %v", req.Tools)
				}
				return llmtest.Text(tt.reply), nil
			})
			rdb, prefix := redistest.Client(t)
			now := time.Now().UTC().Truncate(time.Second)
			r := startWith(t, rdb, prefix, now, func(o *Options) {
				env := model.Env()
				o.Env.OpenAIKey, o.Env.OpenAIBaseURL, o.Env.OpenAIModel = env.OpenAIKey, env.OpenAIBaseURL, env.OpenAIModel
				o.Config.LLM.Prices = map[string]config.LLMPrice{env.OpenAIModel: {InputPerM: 1000, OutputPerM: 1000}}
			})
			if code, body := r.post(t, scenario(now)); code != http.StatusAccepted {
				t.Fatalf("POST /v1/events = %d %v", code, body)
			}
			waitFor(t, "the summary on the console", func() bool { return strings.Contains(r.console.String(), "\n    ") })
			out := r.console.String()
			summary := out[strings.Index(out, "\n    ")+5:]
			if !strings.Contains(summary, tt.want) || strings.Contains(summary, "9,999,999") {
				t.Errorf("summary %q, want it to hold %q and no invented figure", summary, tt.want)
			}
			resp, err := http.Get(r.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), tt.metric) {
				t.Errorf("/metrics lacks %s", tt.metric)
			}
			// The policy file's prices count every call's cost.
			if !strings.Contains(string(b), `qm_llm_cost_usd_total{model="test-model"}`) || strings.Contains(string(b), `qm_llm_cost_usd_total{model="test-model"} 0`+"\n") {
				t.Errorf("/metrics has no cost for the model's calls")
			}
		})
	}
}
