package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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
// socket, replies to response_url, messages posted with chat.postMessage).
type fakeSocket struct {
	srv     *httptest.Server
	acks    chan json.RawMessage
	replies chan map[string]any
	posts   <-chan url.Values
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
	f.posts = handlePosts(t, mux)
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

	stop := runSocket(t, opts)

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

	acks := f.acknowledged(t, 2)
	if a, ok := acks["e1"]; !ok || a.Payload != nil {
		t.Errorf("e1: want an ack without payload, got %+v (present %v)", a, ok)
	}
	want := map[string]string{"response_type": "ephemeral", "text": "SKU1@DC1: 42 on hand"}
	if a := acks["e2"]; a.Payload["response_type"] != want["response_type"] || a.Payload["text"] != want["text"] {
		t.Errorf("e2: got payload %v, want %v", a.Payload, want)
	}

	stop()
	for _, tok := range []string{appToken, botToken} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("logs hold a token:\n%s", logs.String())
		}
	}
}

// runSocket runs Socket with opts until the returned stop is called; stop
// ends it and fails the test unless it returns nil, promptly, leaving no
// socketmode goroutine behind.
func runSocket(t *testing.T, opts qmslack.SocketOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- qmslack.Socket(ctx, appToken, botToken, opts) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Socket after cancel: got %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Socket still running 5s after its context ended")
		}
		waitNoSocketmode(t)
	}
	t.Cleanup(stop)
	return stop
}

// socketAck is an acknowledgement the bot sent on the socket.
type socketAck struct {
	EnvelopeID string            `json:"envelope_id"`
	Payload    map[string]string `json:"payload"`
}

// acknowledged waits for n acknowledgements and returns them by envelope.
func (f *fakeSocket) acknowledged(t *testing.T, n int) map[string]socketAck {
	t.Helper()
	acks := map[string]socketAck{}
	for range n {
		raw := next(t, f.acks, "acknowledgement")
		var a socketAck
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("ack %s: %v", raw, err)
		}
		acks[a.EnvelopeID] = a
	}
	return acks
}

// eventsEnvelope wraps an Events API callback as Socket Mode sends it.
func eventsEnvelope(envelope, callback string, retry int) string {
	return fmt.Sprintf(`{"envelope_id":%q,"type":"events_api","payload":%s,"accepts_response_payload":false,"retry_attempt":%d,"retry_reason":""}`,
		envelope, callback, retry)
}

func TestSocketMention(t *testing.T) {
	top := mention{id: "Ev1", user: "U1", text: "<@UBOT> what is the status of SKU-1 at DC-EAST?", ts: "1700000000.000100"}
	threaded := mention{id: "Ev3", user: "U2", text: "<@UBOT|quartermaster>   is SKU-2 late?", ts: "1700000300.000100", thread: "1700000000.000900"}
	f := newFakeSocket(t, func(string) []string {
		return []string{
			eventsEnvelope("e1", top.callback(), 0),
			eventsEnvelope("e2", top.callback(), 1), // Slack's retry of the same event
			eventsEnvelope("e3", mention{id: "Ev2", user: "U9", bot: "B9", text: "<@UBOT> status", ts: "1700000100.000100"}.callback(), 0),
			eventsEnvelope("e4", threaded.callback(), 0),
		}
	})
	questions := make(chan asked, 10)
	var logs bytes.Buffer
	stop := runSocket(t, qmslack.SocketOptions{
		APIURL: f.srv.URL + "/", HTTPClient: f.srv.Client(),
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Mention: func(_ context.Context, user, channel, text string) (string, error) {
			questions <- asked{user, channel, text}
			return "About " + text + " <@U3>", nil
		},
	})

	if acks := f.acknowledged(t, 4); len(acks) != 4 {
		t.Errorf("acknowledged %v, want e1 to e4", acks)
	}
	posts := map[string]url.Values{}
	for range 2 {
		p := next(t, f.posts, "answer in a thread")
		posts[p.Get("thread_ts")] = p
	}
	want := map[string]string{
		top.ts:          "About what is the status of SKU-1 at DC-EAST? &lt;@U3&gt;",
		threaded.thread: "About is SKU-2 late? &lt;@U3&gt;",
	}
	for thread, text := range want {
		p, ok := posts[thread]
		if !ok || p.Get("channel") != "C1" || p.Get("text") != text || p.Get("unfurl_links") != "false" {
			t.Errorf("thread %s: got %v, want %q in C1 without unfurling", thread, p, text)
		}
	}

	stop() // Socket waits for its answers: every question asked is in
	close(questions)
	var got []asked
	for q := range questions {
		got = append(got, q)
	}
	wantAsked := map[asked]bool{{"U1", "C1", "what is the status of SKU-1 at DC-EAST?"}: true, {"U2", "C1", "is SKU-2 late?"}: true}
	if len(got) != 2 || !wantAsked[got[0]] || !wantAsked[got[1]] || got[0] == got[1] {
		t.Errorf("asked %+v, want the two people's questions once each", got)
	}
	for _, tok := range []string{appToken, botToken} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("logs hold a token:\n%s", logs.String())
		}
	}
}

