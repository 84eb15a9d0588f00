package discord_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quartermaster-ops/quartermaster/bot/discord"
	"github.com/quartermaster-ops/quartermaster/bot/interact"
)

func TestInteractions(t *testing.T) {
	s := newSigner(t)
	var got []interact.Request
	click := func(_ context.Context, r interact.Request) (string, error) {
		got = append(got, r)
		return "Snoozed.", nil
	}
	endpoint, err := discord.NewEndpoint(discord.EndpointConfig{Key: s.key, Click: click, Now: func() time.Time { return s.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{
		"Endpoint": endpoint,
	} {
		t.Run(name, func(t *testing.T) {
			got = nil
			body := `{"type":3,"channel_id":"C9","member":{"user":{"id":"D1"}},"message":{"id":"M7"},` +
				`"data":{"custom_id":"qm_snooze_4h:qm-0123456789abcdef-1","component_type":2}}`
			if w := s.send(h, `{"type":1}`, s.now, s.priv); w.Code != 200 || !strings.Contains(w.Body.String(), `"type":1`) {
				t.Errorf("ping: %d %s", w.Code, w.Body)
			}
			if r := decodeResponse(t, s.send(h, body, s.now, s.priv)); r.Type != 4 || r.Data.Content != "Snoozed." || r.Data.Flags != 64 {
				t.Errorf("click: %+v", r)
			}
			if len(got) != 1 || got[0].Kind != interact.Snooze || got[0].Snooze != 4*time.Hour || got[0].User != "D1" || got[0].Source.Message != "M7" {
				t.Errorf("requests %+v", got)
			}
			_, other, _ := ed25519.GenerateKey(nil)
			for name, w := range map[string]*httptest.ResponseRecorder{
				"wrong key":           s.send(h, body, s.now, other),
				"replayed 10 minutes": s.send(h, body, s.now.Add(-10*time.Minute), s.priv),
			} {
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401", name, w.Code)
				}
			}
			if len(got) != 1 {
				t.Errorf("a refused request reached the handler: %+v", got)
			}
		})
	}
}

// signer signs interactions as Discord does, with a fixed clock.
type signer struct {
	key  ed25519.PublicKey
	priv ed25519.PrivateKey
	now  time.Time
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The key as the Developer Portal shows it.
	key, err := discord.ParsePublicKey(hex.EncodeToString(pub))
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: key, priv: priv, now: time.Unix(1_800_000_000, 0)}
}

// send posts body to h signed by priv at time at.
func (s signer) send(h http.Handler, body string, at time.Time, priv ed25519.PrivateKey) *httptest.ResponseRecorder {
	ts := strconv.FormatInt(at.Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(body))
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// response is an answer to an interaction.
type response struct {
	Type int `json:"type"`
	Data struct {
		Content string `json:"content"`
		Flags   int    `json:"flags"`
	} `json:"data"`
}

func decodeResponse(t *testing.T, w *httptest.ResponseRecorder) response {
	t.Helper()
	var r response
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	if err := json.NewDecoder(w.Body).Decode(&r); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return r
}

// edit is one request the stand-in API got.
type edit struct {
	Method, Path string
	Content      string
	Parse        []string // allowed_mentions.parse; nil when absent
}

// standIn stands in for Discord's REST API: it records edits of deferred
// answers and answers each with the next status of statuses, then 200.
type standIn struct {
	srv *httptest.Server

	mu       sync.Mutex
	edits    []edit
	statuses []int
	got      chan struct{} // one value per request
}

func newStandIn(t *testing.T, statuses ...int) *standIn {
	t.Helper()
	s := &standIn{statuses: statuses, got: make(chan struct{}, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Content         string `json:"content"`
			AllowedMentions *struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		e := edit{Method: r.Method, Path: r.URL.EscapedPath(), Content: body.Content}
		if body.AllowedMentions != nil {
			e.Parse = body.AllowedMentions.Parse
		}
		s.mu.Lock()
		s.edits = append(s.edits, e)
		status := http.StatusOK
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status >= 300 {
			// Name the path, token and all, as a careless proxy might.
			fmt.Fprintf(w, `{"message":"no webhook at %s","code":10015}`, r.URL.Path)
		} else {
			fmt.Fprint(w, `{"id":"M1"}`)
		}
		s.got <- struct{}{}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *standIn) requests() []edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]edit(nil), s.edits...)
}

// syncBuffer is a log sink safe for the endpoint's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// call is one /qm the command function got.
type call struct{ User, Channel, Text string }

// fakeCommands answers /qm by echoing its text, or fails with err.
type fakeCommands struct {
	mu    sync.Mutex
	calls []call
	reply func(ctx context.Context, text string) (string, error)
}

func (f *fakeCommands) answer(ctx context.Context, user, channel, text string) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{user, channel, text})
	reply := f.reply
	f.mu.Unlock()
	if reply != nil {
		return reply(ctx, text)
	}
	return "done: " + text, nil
}

