// Package llm is Quartermaster's one client of a language model: OpenAI,
// Azure OpenAI or any OpenAI-compatible server (Ollama, vLLM), chosen by
// the contract's environment variables.
//
// Every call is bounded (a timeout per attempt, a few retries on what a
// retry can fix), labelled with the prompt that produced it, and
// accounted: tokens, estimated cost and latency go to metrics and the log.
// Once the caller has checked an output it calls Record, so that each
// output is logged once with its prompt's id and version and whether it
// passed.
//
// The API key never appears in an error or a log line.
package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// Defaults of Options.
const (
	DefaultTimeout  = 20 * time.Second
	DefaultAttempts = 3
	DefaultBackoff  = 500 * time.Millisecond
	DefaultMaxWait  = 10 * time.Second
)

// Call is the account of one model call (after retries).
type Call struct {
	PromptID         string
	PromptVersion    int
	Model            string
	PromptTokens     int
	CompletionTokens int
	Latency          time.Duration
	CostUSD          float64 // 0 when no price is configured for the model
	Attempts         int
}

// Options tune a Client. The zero value is usable.
type Options struct {
	// Timeout bounds each attempt; default DefaultTimeout.
	Timeout time.Duration
	// Attempts is the most tries per call; default DefaultAttempts.
	// Retried: 429 (honouring Retry-After up to MaxWait), 5xx, timeouts
	// and connection errors. Never: other 4xx, or when ctx ends.
	Attempts int
	// Backoff is the wait before the first retry when the server names
	// none, doubled for each one after; default DefaultBackoff.
	Backoff time.Duration
	// MaxWait caps any wait between attempts, Retry-After included;
	// default DefaultMaxWait.
	MaxWait time.Duration
	// Prices by model name: USD per million input and output tokens.
	Prices map[string]Price
	// Registerer receives the metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// Log receives the accounts; nil discards them.
	Log *slog.Logger
	// Now is the clock for latency and Retry-After dates; default time.Now.
	Now func() time.Time
	// Sleep waits between attempts, returning early with ctx's error;
	// default a timer. Tests replace it to see the waits without taking
	// them.
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTPClient carries the requests; default a plain http.Client (the
	// deadline comes from Timeout, per attempt).
	HTTPClient *http.Client
}

// Price is what a model costs, in USD per million tokens.
type Price struct{ InputPerM, OutputPerM float64 }

// Client calls the configured model. It is safe for concurrent use.
type Client struct {
	api      *openai.Client
	ep       endpoint
	opt      Options
	log      *slog.Logger
	metrics  *metrics
	backend  string // openai or azure, for the log
	fixModel bool   // Azure: the deployment decides the model, whatever the request says
}

// New builds a client for the endpoint env names. It fails when nothing is
// configured or when the configuration is incomplete, such as an Azure
// endpoint without a deployment.
func New(env config.Env, opt Options) (*Client, error) {
	ep, err := resolve(env)
	if err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Attempts <= 0 {
		opt.Attempts = DefaultAttempts
	}
	if opt.Backoff <= 0 {
		opt.Backoff = DefaultBackoff
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = DefaultMaxWait
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleep
	}
	var doer openai.HTTPDoer = &http.Client{}
	if opt.HTTPClient != nil {
		doer = opt.HTTPClient
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(opt.Registerer)
	if err != nil {
		return nil, err
	}

	var cfg openai.ClientConfig
	backend := config.LLMOpenAI
	if ep.azure {
		backend = config.LLMAzure
		cfg = openai.DefaultAzureConfig(ep.key, ep.baseURL)
		cfg.APIVersion = ep.version
		deployment := ep.model
		cfg.AzureModelMapperFunc = func(string) string { return deployment }
	} else {
		cfg = openai.DefaultConfig(ep.key)
		cfg.BaseURL = ep.baseURL
	}
	cfg.HTTPClient = recorder{next: doer}

	return &Client{
		api:      openai.NewClientWithConfig(cfg),
		ep:       ep,
		opt:      opt,
		log:      log,
		metrics:  m,
		backend:  backend,
		fixModel: ep.azure,
	}, nil
}

// Model is the model calls use when the request names none: OPENAI_MODEL,
// or the Azure deployment. A nil Client has none.
func (c *Client) Model() string {
	if c == nil {
		return ""
	}
	return c.ep.model
}

// Messages are the system and user messages of p, the usual start of a
// request.
func Messages(p prompts.Prompt) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: p.System},
		{Role: openai.ChatMessageRoleUser, Content: p.User},
	}
}

