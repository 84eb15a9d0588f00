package approve

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name  string
		codes []int
		calls int
		err   bool
	}{
		{"2xx at once", []int{201}, 1, false},
		{"5xx then 2xx", []int{503, 500, 200}, 3, false},
		{"429 is retried", []int{429, 200}, 2, false},
		{"4xx is not retried", []int{404}, 1, true},
		{"gives up after the attempts", []int{503, 503, 503, 503, 200}, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, hook := newReceiver(t, tt.codes...)
			err := hook.Send(context.Background(), map[string]int{"n": 1}, "K1")
			if (err != nil) != tt.err {
				t.Fatalf("send: %v, want error %v", err, tt.err)
			}
			if calls := r.calls(); len(calls) != tt.calls || calls[0] != "K1" {
				t.Errorf("calls %q, want %d with key K1", calls, tt.calls)
			}
		})
	}
}

func TestWebhookHonoursRetryAfter(t *testing.T) {
	var n atomic.Int32
	var first time.Time
	var waited time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		waited = time.Since(first)
	}))
	defer srv.Close()
	// The backoff alone would retry at once; the receiver asked for a second.
	hook := &Webhook{URL: srv.URL, Attempts: 2, Backoff: time.Millisecond}
	if err := hook.Send(context.Background(), 1, "K"); err != nil {
		t.Fatal(err)
	}
	if waited < time.Second {
		t.Errorf("retried after %s, want the 1 s Retry-After", waited)
	}
}

func TestWebhookRetriesNetworkErrorsAndRedacts(t *testing.T) {
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	hook := &Webhook{URL: "http://user:hunter2@127.0.0.1:" + strconv.Itoa(port) + "/hook?token=s3cret", Attempts: 2, Backoff: time.Millisecond}
	err = hook.Send(context.Background(), 1, "K")
	if err == nil || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Fatalf("send to nothing: %v, want a retried network error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "hunter2") {
		t.Errorf("error leaks the URL's secrets: %s", msg)
	}
	var se *StatusError
	if errors.As(err, &se) {
		t.Errorf("network error reported as status %d", se.Code)
	}
}

func TestRetryAfter(t *testing.T) {
	for h, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "-1": 0, "soon": 0, "Wed, 21 Oct 2015 07:28:00 GMT": 0} {
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", h, got, want)
		}
	}
	if got := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); got < 59*time.Minute {
		t.Errorf("retryAfter(an hour from now) = %s", got)
	}
}