func (f *fakeCommands) got() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// newEndpoint returns an Endpoint answering /qm with cmds and delivering
// deferred answers to api, and its log.
func newEndpoint(t *testing.T, s signer, cmds *fakeCommands, api *standIn) (*discord.Endpoint, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	e, err := discord.NewEndpoint(discord.EndpointConfig{
		Key: s.key, Command: cmds.answer,
		Click: func(context.Context, interact.Request) (string, error) { return "clicked", nil },
		API:   api.srv.URL + "/api/v9", Client: api.srv.Client(),
		Now: func() time.Time { return s.now }, Log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("NewEndpoint: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e, logs
}

// slash is a /qm interaction in a server's channel C9 by member D1.
func slash(sub string, options ...string) string {
	opts := make([]string, 0, len(options)/2)
	for i := 0; i+1 < len(options); i += 2 {
		opts = append(opts, fmt.Sprintf(`{"name":%q,"type":3,"value":%q}`, options[i], options[i+1]))
	}
	return `{"type":2,"id":"I1","application_id":"1100","token":"itok-secret","channel_id":"C9",` +
		`"member":{"user":{"id":"D1"}},"data":{"id":"900","name":"qm","type":1,` +
		`"options":[{"name":"` + sub + `","type":1,"options":[` + strings.Join(opts, ",") + `]}]}}`
}

const alertID = "qm-0123456789abcdef-1"

func TestSlashCommands(t *testing.T) {
	s := newSigner(t)
	covered := map[string]bool{}
	for _, tt := range []struct {
		name string
		body string
		text string // what the command function gets
		slow bool   // answered deferred, then by an edit
	}{
		{"status", slash("status", "position", "SKU-1@DC-EAST"), "status SKU-1@DC-EAST", false},
		{"ask", slash("ask", "question", "why is SKU-1\nat risk  in DC-EAST?"), "ask why is SKU-1 at risk in DC-EAST?", true},
		{"brief", slash("brief"), "brief", true},
		{"ack", slash("ack", "alert", alertID), "ack " + alertID, false},
		{"ack with a note", slash("ack", "alert", alertID, "note", "calling the carrier"), "ack " + alertID + " calling the carrier", false},
		{"options in any order", slash("ack", "note", "on it", "alert", alertID), "ack " + alertID + " on it", false},
		{"snooze", slash("snooze", "alert", alertID, "for", "24h"), "snooze " + alertID + " 24h", false},
		{"assign", slash("assign", "alert", " "+alertID+" "), "assign " + alertID, false},
		{"silence", slash("silence", "matchers", "sku=SKU-1 site=DC-EAST", "for", "4h"), "silence sku=SKU-1 site=DC-EAST for 4h", false},
		{"silence with a comment", slash("silence", "comment", "port strike", "matchers", "SKU-1@DC-EAST supplier=~SUP-(1|2)", "for", "2d"),
			"silence SKU-1@DC-EAST supplier=~SUP-(1|2) for 2d port strike", false},
		{"silences", slash("silences"), "silences", false},
		{"unsilence", slash("unsilence", "id", "sil-42"), "unsilence sil-42", false},
		{"help", slash("help"), "help", false},
		{"help on a topic", slash("help", "topic", "silence"), "help silence", false},
	} {
		covered[strings.Fields(tt.text)[0]] = true
		t.Run(tt.name, func(t *testing.T) {
			cmds, api := &fakeCommands{}, newStandIn(t)
			e, logs := newEndpoint(t, s, cmds, api)
			r := decodeResponse(t, s.send(e, tt.body, s.now, s.priv))
			if tt.slow {
				if r.Type != 5 || r.Data.Flags != 64 || r.Data.Content != "" {
					t.Fatalf("answer %+v, want a deferred ephemeral one (type 5, flags 64)", r)
				}
				<-api.got
				want := edit{Method: http.MethodPatch, Path: "/api/v9/webhooks/1100/itok-secret/messages/@original",
					Content: "done: " + tt.text, Parse: []string{}}
				if got := api.requests(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
					t.Errorf("edits %+v, want %+v", got, want)
				}
			} else {
				if r.Type != 4 || r.Data.Flags != 64 || r.Data.Content != "done: "+tt.text {
					t.Errorf("answer %+v, want an ephemeral %q", r, "done: "+tt.text)
				}
				if got := api.requests(); len(got) != 0 {
					t.Errorf("edits %+v for an answer given at once", got)
				}
			}
			if got := cmds.got(); len(got) != 1 || got[0] != (call{"D1", "C9", tt.text}) {
				t.Errorf("command got %+v, want %q from D1 in C9", got, tt.text)
			}
			if strings.Contains(logs.String(), "itok-secret") {
				t.Errorf("interaction token in the log: %s", logs)
			}
		})
	}

	// A subcommand added to /qm without a case here fails.
	for _, sub := range discord.Commands()[0].Options {
		if !covered[sub.Name] {
			t.Errorf("subcommand %s has no case above", sub.Name)
		}
	}
}

func TestSlashCommandRefusals(t *testing.T) {
	s := newSigner(t)
	failing := func(context.Context, string) (string, error) { return "", errors.New("alert not found") }
	for _, tt := range []struct {
		name   string
		body   string
		reply  func(context.Context, string) (string, error)
		called bool // whether the command function runs
		want   string
	}{
		{name: "unknown subcommand", body: slash("frobnicate"), want: `Could not do that: unknown subcommand "frobnicate"; /qm help lists them`},
		{name: "another command", body: strings.Replace(slash("help"), `"name":"qm"`, `"name":"stock"`, 1), want: "unknown command /stock: Quartermaster answers /qm"},
		{name: "no subcommand", body: `{"type":2,"channel_id":"C9","member":{"user":{"id":"D1"}},"data":{"name":"qm","type":1,"options":[]}}`, want: "/qm needs one subcommand"},
		{name: "missing option", body: slash("status"), want: "/qm status needs position"},
		{name: "blank option", body: slash("ack", "alert", "  \n "), want: "/qm ack needs alert"},
		{name: "two words for one", body: slash("ack", "alert", alertID+" 4h"), want: `/qm ack: alert must be one word, got "` + alertID + ` 4h"`},
		{name: "not a choice", body: slash("snooze", "alert", alertID, "for", "2h"), want: `for must be one of 1h, 4h, 24h, got "2h"`},
		{name: "a duration among the matchers", body: slash("silence", "matchers", "sku=SKU-1 for 4h", "for", "4h"), want: `/qm silence: matchers: "for" ends the matchers; give the duration in the for option`},
		{name: "unknown option", body: slash("status", "position", "SKU-1@DC-EAST", "site", "DC-WEST"), want: `/qm status: unexpected option "site"`},
		{name: "option of another type", body: strings.Replace(slash("status", "position", "SKU-1@DC-EAST"), `"type":3,"value":"SKU-1@DC-EAST"`, `"type":4,"value":7`, 1), want: `unexpected option "position"`},
		{name: "the command fails", body: slash("ack", "alert", alertID), reply: failing, called: true, want: "Could not do that: alert not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmds, api := &fakeCommands{reply: tt.reply}, newStandIn(t)
			e, logs := newEndpoint(t, s, cmds, api)
			r := decodeResponse(t, s.send(e, tt.body, s.now, s.priv))
			if r.Type != 4 || r.Data.Flags != 64 || !strings.HasPrefix(r.Data.Content, "Could not do that: ") || !strings.Contains(r.Data.Content, tt.want) {
				t.Errorf("answer %+v, want an ephemeral refusal containing %q", r, tt.want)
			}
			if got := len(cmds.got()); (got == 1) != tt.called {
				t.Errorf("command called %d times, want called %v", got, tt.called)
			}
			if !strings.Contains(logs.String(), "discord command refused") {
				t.Errorf("refusal not logged: %s", logs)
			}
		})
	}
}

func TestSlashCommandNotSetUp(t *testing.T) {
	s := newSigner(t)
	h, err := discord.NewEndpoint(discord.EndpointConfig{Key: s.key,
		Click: func(context.Context, interact.Request) (string, error) { return "clicked", nil },
		Now:   func() time.Time { return s.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, s.send(h, slash("ask", "question", "why?"), s.now, s.priv))
	if r.Type != 4 || r.Data.Content != "Could not do that: /qm is not set up on this endpoint" {
		t.Errorf("answer %+v", r)
	}
}

func TestSlashCommandInDirectMessage(t *testing.T) {
	s := newSigner(t)
	cmds, api := &fakeCommands{}, newStandIn(t)
	e, _ := newEndpoint(t, s, cmds, api)
	body := strings.Replace(slash("help"), `"member":{"user":{"id":"D1"}}`, `"user":{"id":"U5"}`, 1)
	decodeResponse(t, s.send(e, body, s.now, s.priv))
	if got := cmds.got(); len(got) != 1 || got[0].User != "U5" {
		t.Errorf("command got %+v, want user U5", got)
	}
}

func TestSlashCommandSignatures(t *testing.T) {
	s := newSigner(t)
	cmds, api := &fakeCommands{}, newStandIn(t)
	e, _ := newEndpoint(t, s, cmds, api)
	_, other, _ := ed25519.GenerateKey(nil)
	body := slash("ask", "question", "why?")
	unsigned := httptest.NewRecorder()
	e.ServeHTTP(unsigned, httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(body)))
	for name, w := range map[string]*httptest.ResponseRecorder{
		"wrong key":           s.send(e, body, s.now, other),
		"replayed 10 minutes": s.send(e, body, s.now.Add(-10*time.Minute), s.priv),
		"from the future":     s.send(e, body, s.now.Add(10*time.Minute), s.priv),
		"unsigned":            unsigned,
	} {
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, w.Code)
		}
	}
	if got := cmds.got(); len(got) != 0 {
		t.Errorf("a refused request reached the command: %+v", got)
	}
}

func TestDeferredAnswerFailure(t *testing.T) {
	s := newSigner(t)
	cmds := &fakeCommands{reply: func(context.Context, string) (string, error) { return "", errors.New("no LLM configured") }}
	api := newStandIn(t)
	e, _ := newEndpoint(t, s, cmds, api)
	if r := decodeResponse(t, s.send(e, slash("ask", "question", "why?"), s.now, s.priv)); r.Type != 5 {
		t.Fatalf("answer %+v, want deferred", r)
	}
	<-api.got
	if got := api.requests(); len(got) != 1 || got[0].Content != "Could not do that: no LLM configured" {
		t.Errorf("edits %+v, want the refusal", got)
	}
}

func TestDeferredAnswerRetries(t *testing.T) {
	for _, tt := range []struct {
		name      string
		statuses  []int // the stand-in's answers, then 200
		edits     int
		delivered bool
		log       []string
	}{
		{name: "Discord down once", statuses: []int{502}, edits: 2, delivered: true},
		{name: "edit before the deferred answer landed", statuses: []int{404}, edits: 2, delivered: true},
		{name: "refused", statuses: []int{403}, edits: 1,
			log: []string{"deferred answer not delivered", "command=brief", "HTTP 403 (code 10015)", "[redacted]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSigner(t)
			cmds, api := &fakeCommands{}, newStandIn(t, tt.statuses...)
			e, logs := newEndpoint(t, s, cmds, api)
			decodeResponse(t, s.send(e, slash("brief"), s.now, s.priv))
			if err := e.Close(context.Background()); err != nil { // waits for the answer
				t.Fatalf("Close: %v", err)
			}
			got := api.requests()
			if len(got) != tt.edits || got[len(got)-1].Content != "done: brief" {
				t.Errorf("edits %+v, want %d of %q", got, tt.edits, "done: brief")
			}
			l := logs.String()
			if undelivered := strings.Contains(l, "not delivered"); undelivered == tt.delivered {
				t.Errorf("delivered %v, log: %s", tt.delivered, l)
			}
			for _, want := range tt.log {
				if !strings.Contains(l, want) {
					t.Errorf("log lacks %q: %s", want, l)
				}
			}
			if strings.Contains(l, "itok-secret") {
				t.Errorf("interaction token in the log: %s", l)
			}
		})
	}
}

func TestLongAnswersAreCut(t *testing.T) {
	long := strings.Repeat("é", 3000)
	for _, sub := range []string{"help", "brief"} {
		t.Run(sub, func(t *testing.T) {
			s := newSigner(t)
			cmds := &fakeCommands{reply: func(context.Context, string) (string, error) { return long, nil }}
			api := newStandIn(t)
			e, logs := newEndpoint(t, s, cmds, api)
			content := decodeResponse(t, s.send(e, slash(sub), s.now, s.priv)).Data.Content
			if sub == "brief" {
				<-api.got
				content = api.requests()[0].Content
			}
			if n := utf8.RuneCountInString(content); n != 2000 || !strings.HasSuffix(content, "é…") {
				t.Errorf("answer of %d characters ending %q, want 2000 ending é…", n, content[len(content)-6:])
			}
			for _, want := range []string{"level=WARN", "answer cut", "/qm " + sub, "length=3000", "limit=2000"} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q: %s", want, logs)
				}
			}
		})
	}
}

