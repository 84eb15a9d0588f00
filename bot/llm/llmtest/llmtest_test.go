package llmtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
)

func client(s *llmtest.Server) *openai.Client {
	cfg := openai.DefaultConfig(llmtest.Key)
	cfg.BaseURL = s.URL()
	return openai.NewClientWithConfig(cfg)
}

func ask(content string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model:    llmtest.Model,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: content}},
	}
}

func TestText(t *testing.T) {
	s := llmtest.New(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.Text("echo: " + req.Messages[0].Content), nil
	})
	resp, err := client(s).CreateChatCompletion(context.Background(), ask("sixteen bytes!!!"))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "echo: sixteen bytes!!!" {
		t.Errorf("content = %q", got)
	}
	if resp.Model != llmtest.Model || resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("model %q, finish %q", resp.Model, resp.Choices[0].FinishReason)
	}
	// 16 bytes of content is 4 tokens, plus 4 of framing; 22 bytes out is 6.
	if u := resp.Usage; u.PromptTokens != 8 || u.CompletionTokens != 6 || u.TotalTokens != 14 {
		t.Errorf("usage = %+v, want 8 + 6 = 14", u)
	}

	got := s.Received()
	if len(got) != 1 {
		t.Fatalf("received %d requests, want 1", len(got))
	}
	if got[0].Path != "/v1/chat/completions" || got[0].Header.Get("Authorization") != "Bearer "+llmtest.Key {
		t.Errorf("request %s with Authorization %q", got[0].Path, got[0].Header.Get("Authorization"))
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Messages[0].Content != "sixteen bytes!!!" {
		t.Errorf("Requests() = %+v", reqs)
	}
}

func TestToolCalls(t *testing.T) {
	s := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.ToolCalls(llmtest.Call("call_1", "position", map[string]string{"sku": "SKU-1", "site": "DC-EAST"})), nil
	})
	resp, err := client(s).CreateChatCompletion(context.Background(), ask("where?"))
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].ID != "call_1" || calls[0].Type != openai.ToolTypeFunction ||
		calls[0].Function.Name != "position" || calls[0].Function.Arguments != `{"site":"DC-EAST","sku":"SKU-1"}` {
		t.Errorf("tool calls = %+v", calls)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonToolCalls || resp.Usage.CompletionTokens == 0 {
		t.Errorf("finish %q, usage %+v", resp.Choices[0].FinishReason, resp.Usage)
	}
}

func TestFailAndErrors(t *testing.T) {
	s := llmtest.New(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		switch req.Messages[0].Content {
		case "refuse":
			return openai.ChatCompletionResponse{}, &llmtest.Error{Status: http.StatusBadRequest, Message: "no"}
		case "break":
			return openai.ChatCompletionResponse{}, errors.New("broken")
		case "quota":
			return openai.ChatCompletionResponse{}, &llmtest.Error{Status: 429, Type: "insufficient_quota", Message: "pay up"}
		}
		return llmtest.Text("ok"), nil
	})
	c := client(s)
	s.Fail(2, http.StatusTooManyRequests, "1")

	for i, tc := range []struct {
		content string
		status  int
		message string
	}{
		{"hello", 429, "scripted failure 429"},
		{"hello", 429, "scripted failure 429"},
		{"refuse", 400, "400: no"},
		{"break", 500, "broken"},
		{"quota", 429, "pay up"},
		{"hello", 0, ""},
	} {
		_, err := c.CreateChatCompletion(context.Background(), ask(tc.content))
		if tc.status == 0 {
			if err != nil {
				t.Errorf("%d: %v", i, err)
			}
			continue
		}
		var apiErr *openai.APIError
		if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tc.status || !strings.Contains(apiErr.Message, tc.message) {
			t.Errorf("%d: err = %v, want status %d with %q", i, err, tc.status, tc.message)
			continue
		}
		if want := map[string]string{"refuse": "invalid_request_error", "break": "server_error", "quota": "insufficient_quota", "hello": "rate_limit_exceeded"}[tc.content]; apiErr.Type != want {
			t.Errorf("%d: type %q, want %q", i, apiErr.Type, want)
		}
	}
	got := s.Received()
	if len(got) != 6 {
		t.Fatalf("received %d, want 6 (failures are recorded too)", len(got))
	}
}

func TestRetryAfterHeader(t *testing.T) {
	s := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.Text("ok"), nil
	})
	s.Fail(1, http.StatusTooManyRequests, "7")
	body := strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`)
	resp, err := http.Post(s.URL()+"/chat/completions", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	resp, err = http.Get(s.URL() + "/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /models: status %d, want 404", resp.StatusCode)
	}
}

func TestEnv(t *testing.T) {
	s := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.Text("ok"), nil
	})
	env := s.Env()
	if env.OpenAIKey != llmtest.Key || env.OpenAIModel != llmtest.Model || env.OpenAIBaseURL != s.URL() || !strings.HasSuffix(env.OpenAIBaseURL, "/v1") {
		t.Errorf("Env = %#v", env)
	}
	if err := env.Validate(); err != nil {
		t.Error(err)
	}
	az := s.AzureEnv("qm-prod")
	if az.AzureEndpoint != s.Root() || az.AzureKey != llmtest.Key || az.AzureDeployment != "qm-prod" || az.AzureAPIVersion == "" || az.OpenAIKey != "" {
		t.Errorf("AzureEnv = %#v", az)
	}
	if err := az.Validate(); err != nil {
		t.Error(err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := llmtest.New(t, func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.Text(req.Messages[0].Content), nil
	})
	c := client(s)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := c.CreateChatCompletion(context.Background(), ask(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(s.Requests()); n != 8 {
		t.Errorf("recorded %d requests, want 8", n)
	}
}
