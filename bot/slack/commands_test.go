package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	qmslack "github.com/quartermaster-ops/quartermaster/bot/slack"
)

// responseURL stands in for the response_url Slack gives every command:
// each reply posted to it arrives on the returned channel.
func responseURL(t *testing.T) (string, <-chan map[string]any) {
	t.Helper()
	replies := make(chan map[string]any, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("response_url body: %v", err)
		}
		replies <- body
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/commands/T1/1/" + botToken, replies // the path is a secret too
}

func TestCommands(t *testing.T) {
	target, replies := responseURL(t)
	started := make(chan string, 10)
	release := make(chan struct{})
	answer := func(ctx context.Context, user, channel, text string) (string, error) {
		started <- text
		switch {
		case strings.HasPrefix(text, "status"):
			return "SKU1@DC1: 42 on hand", nil
		case text == "ask fail":
			return "", errors.New("no model configured")
		}
		select {
		case <-release:
			return "Answer to " + user + " in " + channel + ": " + text, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	var logs bytes.Buffer
	h := qmslack.Commands(signingSecret, answer, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	command := func(text string) *http.Request {
		form := url.Values{"command": {"/qm"}, "text": {text}, "user_id": {"U1"}, "channel_id": {"C1"}, "response_url": {target}}
		return signedBody("/slack/commands", "application/x-www-form-urlencoded", form.Encode(), time.Now(), signingSecret)
	}
	// serve runs one request in the background, so that a handler that
	// waits for the answer fails the test instead of hanging it.
	serve := func(req *http.Request) map[string]string {
		t.Helper()
		res := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			res <- w
		}()
		w := next(t, res, "response")
		var body map[string]string
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &body) != nil {
			t.Fatalf("status %d body %q", w.Code, w.Body)
		}
		return body
	}

	// Quick commands answer in the response body, as before.
	if got := serve(command("status SKU1@DC1")); got["text"] != "SKU1@DC1: 42 on hand" || got["response_type"] != "ephemeral" {
		t.Errorf("status: %v", got)
	}
	next(t, started, "status")

	// /qm ask is acknowledged while the answer is still being worked on,
	// and the answer follows through response_url.
	if got := serve(command("ask what is late at DC-EAST?")); got["text"] != "Working on it…" || got["response_type"] != "ephemeral" {
		t.Errorf("ask acknowledgement: %v", got)
	}
	if got := next(t, started, "question"); got != "ask what is late at DC-EAST?" {
		t.Errorf("asked %q", got)
	}
	close(release)
	reply := next(t, replies, "answer at response_url")
	if reply["text"] != "Answer to U1 in C1: ask what is late at DC-EAST?" || reply["response_type"] != "ephemeral" || reply["replace_original"] != false {
		t.Errorf("answer: %v", reply)
	}

	if got := serve(command("ask fail")); got["text"] != "Working on it…" {
		t.Errorf("ask acknowledgement: %v", got)
	}
	if reply := next(t, replies, "failure at response_url"); reply["text"] != "Could not do that: no model configured" {
		t.Errorf("failure: %v", reply)
	}

	// /qm brief is slow as well. Close waits for it.
	if got := serve(command("brief")); got["text"] != "Working on it…" {
		t.Errorf("brief acknowledgement: %v", got)
	}
	next(t, started, "brief")
	if err := h.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case reply := <-replies:
		if !strings.HasPrefix(reply["text"].(string), "Answer to U1 in C1: brief") {
			t.Errorf("brief: %v", reply)
		}
	default:
		t.Fatal("Close returned before the briefing reached response_url")
	}

	// After Close a slow command is told why it gets no answer; a quick
	// one is still answered.
	if got := serve(command("ask anything")); got["text"] != "Quartermaster is shutting down; ask again in a minute." {
		t.Errorf("ask after Close: %v", got)
	}
	if got := serve(command("status SKU1@DC1")); got["text"] != "SKU1@DC1: 42 on hand" {
		t.Errorf("status after Close: %v", got)
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedBody("/slack/commands", "application/x-www-form-urlencoded", "text=status", time.Now(), "other"))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", w.Code)
	}
	if strings.Contains(logs.String(), botToken) {
		t.Errorf("logs hold the response_url's secret:\n%s", logs.String())
	}
}

// TestCommandsUnreachableResponseURL pins that a reply that cannot be
// delivered is logged without the response_url, which is a secret.
func TestCommandsUnreachableResponseURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/commands/T1/1/" + botToken
	srv.Close() // nothing listens there now
	var logs bytes.Buffer
	h := qmslack.Commands(signingSecret, func(context.Context, string, string, string) (string, error) {
		return "an answer", nil
	}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	form := url.Values{"command": {"/qm"}, "text": {"ask what is late?"}, "user_id": {"U1"}, "response_url": {target}}
	h.ServeHTTP(httptest.NewRecorder(), signedBody("/slack/commands", "application/x-www-form-urlencoded", form.Encode(), time.Now(), signingSecret))
	if err := h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "slack reply not delivered") || strings.Contains(logs.String(), botToken) {
		t.Errorf("want the failure logged without the URL's secret:\n%s", logs.String())
	}
}
