package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// The classes of a failed attempt, as counted in
// qm_llm_requests_total{result} and given in Error.Class.
const (
	ClassRateLimited  = "rate_limited" // 429; retried
	ClassQuota        = "quota"        // 429 insufficient_quota: retrying cannot help
	ClassServer       = "server_error" // 5xx; retried
	ClassTimeout      = "timeout"      // the attempt outran Options.Timeout; retried
	ClassConnection   = "connection"   // no answer: refused, reset, DNS; retried
	ClassAuth         = "auth"         // 401 or 403
	ClassClient       = "client_error" // another 4xx: the request is wrong
	ClassBadResponse  = "bad_response" // a 2xx the client cannot read, or without choices
	ClassInvalid      = "invalid"      // refused before sending: by go-openai, or no prompt id
	ClassCanceled     = "canceled"     // the caller's context ended
	ClassUnconfigured = "unconfigured" // a nil Client: no endpoint configured
)

const (
	classRetry   = "retry"          // the result label of an attempt that is retried
	classOK      = "ok"             // the result label of a successful attempt
	redactedKey  = "<redacted>"     // stands in for the API key in messages
	maxMessage   = 300              // bytes of an upstream message kept in an Error
	retryAfterMS = "Retry-After-Ms" // Azure's and OpenAI's finer-grained hint
)

// ErrNotConfigured is what a nil Client's calls fail with.
var ErrNotConfigured = errors.New("no language model endpoint configured")

// Error is a call that failed, after its retries.
//
// It carries the upstream message as text with the API key scrubbed out,
// and deliberately does not wrap the upstream error: go-openai's errors
// quote the response body, which a misbehaving proxy may fill with the
// request's Authorization header. It unwraps to context.Canceled,
// context.DeadlineExceeded or ErrNotConfigured when that is why the call
// ended.
type Error struct {
	PromptID string
	Model    string
	Class    string // one of the Class constants
	Status   int    // HTTP status of the last attempt; 0 when there was none
	Attempts int
	msg      string
	cause    error
}

func (e *Error) Error() string {
	if e.Attempts == 0 {
		return fmt.Sprintf("llm: prompt %s: %s: %s", e.PromptID, e.Class, e.msg)
	}
	return fmt.Sprintf("llm: prompt %s: %s after %d attempt(s): %s", e.PromptID, e.Class, e.Attempts, e.msg)
}

func (e *Error) Unwrap() error { return e.cause }

// attempt is what the transport saw of one HTTP exchange; go-openai keeps
// the status but drops the headers of an error response, and Retry-After
// lives there.
type attempt struct {
	timedOut   bool // the attempt outran Options.Timeout
	sent       bool
	status     int
	retryAfter string
	retryMS    string
}

type attemptKey struct{}

// recorder is the HTTP client go-openai uses: it notes each exchange in
// the attempt carried by the request's context.
type recorder struct{ next openai.HTTPDoer }

func (r recorder) Do(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if a != nil {
		a.sent = true
	}
	resp, err := r.next.Do(req)
	if a != nil && resp != nil {
		a.status = resp.StatusCode
		a.retryAfter = resp.Header.Get("Retry-After")
		a.retryMS = resp.Header.Get(retryAfterMS)
	}
	return resp, err
}

// classify names why an attempt failed and whether another may succeed.
// parent is the caller's context.
func classify(parent context.Context, a *attempt, err error) (class string, retry bool) {
	if parent.Err() != nil {
		return ClassCanceled, false
	}
	if apiErr, ok := errors.AsType[*openai.APIError](err); ok {
		if apiErr.HTTPStatusCode == http.StatusTooManyRequests && (apiErr.Type == "insufficient_quota" || apiErr.Code == "insufficient_quota") {
			return ClassQuota, false
		}
	}
	switch s := a.status; {
	case s == http.StatusTooManyRequests:
		return ClassRateLimited, true
	case s >= 500:
		return ClassServer, true
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return ClassAuth, false
	case s >= 400:
		return ClassClient, false
	case a.timedOut:
		return ClassTimeout, true // also while reading a slow 200's body
	case s >= 200:
		return ClassBadResponse, false
	}
	if !a.sent {
		return ClassInvalid, false
	}
	return ClassConnection, true
}

// retryAfter is the wait the server asked for, or 0 when it did not say.
func retryAfter(a *attempt, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(a.retryMS), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := strings.TrimSpace(a.retryAfter)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// scrub turns err into a message without the key, cut to maxMessage bytes.
func scrub(err error, key string) string {
	msg := err.Error()
	if key != "" {
		msg = strings.ReplaceAll(msg, key, redactedKey)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8Start(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// utf8Start reports whether b begins a UTF-8 sequence, so a cut there
// leaves valid text.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
