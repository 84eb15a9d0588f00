package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/ask"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
)

// The world of briefScenario: SKU1 at DC1 has 30 on hand and sells 20 a
// day, priced 50 at a cost of 20.
func TestAskCommand(t *testing.T) {
	env := briefScenario(t)
	ctx := context.Background()
	if out, _, err := cli(ctx, nil, "ask", "--help"); err != nil || !strings.Contains(out, "Usage:") || !strings.Contains(out, "--as") {
		t.Errorf("ask --help: %v\n%s", err, out)
	}

	out, errOut, err := cli(ctx, env, "ask", "How many days of supply does SKU1 have at DC1?")
	if err != nil || !strings.Contains(out, "SKU1@DC1 has 1.5 days [F8] of supply") || !strings.Contains(out, "days_of_supply: 1.5 days") {
		t.Errorf("ask: %v\n%s", err, out)
	}
	if !strings.Contains(errOut, "no LLM endpoint is configured") {
		t.Errorf("stderr does not say who answered: %q", errOut)
	}

	for role, want := range map[string]string{"planner": ask.Masked, "finance": "$20"} {
		out, _, err = cli(ctx, env, "ask", "--json", "--as", role, "What is the unit cost of SKU1 at DC1?")
		var ans ask.Answer
		if err != nil || json.Unmarshal([]byte(out), &ans) != nil || !strings.Contains(ans.Text, want) || ans.Source != ask.SourceParser ||
			len(ans.Tools) != 1 || ans.Tools[0].Name != ask.ToolStatus {
			t.Errorf("--as %s --json: %v\n%s", role, err, out)
		}
	}

	out, _, err = cli(ctx, env, "ask", "What is the weather in Chicago?")
	if err != nil || !strings.Contains(out, "I can't answer that") {
		t.Errorf("untracked question: %v\n%s", err, out)
	}

	var u usageError
	if _, _, err := cli(ctx, env, "ask", "--as", "root", "status of SKU1"); !errors.As(err, &u) || !strings.Contains(err.Error(), "--as") {
		t.Errorf("--as root: %v", err)
	}
	if _, _, err := cli(ctx, env, "ask"); err == nil {
		t.Error("ask without a question succeeded")
	}
	if _, _, err := cli(ctx, nil, "ask", "status of SKU1 at DC1"); err == nil || !strings.Contains(err.Error(), "REDIS_URL is unset") {
		t.Errorf("without REDIS_URL: %v", err)
	}
}

// With an endpoint configured, a model phrases the answer from the tools.
func TestAskCommandWithModel(t *testing.T) {
	env := briefScenario(t)
	srv := llmtest.New(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		for _, m := range req.Messages {
			if m.Role == openai.ChatMessageRoleTool {
				return llmtest.Text("SKU1@DC1 runs out tomorrow; its days of supply are in the tool result."), nil
			}
		}
		return llmtest.ToolCalls(llmtest.Call("c1", ask.ToolStatus, map[string]string{"sku": "SKU1", "site": "DC1"})), nil
	})
	env["OPENAI_API_KEY"], env["OPENAI_BASE_URL"] = llmtest.Key, srv.URL()
	out, errOut, err := cli(context.Background(), env, "ask", "--json", "When does SKU1 run out at DC1?")
	var ans ask.Answer
	if err != nil || json.Unmarshal([]byte(out), &ans) != nil || ans.Source != ask.SourceLLM || len(srv.Requests()) != 2 {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	if strings.Contains(errOut, "no LLM endpoint") {
		t.Errorf("stderr: %s", errOut)
	}
}
