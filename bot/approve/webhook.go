package approve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxRetryAfter is the longest Retry-After Send waits out. A receiver
// asking for longer is treated as down: the caller is usually a person's
// approval in chat, and Redeliver will try again later.
const maxRetryAfter = time.Minute

// Webhook posts JSON to a receiver that creates work items (a ticketing or
// ERP integration). Approved actions and actionable alerts both go out
// through it. The zero value of every field but URL works.
type Webhook struct {
	URL string
	// Client sends the requests; nil means a client with a 10 s timeout.
	Client *http.Client
	// Attempts is how many times Send tries in all; zero means 5.
	Attempts int
	// Backoff is the wait before the second attempt, doubled before each
	// further one; zero means 1 s. A Retry-After from the receiver wins.
	Backoff time.Duration
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// StatusError is a non-2xx answer from the receiver.
type StatusError struct {
	Code       int
	RetryAfter time.Duration // 0 when the receiver named no wait
	Body       string        // the start of the answer, for the operator
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("webhook answered %d: %s", e.Code, e.Body)
}

// Retryable reports whether sending again can help: the receiver failed
// (5xx) or asked us to slow down (429). Other 4xx mean the request itself
// is wrong, and repeating it only repeats the refusal.
func (e *StatusError) Retryable() bool {
	return e.Code >= 500 || e.Code == http.StatusTooManyRequests
}

// Send posts v as JSON with the header Idempotency-Key: key, so that the
// receiver can drop repeats of one delivery. It retries network errors,
// 5xx and 429 with backoff up to Attempts times, and returns at the first
// 2xx or other 4xx. A failure is a *StatusError (find it with errors.As)
// or a network error; messages never carry the URL's query or password,
// where receivers often keep a token. ctx bounds the whole call.
func (w *Webhook) Send(ctx context.Context, v any, key string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	attempts, wait := w.Attempts, w.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	for i := 1; ; i++ {
		err = w.post(ctx, body, key)
		if err == nil {
			return nil
		}
		var se *StatusError
		isStatus := errors.As(err, &se)
		if isStatus && !se.Retryable() {
			return fmt.Errorf("webhook %s: %w", w.redacted(), err)
		}
		if i == attempts || ctx.Err() != nil {
			return fmt.Errorf("webhook %s: gave up after %d attempts: %w", w.redacted(), i, err)
		}
		d := wait
		if isStatus && se.RetryAfter > 0 {
			if se.RetryAfter > maxRetryAfter {
				return fmt.Errorf("webhook %s: asked to wait %s: %w", w.redacted(), se.RetryAfter, err)
			}
			d = se.RetryAfter
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("webhook %s: %w (last: %w)", w.redacted(), ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

func (w *Webhook) post(ctx context.Context, body []byte, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", unwrapURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	c := w.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return unwrapURL(err)
	}
	defer resp.Body.Close()
	// Read a little of the body for the error and drain the rest (up to
	// a bound) so that the connection can be reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{Code: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Body: string(bytes.TrimSpace(snippet))}
}

// unwrapURL drops the *url.Error around err, whose message repeats the
// full URL, secrets included.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// redacted is the URL without user info or query, for messages.
func (w *Webhook) redacted() string {
	u, err := url.Parse(w.URL)
	if err != nil {
		return "(unparsable url)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