func TestCloseWaitsForDeferredAnswers(t *testing.T) {
	s := newSigner(t)
	started, release := make(chan struct{}), make(chan struct{})
	cmds := &fakeCommands{reply: func(_ context.Context, text string) (string, error) {
		if text != "ask why?" {
			return "done: " + text, nil
		}
		close(started)
		<-release
		return "SKU-1 is short because SHP-7 slipped.", nil
	}}
	api := newStandIn(t)
	e, _ := newEndpoint(t, s, cmds, api)
	decodeResponse(t, s.send(e, slash("ask", "question", "why?"), s.now, s.priv))
	<-started

	closed := make(chan error, 1)
	go func() { closed <- e.Close(context.Background()) }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with an answer in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	// Once closing, slow commands are turned away at once.
	r := decodeResponse(t, s.send(e, slash("brief"), s.now, s.priv))
	if r.Type != 4 || !strings.Contains(r.Data.Content, "shutting down") {
		t.Errorf("answer while closing %+v, want shutting down", r)
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := api.requests(); len(got) != 1 || got[0].Content != "SKU-1 is short because SHP-7 slipped." {
		t.Errorf("edits when Close returned: %+v, want the answer delivered", got)
	}
	if got := cmds.got(); len(got) != 1 {
		t.Errorf("command called %d times, want once for the ask", len(got))
	}
	// Quick commands are answered in the request, so they still work.
	if r := decodeResponse(t, s.send(e, slash("help"), s.now, s.priv)); r.Data.Content != "done: help" {
		t.Errorf("help after Close: %+v", r)
	}
}

func TestCloseCancelsWhenItsContextEnds(t *testing.T) {
	s := newSigner(t)
	started := make(chan struct{})
	cmds := &fakeCommands{reply: func(ctx context.Context, _ string) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}}
	api := newStandIn(t)
	e, logs := newEndpoint(t, s, cmds, api)
	decodeResponse(t, s.send(e, slash("ask", "question", "why?"), s.now, s.priv))
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := e.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 deferred answers cut short") {
		t.Errorf("Close: %v, want 1 cut short by the deadline", err)
	}
	// The goroutine has returned: the refusal it tried to deliver is logged,
	// without the interaction token its URL holds.
	l := logs.String()
	if !strings.Contains(l, "deferred answer not delivered") || !strings.Contains(l, "[redacted]") || strings.Contains(l, "itok-secret") {
		t.Errorf("log: %s", l)
	}
}

func TestNewEndpoint(t *testing.T) {
	s := newSigner(t)
	for _, tt := range []struct {
		name string
		cfg  discord.EndpointConfig
		want string
	}{
		{"no key", discord.EndpointConfig{}, "public key: want 32 bytes, got 0"},
		{"short key", discord.EndpointConfig{Key: s.key[:16]}, "public key: want 32 bytes, got 16"},
		{"API not a URL", discord.EndpointConfig{Key: s.key, API: "discord.com/api"}, `API "discord.com/api": want an http(s) URL`},
		{"API of another scheme", discord.EndpointConfig{Key: s.key, API: "ftp://discord.com/api"}, "want an http(s) URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := discord.NewEndpoint(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEndpoint: %v, want %q", err, tt.want)
			}
		})
	}
	e, err := discord.NewEndpoint(discord.EndpointConfig{Key: s.key})
	if err != nil {
		t.Fatalf("NewEndpoint with only a key: %v", err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Errorf("Close of an idle endpoint: %v", err)
	}
}
