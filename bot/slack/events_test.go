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
	"strings"
	"sync"
	"testing"
	"time"

	qmslack "github.com/quartermaster-ops/quartermaster/bot/slack"
)

// botUser is the bot's own user id, named in every event's authorizations.
const botUser = "UBOT"

// handlePosts makes mux stand in for chat.postMessage: every message
// posted with the bot token arrives on the returned channel.
func handlePosts(t *testing.T, mux *http.ServeMux) <-chan url.Values {
	t.Helper()
	posts := make(chan url.Values, 10)
	mux.HandleFunc("POST /chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := r.ParseForm(); err != nil {
			t.Errorf("chat.postMessage form: %v", err)
		}
		// slack-go sends the token in the form.
		if r.PostForm.Get("token") != botToken && r.Header.Get("Authorization") != "Bearer "+botToken {
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		posts <- r.PostForm
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000100.000100"}`, r.PostForm.Get("channel"))
	})
	return posts
}

// mention is the app_mention event Slack sends when someone mentions the bot.
type mention struct {
	id, user, bot, text, ts, thread string
	edited                          bool
}

// callback is mention as an Events API event_callback.
func (m mention) callback() string {
	ev := map[string]any{"type": "app_mention", "user": m.user, "text": m.text, "ts": m.ts,
		"channel": "C1", "event_ts": m.ts}
	if m.thread != "" {
		ev["thread_ts"] = m.thread
	}
	if m.bot != "" {
		ev["bot_id"] = m.bot
	}
	if m.edited {
		ev["edited"] = map[string]string{"user": m.user, "ts": "1700000050.000100"}
	}
	b, err := json.Marshal(map[string]any{
		"type": "event_callback", "token": "verification-token-unused", "team_id": "T1", "api_app_id": "A0TEST",
		"event_id": m.id, "event_time": 1700000000, "event": ev,
		"authorizations": []map[string]any{{"team_id": "T1", "user_id": botUser, "is_bot": true}},
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// asked is one call of a MentionFunc.
type asked struct{ user, channel, text string }

// eventsFixture is an Events handler wired to a Web API stand-in.
type eventsFixture struct {
	h     *qmslack.EventsHandler
	posts <-chan url.Values
	asked chan asked
	logs  *bytes.Buffer
	clock *settable
}

// settable is a clock the test moves, safe for the handler's goroutines.
type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settable) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newEventsFixture(t *testing.T, answer qmslack.MentionFunc) *eventsFixture {
	t.Helper()
	mux := http.NewServeMux()
	f := &eventsFixture{posts: handlePosts(t, mux), asked: make(chan asked, 10), logs: &bytes.Buffer{},
		clock: &settable{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	f.h = qmslack.Events(signingSecret, botToken, func(ctx context.Context, user, channel, text string) (string, error) {
		f.asked <- asked{user, channel, text}
		return answer(ctx, user, channel, text)
	}, qmslack.WithAPIURL(api.URL+"/"), qmslack.WithHTTPClient(api.Client()), qmslack.WithClock(f.clock.now),
		qmslack.WithLogger(slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	return f
}

// post sends body to the handler as Slack would, with headers added.
func (f *eventsFixture) post(t *testing.T, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := signedBody("/slack/events", "application/json", body, time.Now(), signingSecret)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func TestEventsRequests(t *testing.T) {
	f := newEventsFixture(t, func(context.Context, string, string, string) (string, error) { return "", nil })
	event := mention{id: "Ev1", user: "U1", text: "<@UBOT> hi", ts: "1.1"}.callback()
	tests := []struct {
		name string
		req  *http.Request
		code int
		body string // the response body, when it matters
	}{
		{"wrong secret", signedBody("/slack/events", "application/json", event, time.Now(), "other"), 401, ""},
		{"replayed ten minutes later", signedBody("/slack/events", "application/json", event, time.Now().Add(-10*time.Minute), signingSecret), 401, ""},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(event)), 401, ""},
		{"GET", httptest.NewRequest(http.MethodGet, "/slack/events", nil), 405, ""},
		{"url_verification", signedBody("/slack/events", "application/json",
			`{"token":"unused","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, time.Now(), signingSecret),
			200, `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` + "\n"},
		{"not JSON", signedBody("/slack/events", "application/json", `challenge=x`, time.Now(), signingSecret), 400, ""},
		{"an event this bot does not answer", signedBody("/slack/events", "application/json",
			`{"type":"event_callback","event_id":"Ev8","event":{"type":"reaction_added","user":"U1"}}`, time.Now(), signingSecret), 200, ""},
		{"an event slack-go cannot read", signedBody("/slack/events", "application/json",
			`{"type":"event_callback","event_id":"Ev9","event":{"type":"no_such_event"}}`, time.Now(), signingSecret), 200, ""},
		{"app_rate_limited", signedBody("/slack/events", "application/json",
			`{"token":"unused","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A0TEST"}`, time.Now(), signingSecret), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, tt.req)
			if w.Code != tt.code {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.code, w.Body)
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
		})
	}
	if err := f.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(f.asked) != 0 {
		t.Errorf("%d questions asked, want none", len(f.asked))
	}
}

func TestEventsMention(t *testing.T) {
	f := newEventsFixture(t, func(_ context.Context, _, _, text string) (string, error) {
		if strings.HasPrefix(text, "fail") {
			return "", errors.New("llm refused token " + botToken + " and " + signingSecret)
		}
		return "SKU-1 @ DC-EAST: 42 on hand <@U2> & <!channel>", nil
	})
	first := mention{id: "Ev1", user: "U1", text: "<@UBOT> what is the status of SKU-1 at DC-EAST?", ts: "1700000000.000100"}

	if w := f.post(t, first.callback()); w.Code != http.StatusOK {
		t.Fatalf("mention: status %d", w.Code)
	}
	if got, want := next(t, f.asked, "question"), (asked{"U1", "C1", "what is the status of SKU-1 at DC-EAST?"}); got != want {
		t.Errorf("asked %+v, want %+v", got, want)
	}
	post := next(t, f.posts, "answer")
	want := url.Values{"channel": {"C1"}, "thread_ts": {"1700000000.000100"}, "unfurl_links": {"false"},
		"text": {"SKU-1 @ DC-EAST: 42 on hand &lt;@U2&gt; &amp; &lt;!channel&gt;"}}
	for k, v := range want {
		if post.Get(k) != v[0] {
			t.Errorf("answer %s = %q, want %q", k, post.Get(k), v[0])
		}
	}

	// Slack's retry of an event taken, a bot's message and an edit are
	// acknowledged and not answered.
	ignored := []struct {
		name   string
		body   string
		header []string
	}{
		{"retry of a taken event", first.callback(), []string{"X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"}},
		{"same event again", first.callback(), nil},
		{"a bot's message", mention{id: "Ev2", user: "U9", bot: "B9", text: "<@UBOT> status", ts: "2.1"}.callback(), nil},
		{"an edit", mention{id: "Ev3", user: "U1", text: "<@UBOT> status", ts: "3.1", edited: true}.callback(), nil},
	}
	for _, tt := range ignored {
		if w := f.post(t, tt.body, tt.header...); w.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", tt.name, w.Code)
		}
	}

	// A question in a thread is answered there; a failure says why, with
	// no secret in it.
	threaded := mention{id: "Ev4", user: "U1", text: "  <@UBOT|quartermaster>   fail please ", ts: "1700000200.000300", thread: "1700000000.000900"}
	f.post(t, threaded.callback())
	if got, want := next(t, f.asked, "question in thread"), (asked{"U1", "C1", "fail please"}); got != want {
		t.Errorf("asked %+v, want %+v", got, want)
	}
	post = next(t, f.posts, "failure in thread")
	if post.Get("thread_ts") != threaded.thread || post.Get("text") != "Could not answer: llm refused token [redacted] and [redacted]" {
		t.Errorf("failure: thread %q text %q", post.Get("thread_ts"), post.Get("text"))
	}

	// The first event is forgotten after a while, so memory stays bounded.
	f.clock.add(time.Hour)
	f.post(t, first.callback(), "X-Slack-Retry-Num", "3")
	next(t, f.asked, "question redelivered an hour later")
	next(t, f.posts, "answer redelivered an hour later")

	if err := f.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(f.asked) != 0 {
		t.Errorf("%d more questions asked, want none: %v", len(f.asked), <-f.asked)
	}
	if w := f.post(t, mention{id: "Ev5", user: "U1", text: "<@UBOT> status", ts: "5.1"}.callback()); w.Code != http.StatusServiceUnavailable {
		t.Errorf("after Close: status %d, want 503 so that Slack delivers it again", w.Code)
	}
	for _, secret := range []string{botToken, signingSecret} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("logs hold a secret:\n%s", f.logs)
		}
	}
}

func TestStripMention(t *testing.T) {
	f := newEventsFixture(t, func(_ context.Context, _, _, text string) (string, error) { return "ok", nil })
	tests := []struct{ text, want string }{
		{"<@UBOT> what is late?", "what is late?"},
		{"<@UBOT|quartermaster>what is late?", "what is late?"},
		{"\n <@UBOT>\twhat is late? ", "what is late?"},
		{"<@U2> can you ask <@UBOT> what is late?", "<@U2> can you ask <@UBOT> what is late?"},
		{"what is late, <@UBOT>?", "what is late, <@UBOT>?"},
		{"<@UBOT", "<@UBOT"},
	}
	for i, tt := range tests {
		f.post(t, mention{id: fmt.Sprintf("Ev%d", i), user: "U1", text: tt.text, ts: "1.1"}.callback())
		if got := next(t, f.asked, "question").text; got != tt.want {
			t.Errorf("%q: asked %q, want %q", tt.text, got, tt.want)
		}
		next(t, f.posts, "answer")
	}
	// A bare mention is not a question: the thread is told how to ask one.
	f.post(t, mention{id: "EvBare", user: "U1", text: "<@UBOT>  ", ts: "1.1"}.callback())
	if got := next(t, f.posts, "hint").Get("text"); !strings.HasPrefix(got, "Ask a question after the mention") {
		t.Errorf("bare mention: %q", got)
	}
	if err := f.h.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(f.asked) != 0 {
		t.Errorf("a bare mention was asked: %v", <-f.asked)
	}
}

// TestEventsClose pins that Close waits for an answer in flight, and cuts
// it short when its own context ends first.
func TestEventsClose(t *testing.T) {
	release := make(chan struct{})
	f := newEventsFixture(t, func(context.Context, string, string, string) (string, error) {
		<-release
		return "done waiting", nil
	})

	// The 200 comes while the question is still being answered.
	if w := f.post(t, mention{id: "Ev1", user: "U1", text: "<@UBOT> wait", ts: "1.1"}.callback()); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	next(t, f.asked, "question")
	closed := make(chan error, 1)
	go func() { closed <- f.h.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v with an answer in flight", err)
	default:
	}
	close(release)
	if err := next(t, closed, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case p := <-f.posts:
		if p.Get("text") != "done waiting" {
			t.Errorf("answer %q", p.Get("text"))
		}
	default:
		t.Fatal("Close returned before the answer was posted")
	}

	cancelled := make(chan error, 1)
	g := newEventsFixture(t, func(ctx context.Context, _, _, _ string) (string, error) {
		<-ctx.Done()
		cancelled <- ctx.Err()
		return "", ctx.Err()
	})
	g.post(t, mention{id: "Ev1", user: "U1", text: "<@UBOT> never", ts: "1.1"}.callback())
	next(t, g.asked, "question")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.h.Close(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 answers cut short") {
		t.Errorf("Close with its context ended: got %v, want one answer cut short", err)
	}
	if err := next(t, cancelled, "cancellation"); !errors.Is(err, context.Canceled) {
		t.Errorf("the question's context ended with %v, want context.Canceled", err)
	}
}
