package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	qmslack "github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

const (
	appToken = "xapp-1-A0TEST-1234-5ecre7app7oken"
	botToken = "xoxb-1234-5ecre7bot7oken"
	alertID  = "qm-0123456789abcdef-1"
)

// fakeSocket is Slack's side of Socket Mode, small enough to read: it opens
// a connection for the app-level token, sends the given envelopes after
// hello, and hands back what the bot sends (acknowledgements on the
// socket, replies to response_url).
type fakeSocket struct {
	srv     *httptest.Server
	acks    chan json.RawMessage
	replies chan map[string]any
}

// newFakeSocket starts a fake whose socket sends envelopes, each built from
// the fake's base URL (for response_url).
func newFakeSocket(t *testing.T, envelopes func(base string) []string) *fakeSocket {
	t.Helper()
	f := &fakeSocket{acks: make(chan json.RawMessage, 10), replies: make(chan map[string]any, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+appToken {
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		// socketmode dials with Slack's own origin, as Slack expects.
		up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer conn.Close()
		msgs := append([]string{`{"type":"hello","num_connections":1,"debug_info":{"host":"fake"},"connection_info":{"app_id":"A0TEST"}}`},
			envelopes(f.srv.URL)...)
		for _, m := range msgs {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				t.Errorf("write: %v", err)
				return
			}
		}
		// Read acknowledgements until the bot closes the socket.
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			f.acks <- b
		}
	})
	mux.HandleFunc("POST /respond", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("response_url body: %v", err)
		}
		f.replies <- body
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// next waits for a value from ch, or fails the test.
func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5s", what)
		panic("unreachable")
	}
}

func TestSocket(t *testing.T) {
	f := newFakeSocket(t, func(base string) []string {
		click := `{"type":"block_actions","user":{"id":"U1","username":"ann"},"channel":{"id":"C1"},` +
			`"container":{"type":"message","message_ts":"1700000000.000100","channel_id":"C1"},` +
			`"response_url":"` + base + `/respond",` +
			`"actions":[{"type":"button","action_id":"qm_ack","block_id":"alert","value":"` + alertID + `","action_ts":"1700000001.000200"}]}`
		return []string{
			`{"envelope_id":"e1","type":"interactive","payload":` + click + `,"accepts_response_payload":false}`,
			`{"envelope_id":"e2","type":"slash_commands","payload":{"command":"/qm","text":"status SKU1@DC1","user_id":"U1","channel_id":"C1"},"accepts_response_payload":true}`,
		}
	})

	clicks := make(chan interact.Request, 1)
	type cmdCall struct{ user, channel, text string }
	commands := make(chan cmdCall, 1)
	var logs bytes.Buffer
	opts := qmslack.SocketOptions{
		APIURL: f.srv.URL + "/",
		Click: func(_ context.Context, r interact.Request) (string, error) {
			clicks <- r
			return "Acknowledged " + r.Alert + ".", nil
		},
		Command: func(_ context.Context, user, channel, text string) (string, error) {
			commands <- cmdCall{user, channel, text}
			return "SKU1@DC1: 42 on hand", nil
		},
		Log:        slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient: f.srv.Client(),
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- qmslack.Socket(ctx, appToken, botToken, opts) }()

	wantReq := interact.Request{Kind: interact.Ack, Alert: alertID, User: "U1",
		Source: audit.Source{Platform: "slack", Channel: "C1", Message: "1700000000.000100"}}
	if got := next(t, clicks, "click"); got != wantReq {
		t.Errorf("click: got %+v, want %+v", got, wantReq)
	}
	reply := next(t, f.replies, "reply to response_url")
	if reply["text"] != "Acknowledged "+alertID+"." || reply["response_type"] != "ephemeral" {
		t.Errorf("reply: got %v", reply)
	}
	if got, want := next(t, commands, "command"), (cmdCall{"U1", "C1", "status SKU1@DC1"}); got != want {
		t.Errorf("command: got %+v, want %+v", got, want)
	}

	type ack struct {
		EnvelopeID string            `json:"envelope_id"`
		Payload    map[string]string `json:"payload"`
	}
	acks := map[string]ack{}
	for range 2 {
		raw := next(t, f.acks, "acknowledgement")
		var a ack
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("ack %s: %v", raw, err)
		}
		acks[a.EnvelopeID] = a
	}
	if a, ok := acks["e1"]; !ok || a.Payload != nil {
		t.Errorf("e1: want an ack without payload, got %+v (present %v)", a, ok)
	}
	want := map[string]string{"response_type": "ephemeral", "text": "SKU1@DC1: 42 on hand"}
	if a := acks["e2"]; a.Payload["response_type"] != want["response_type"] || a.Payload["text"] != want["text"] {
		t.Errorf("e2: got payload %v, want %v", a.Payload, want)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Socket after cancel: got %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Socket still running 1s after its context ended")
	}
	waitNoSocketmode(t)
	for _, tok := range []string{appToken, botToken} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("logs hold a token:\n%s", logs.String())
		}
	}
}

// TestSocketRefusedToken pins that a refused token ends Socket with an
// error that does not repeat it.
func TestSocketRefusedToken(t *testing.T) {
	f := newFakeSocket(t, func(string) []string { return nil })
	const wrong = "xapp-1-A0TEST-9999-wrongtoken"
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- qmslack.Socket(t.Context(), wrong, botToken, qmslack.SocketOptions{
			APIURL: f.srv.URL + "/", HTTPClient: f.srv.Client(), Log: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Fatalf("got %v, want an invalid_auth error", err)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(logs.String(), wrong) {
			t.Errorf("the token leaked: err %q, logs %q", err, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Socket kept running with a refused token")
	}
	waitNoSocketmode(t)
}

// waitNoSocketmode fails the test when a socketmode goroutine is still
// running a second after Socket returned. (RunContext leaves its WebSocket
// reader to notice the closed connection by itself, so this polls.)
func waitNoSocketmode(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	var stacks string
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "slack-go/slack/socketmode.") {
			return
		}
	}
	t.Errorf("socketmode goroutines left after Socket returned:\n%s", stacks)
}
