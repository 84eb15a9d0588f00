package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	qmslack "github.com/quartermaster-ops/quartermaster/bot/slack"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// signed builds an interactivity request as Slack signs it.
func signed(t *testing.T, target, payload string, at time.Time, secret string) *http.Request {
	t.Helper()
	return signedBody(target, "application/x-www-form-urlencoded", url.Values{"payload": {payload}}.Encode(), at, secret)
}

// signedBody builds a request to target with body, signed as Slack signs
// every request it sends an app.
func signedBody(target, contentType, body string, at time.Time, secret string) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func TestInteractions(t *testing.T) {
	var mu sync.Mutex
	var replies []string
	responses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		replies = append(replies, m["text"].(string)+"|"+m["response_type"].(string))
		mu.Unlock()
	}))
	defer responses.Close()
	var got []interact.Request
	handle := func(_ context.Context, r interact.Request) (string, error) {
		got = append(got, r)
		return "Acknowledged " + r.Alert + ".", nil
	}
	h := qmslack.Interactions(signingSecret, handle, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	payload := func(action string) string {
		return `{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"container":{"message_ts":"171.1"},` +
			`"response_url":"` + responses.URL + `/reply","actions":[{"block_id":"qm_actions","action_id":"` + action + `","value":"qm-0123456789abcdef-1"}]}`
	}
	tests := []struct {
		name   string
		req    *http.Request
		code   int
		handed int // requests handed to the handler so far
	}{
		{"valid click", signed(t, "/slack/interactions", payload("qm_ack"), time.Now(), signingSecret), 200, 1},
		{"wrong secret", signed(t, "/slack/interactions", payload("qm_ack"), time.Now(), "other"), 401, 1},
		{"replayed ten minutes later", signed(t, "/slack/interactions", payload("qm_ack"), time.Now().Add(-10*time.Minute), signingSecret), 401, 1},
		{"unknown button", signed(t, "/slack/interactions", payload("qm_delete_everything"), time.Now(), signingSecret), 200, 1},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tt.req)
		if w.Code != tt.code || len(got) != tt.handed {
			t.Errorf("%s: status %d handed %d, want %d and %d", tt.name, w.Code, len(got), tt.code, tt.handed)
		}
	}
	if got[0].Kind != interact.Ack || got[0].User != "U1" || got[0].Source.Message != "171.1" {
		t.Errorf("request %+v", got[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(replies) != 2 || replies[0] != "Acknowledged qm-0123456789abcdef-1.|ephemeral" || !strings.HasPrefix(replies[1], "Could not do that: unknown button") {
		t.Errorf("replies %q", replies)
	}
}
