// Package llmtest stands in for a language model endpoint in tests: an
// OpenAI-compatible chat-completions server over real HTTP (httptest),
// whose answers a test scripts with a Responder. Code under test talks to
// it through the same go-openai client it uses in production, so request
// encoding, status handling and retries are exercised for real.
//
// The server answers POST on any path ending in /chat/completions, which
// covers both OpenAI's /v1/chat/completions and Azure's
// /openai/deployments/<name>/chat/completions.
package llmtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/config"
)

// Key and Model are what Env configures.
const (
	Key   = "test-key"
	Model = "test-model"
)

// Responder answers one chat-completions request. A returned error becomes
// an OpenAI-style error body with status 500, or with the status of an
// *Error.
type Responder func(req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error)

// Error lets a Responder choose the HTTP status of its failure, such as 400
// for a request the model refuses, and the error type in the body, such as
// "insufficient_quota" (by default one that goes with the status).
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

// Request is one request as the server received it.
type Request struct {
	Method   string
	Path     string // e.g. /v1/chat/completions
	RawQuery string // e.g. api-version=2024-10-21 for Azure
	Header   http.Header
	Body     openai.ChatCompletionRequest
}

// Server is an OpenAI-compatible chat-completions endpoint scripted by a
// Responder.
type Server struct {
	srv     *httptest.Server
	respond Responder

	mu       sync.Mutex
	received []Request
	fails    []failure
}

type failure struct {
	status     int
	retryAfter string
}

// New starts a server that answers with r. It is closed when the test ends.
func New(t testing.TB, r Responder) *Server {
	t.Helper()
	if r == nil {
		t.Fatal("llmtest: nil Responder")
	}
	s := &Server{respond: r}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to put in OPENAI_BASE_URL, ending in /v1.
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Root is the server's URL without /v1, to use as AZURE_OPENAI_ENDPOINT.
func (s *Server) Root() string { return s.srv.URL }

// Env is an environment pointing the OpenAI back end at the server, with
// key Key and model Model; the other variables are unset or at their
// defaults.
func (s *Server) Env() config.Env {
	return config.EnvFrom(func(name string) string {
		switch name {
		case "OPENAI_API_KEY":
			return Key
		case "OPENAI_BASE_URL":
			return s.URL()
		case "OPENAI_MODEL":
			return Model
		}
		return ""
	})
}

// AzureEnv is an environment pointing the Azure back end at the server,
// with key Key and the given deployment.
func (s *Server) AzureEnv(deployment string) config.Env {
	return config.EnvFrom(func(name string) string {
		switch name {
		case "AZURE_OPENAI_ENDPOINT":
			return s.Root()
		case "AZURE_OPENAI_API_KEY":
			return Key
		case "AZURE_OPENAI_DEPLOYMENT":
			return deployment
		}
		return ""
	})
}

// Requests returns the bodies of the requests received so far, in order,
// including those answered by Fail.
func (s *Server) Requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]openai.ChatCompletionRequest, len(s.received))
	for i, r := range s.received {
		out[i] = r.Body
	}
	return out
}

// Received returns the requests received so far with their paths and
// headers, in order.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.received))
	for i, r := range s.received {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// Fail makes the next n requests answer status with an OpenAI-style error
// body, and a Retry-After header when retryAfter is not empty, before the
// Responder is asked again. Calls queue up.
func (s *Server) Fail(n int, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, failure{status: status, retryAfter: retryAfter})
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		writeError(w, http.StatusNotFound, "invalid_request_error", fmt.Sprintf("llmtest: no route for %s %s", r.Method, r.URL.Path))
		return
	}
	var body openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "llmtest: request body: "+err.Error())
		return
	}

	s.mu.Lock()
	s.received = append(s.received, Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	})
	var fail *failure
	if len(s.fails) > 0 {
		fail = &s.fails[0]
		s.fails = s.fails[1:]
	}
	s.mu.Unlock()

	if fail != nil {
		if fail.retryAfter != "" {
			w.Header().Set("Retry-After", fail.retryAfter)
		}
		writeError(w, fail.status, errorType(fail.status), fmt.Sprintf("llmtest: scripted failure %d", fail.status))
		return
	}

	resp, err := s.respond(body)
	if err != nil {
		status := http.StatusInternalServerError
		var typ string
		var e *Error
		if errors.As(err, &e) {
			if e.Status != 0 {
				status = e.Status
			}
			typ = e.Type
		}
		if typ == "" {
			typ = errorType(status)
		}
		writeError(w, status, typ, err.Error())
		return
	}
	fill(&resp, body)
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		// The client sees a truncated body; nothing more to tell it.
		return
	}
}

// fill completes what a Responder may leave out, the way the real API
// would: the id, the object type, the model, indices and the usage counts.
func fill(resp *openai.ChatCompletionResponse, req openai.ChatCompletionRequest) {
	if resp.ID == "" {
		resp.ID = "chatcmpl-llmtest"
	}
	if resp.Object == "" {
		resp.Object = "chat.completion"
	}
	if resp.Created == 0 {
		resp.Created = 1767225600 // fixed, for reproducible tests
	}
	if resp.Model == "" {
		resp.Model = req.Model
	}
	for i := range resp.Choices {
		resp.Choices[i].Index = i
	}
	if resp.Usage.PromptTokens == 0 {
		resp.Usage.PromptTokens = promptTokens(req)
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
}

// promptTokens estimates what the request costs at about four bytes a
// token, which is what the real tokenizers average on English text.
func promptTokens(req openai.ChatCompletionRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += 4 + tokens(m.Content) // each message carries a few tokens of framing
	}
	return n
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_api_key"
	case status == http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := openai.ErrorResponse{Error: &openai.APIError{Message: msg, Type: typ}}
	_ = json.NewEncoder(w).Encode(body) // the status already tells the client
}

// Text is a reply of one assistant message with content s; its completion
// token count is estimated from s and the server fills in the prompt's.
func Text(s string) openai.ChatCompletionResponse {
	return openai.ChatCompletionResponse{
		Choices: []openai.ChatCompletionChoice{{
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: s},
			FinishReason: openai.FinishReasonStop,
		}},
		Usage: openai.Usage{CompletionTokens: max(1, tokens(s))},
	}
}

// ToolCalls is a reply in which the model asks for the given tool calls.
func ToolCalls(calls ...openai.ToolCall) openai.ChatCompletionResponse {
	n := 0
	for _, c := range calls {
		n += 8 + tokens(c.Function.Name) + tokens(c.Function.Arguments)
	}
	return openai.ChatCompletionResponse{
		Choices: []openai.ChatCompletionChoice{{
			Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, ToolCalls: calls},
			FinishReason: openai.FinishReasonToolCalls,
		}},
		Usage: openai.Usage{CompletionTokens: max(1, n)},
	}
}

// Call is one function tool call with args JSON-encoded. Args that cannot
// be encoded (a channel, say) are a bug in the test and panic.
func Call(id, name string, args any) openai.ToolCall {
	b, err := json.Marshal(args)
	if err != nil {
		panic(fmt.Sprintf("llmtest.Call(%q, %q): %v", id, name, err))
	}
	return openai.ToolCall{
		ID:       id,
		Type:     openai.ToolTypeFunction,
		Function: openai.FunctionCall{Name: name, Arguments: string(b)},
	}
}