// TestSocketSlowCommand pins that /qm ask is acknowledged while its answer
// is still being worked on, and that the answer reaches response_url.
func TestSocketSlowCommand(t *testing.T) {
	f := newFakeSocket(t, func(base string) []string {
		return []string{`{"envelope_id":"e1","type":"slash_commands","payload":{"command":"/qm","text":"ask what is late at DC-EAST?",` +
			`"user_id":"U1","channel_id":"C1","response_url":"` + base + `/respond"},"accepts_response_payload":true}`}
	})
	release := make(chan struct{})
	stop := runSocket(t, qmslack.SocketOptions{
		APIURL: f.srv.URL + "/", HTTPClient: f.srv.Client(),
		Command: func(ctx context.Context, user, channel, text string) (string, error) {
			select {
			case <-release:
				return "Nothing is late at DC-EAST.", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	})
	ack := f.acknowledged(t, 1)["e1"]
	if ack.Payload["text"] != "Working on it…" || ack.Payload["response_type"] != "ephemeral" {
		t.Errorf("acknowledgement %+v, want an ephemeral Working on it…", ack)
	}
	close(release)
	reply := next(t, f.replies, "answer at response_url")
	if reply["text"] != "Nothing is late at DC-EAST." || reply["response_type"] != "ephemeral" || reply["replace_original"] != false {
		t.Errorf("answer %v", reply)
	}
	stop()
}

// TestSocketWaitsForAnswers pins that Socket cancels the answers in
// flight when its context ends and returns only after they have.
func TestSocketWaitsForAnswers(t *testing.T) {
	f := newFakeSocket(t, func(string) []string {
		return []string{eventsEnvelope("e1", mention{id: "Ev1", user: "U1", text: "<@UBOT> slow one", ts: "1.1"}.callback(), 0)}
	})
	started, cancelled, finish := make(chan struct{}), make(chan error, 1), make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- qmslack.Socket(ctx, appToken, botToken, qmslack.SocketOptions{
			APIURL: f.srv.URL + "/", HTTPClient: f.srv.Client(),
			Mention: func(ctx context.Context, _, _, _ string) (string, error) {
				close(started)
				<-ctx.Done()
				cancelled <- ctx.Err()
				<-finish // still busy after the cancellation
				return "", ctx.Err()
			},
		})
	}()
	next(t, started, "question")
	cancel()
	if err := next(t, cancelled, "cancellation"); !errors.Is(err, context.Canceled) {
		t.Errorf("the question's context ended with %v, want context.Canceled", err)
	}
	// The socketmode client stops within milliseconds; Socket must not
	// return while the answer is still running, however long that takes.
	select {
	case err := <-done:
		t.Fatalf("Socket returned %v with an answer in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(finish)
	if err := next(t, done, "Socket's return"); err != nil {
		t.Errorf("Socket: %v", err)
	}
	waitNoSocketmode(t)
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