// Chat sends req (Model filled in when empty) and labels the call with p's
// id and version. p's text is not added to req: the caller builds the
// messages, usually starting with Messages(p).
//
// The response is returned only when it has at least one choice. On
// failure the error is an *Error. A nil Client fails every call with
// ErrNotConfigured, so that a feature can treat "no model" like a model
// that is down and write from its template.
func (c *Client) Chat(ctx context.Context, p prompts.Prompt, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, Call, error) {
	call := Call{PromptID: p.ID, PromptVersion: p.Version, Model: req.Model}
	if c == nil {
		return openai.ChatCompletionResponse{}, call, &Error{PromptID: p.ID, Class: ClassUnconfigured, msg: ErrNotConfigured.Error(), cause: ErrNotConfigured}
	}
	if p.ID == "" {
		// Every call is labelled with its prompt; an unlabelled one is a bug.
		return openai.ChatCompletionResponse{}, call, &Error{Class: ClassInvalid, msg: "no prompt id: render the prompt with prompts.Render"}
	}
	if req.Model == "" {
		req.Model = c.ep.model
	}
	call.Model = req.Model
	if c.fixModel {
		call.Model = c.ep.model
	}
	start := c.opt.Now()

	for {
		call.Attempts++
		resp, a, err := c.attempt(ctx, req)
		var class string
		var retry bool
		switch {
		case err == nil && len(resp.Choices) > 0:
			call.Latency = c.opt.Now().Sub(start)
			c.account(&call, resp)
			return resp, call, nil
		case err == nil:
			class, err = ClassBadResponse, errors.New("the response has no choices")
		default:
			class, retry = classify(ctx, a, err)
		}

		msg := scrub(err, c.ep.key)
		if retry && call.Attempts < c.opt.Attempts {
			wait := c.wait(call.Attempts, a)
			if c.fits(ctx, wait) {
				c.metrics.requests.WithLabelValues(call.Model, classRetry).Inc()
				c.log.Warn("llm attempt failed, retrying",
					"prompt", p.ID, "version", p.Version, "model", call.Model,
					"attempt", call.Attempts, "class", class, "status", a.status, "wait", wait, "err", msg)
				serr := c.opt.Sleep(ctx, wait)
				if serr == nil {
					continue
				}
				class, msg = ClassCanceled, msg+"; then "+serr.Error()+" while waiting to retry"
			}
		}
		c.metrics.requests.WithLabelValues(call.Model, class).Inc()
		call.Latency = c.opt.Now().Sub(start)
		e := &Error{PromptID: p.ID, Model: call.Model, Class: class, Status: a.status, Attempts: call.Attempts, msg: msg}
		switch {
		case ctx.Err() != nil:
			e.cause = ctx.Err()
		case class == ClassTimeout:
			e.cause = context.DeadlineExceeded
		}
		return openai.ChatCompletionResponse{}, call, e
	}
}

// attempt makes one HTTP exchange bounded by Timeout.
func (c *Client) attempt(ctx context.Context, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, *attempt, error) {
	a := &attempt{}
	actx, cancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, a), c.opt.Timeout)
	defer cancel()
	resp, err := c.api.CreateChatCompletion(actx, req)
	a.timedOut = errors.Is(actx.Err(), context.DeadlineExceeded)
	return resp, a, err
}

// wait is the pause before attempt n+1: what the server asked for, or the
// doubling backoff, capped at MaxWait.
func (c *Client) wait(n int, a *attempt) time.Duration {
	d := retryAfter(a, c.opt.Now())
	if d == 0 {
		d = c.opt.Backoff << (n - 1)
	}
	return min(d, c.opt.MaxWait)
}

// fits reports whether a wait of d leaves time before ctx's deadline for
// the next attempt to start; waiting past it would only delay the error.
func (c *Client) fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || c.opt.Now().Add(d).Before(deadline)
}

// account fills in call's tokens and cost and counts them.
func (c *Client) account(call *Call, resp openai.ChatCompletionResponse) {
	call.PromptTokens = resp.Usage.PromptTokens
	call.CompletionTokens = resp.Usage.CompletionTokens
	price, ok := c.opt.Prices[call.Model]
	if !ok && resp.Model != "" {
		price = c.opt.Prices[resp.Model]
	}
	call.CostUSD = (float64(call.PromptTokens)*price.InputPerM + float64(call.CompletionTokens)*price.OutputPerM) / 1e6

	m := c.metrics
	m.requests.WithLabelValues(call.Model, classOK).Inc()
	m.tokens.WithLabelValues(call.Model, "prompt").Add(float64(call.PromptTokens))
	m.tokens.WithLabelValues(call.Model, "completion").Add(float64(call.CompletionTokens))
	m.cost.WithLabelValues(call.Model).Add(call.CostUSD)
	m.latency.WithLabelValues(call.Model).Observe(call.Latency.Seconds())
	c.log.Debug("llm call",
		"backend", c.backend, "prompt", call.PromptID, "version", call.PromptVersion, "model", call.Model,
		"prompt_tokens", call.PromptTokens, "completion_tokens", call.CompletionTokens,
		"latency", call.Latency, "cost_usd", call.CostUSD, "attempts", call.Attempts)
}

// Record logs an output once its checks are done: prompt id and version,
// model, tokens, latency, cost, and passed or the rejection reason; and
// counts it in qm_llm_outputs_total{prompt,result}.
//
// On a nil Client it does nothing: there was no call to account for.
func (c *Client) Record(call Call, passed bool, reason string) {
	if c == nil {
		return
	}
	result := "passed"
	if !passed {
		result = "rejected"
	}
	c.metrics.outputs.WithLabelValues(call.PromptID, result).Inc()
	attrs := []any{
		"prompt", call.PromptID, "version", call.PromptVersion, "model", call.Model,
		"prompt_tokens", call.PromptTokens, "completion_tokens", call.CompletionTokens,
		"latency", call.Latency, "cost_usd", call.CostUSD, "attempts", call.Attempts,
		"result", result,
	}
	if !passed {
		attrs = append(attrs, "reason", reason)
	}
	c.log.Info("llm output", attrs...)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
