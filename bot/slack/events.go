package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// MentionFunc answers a question someone asked the bot by mentioning it
// ("@Quartermaster what is the status of SKU-1 at DC-EAST?"), with the
// mention itself removed from text. The answer is posted in the message's
// thread, where the whole channel reads it.
type MentionFunc func(ctx context.Context, user, channel, text string) (string, error)

const (
	// answerTimeout bounds one question or slow command (an LLM call).
	answerTimeout = 5 * time.Minute
	// jobLifetime bounds a deferred answer's goroutine: the question, then
	// posting its answer or why there is none.
	jobLifetime = answerTimeout + time.Minute

	// seenFor is how long an event id is remembered. Slack delivers an
	// event again when it saw no 200 within three seconds: at once, after
	// one minute and after five.
	// https://api.slack.com/apis/events-api#retries
	seenFor = 10 * time.Minute
	// maxSeen bounds the ids remembered; the oldest go first.
	maxSeen = 10000
)

// EventsHandler serves Slack's Events API in HTTP mode. See Events.
type EventsHandler struct {
	secret string
	m      *mentions
	log    *slog.Logger
	jobs   jobs
}

// Events serves Slack's Events API in HTTP mode (the Request URL of the
// app's Event Subscriptions, /slack/events): it answers app mentions in
// their thread with mention. Every request must carry a valid signature
// made with the app's signing secret and a timestamp within five minutes,
// as for Interactions. The URL check (url_verification) is answered with
// its challenge; an event_callback is answered 200 at once, as Slack wants
// within three seconds, and the question is answered by a goroutine the
// handler owns, which posts with the bot token through a Notifier built
// from opts (WithAPIURL, WithHTTPClient, WithLogger, WithClock). An event
// id already taken (Slack's retries, X-Slack-Retry-Num) is not answered
// twice. Close waits for the answers in flight.
func Events(signingSecret, botToken string, mention MentionFunc, opts ...Option) *EventsHandler {
	n := New(botToken, opts...)
	return &EventsHandler{
		secret: signingSecret,
		log:    n.log,
		m: &mentions{ask: mention, post: n, seen: newSeen(n.now), log: n.log,
			secrets: []string{botToken, signingSecret}},
	}
}

// ServeHTTP answers one Events API request.
func (e *EventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := verifiedBody(w, r, e.secret, "event", e.log)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "bad event: want a JSON object", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"challenge": outer.Challenge})
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and the like: nothing to do
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken()) // the signature is checked
	if err != nil {
		// An inner event this bot does not read: asking again cannot help.
		e.log.Debug("slack event ignored", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		e.log.Debug("slack event delivered again", "attempt", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	q, ok := e.m.take(ev)
	if !ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	// The answer outlives the request, which ends with this 200, but not
	// the handler: Close cancels it.
	ctx, done, ok := e.jobs.add(context.WithoutCancel(r.Context()))
	if !ok {
		// Shutting down: let Slack deliver it again, to this replica
		// once it is back or to another.
		e.m.seen.forget(q.event)
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
	go func() {
		defer done()
		e.m.answer(ctx, q)
	}()
}

// Close stops taking questions, which from then on are refused with 503
// for Slack to deliver again, and waits until every answer in flight has
// been posted. When ctx ends first it cancels them, still waits for their
// goroutines, and returns an error wrapping ctx's. Call it after the HTTP
// server's Shutdown.
func (e *EventsHandler) Close(ctx context.Context) error {
	return e.jobs.close(ctx, "slack events")
}

// mentions answers app mentions in their threads; Socket Mode and the
// Events handler share it.
type mentions struct {
	ask     MentionFunc
	post    *Notifier
	seen    *seen
	secrets []string // kept out of replies and logs
	log     *slog.Logger
}

// question is an app mention worth answering.
type question struct {
	event, user, channel, thread, text string
}

// take returns the question an Events API event asks, and false when it is
// not one to answer: not an app mention, written by a bot (this one
// included), an edit, or an event id already taken.
func (m *mentions) take(ev slackevents.EventsAPIEvent) (question, bool) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return question{}, false
	}
	am, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || am.BotID != "" || am.Edited != nil || am.User == "" {
		return question{}, false
	}
	if cb.EventID != "" && !m.seen.add(cb.EventID) {
		m.log.Info("slack event already taken; delivery ignored", "event", cb.EventID)
		return question{}, false
	}
	var bots []string
	for _, a := range cb.Authorizations {
		if a.IsBot && a.UserID != "" {
			bots = append(bots, a.UserID)
		}
	}
	thread := am.ThreadTimeStamp
	if thread == "" {
		thread = am.TimeStamp
	}
	return question{event: cb.EventID, user: am.User, channel: am.Channel, thread: thread,
		text: stripMention(am.Text, bots)}, true
}

// stripMention removes the leading mention of the bot, <@U123> or
// <@U123|name>, and the white space around it. bots are the bot's user ids
// from the event's authorizations; when none is known, a leading user
// mention is taken for the bot's, since the event says it was mentioned.
func stripMention(text string, bots []string) string {
	t := strings.TrimSpace(text)
	end := strings.IndexByte(t, '>')
	if !strings.HasPrefix(t, "<@") || end < 0 {
		return t
	}
	id, _, _ := strings.Cut(t[len("<@"):end], "|")
	if len(bots) > 0 && !slices.Contains(bots, id) {
		return t
	}
	return strings.TrimSpace(t[end+1:])
}

// answer asks the question and posts the answer, or why there is none, in
// the mention's thread.
func (m *mentions) answer(ctx context.Context, q question) {
	var text string
	var err error
	switch {
	case m.ask == nil:
		err = errors.New("questions are not configured")
	case q.text == "":
		text = "Ask a question after the mention, for example: what is the status of SKU-1 at DC-EAST?"
	default:
		actx, cancel := context.WithTimeout(ctx, answerTimeout)
		text, err = m.ask(actx, q.user, q.channel, q.text)
		cancel()
	}
	if err != nil {
		m.log.Info("slack question not answered", "user", q.user, "channel", q.channel, "err", redact(m.secrets, "ask", err))
		text = "Could not answer: " + scrub(err.Error(), m.secrets)
	}
	text = m.post.truncate("mention", "answer in thread "+q.thread, escape(text), maxTextChars)
	if _, _, err := m.post.api.PostMessageContext(ctx, q.channel,
		slackapi.MsgOptionTS(q.thread),
		slackapi.MsgOptionText(text, false),
		slackapi.MsgOptionDisableLinkUnfurl(),
	); err != nil {
		m.log.Warn("slack answer not posted", "channel", q.channel, "thread", q.thread,
			"err", redact(m.secrets, "answer", m.post.classify(ctx, "chat.postMessage", err)))
	}
}

// seen remembers the event ids taken lately, so an event Slack delivers
// again is answered once. It holds at most maxSeen ids, each for seenFor.
type seen struct {
	now   func() time.Time
	mu    sync.Mutex
	at    map[string]time.Time
	order []seenID // oldest first
}

type seenID struct {
	id string
	at time.Time
}

func newSeen(now func() time.Time) *seen {
	return &seen{now: now, at: make(map[string]time.Time)}
}

// add records id and reports whether it is new.
func (s *seen) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for len(s.order) > 0 && (len(s.order) >= maxSeen || now.Sub(s.order[0].at) >= seenFor) {
		old := s.order[0]
		s.order = s.order[1:]
		if at, ok := s.at[old.id]; ok && at.Equal(old.at) {
			delete(s.at, old.id)
		}
	}
	if at, ok := s.at[id]; ok && now.Sub(at) < seenFor {
		return false
	}
	s.at[id] = now
	s.order = append(s.order, seenID{id: id, at: now})
	return true
}

// forget drops id, for an event refused so that Slack delivers it again.
func (s *seen) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.at, id)
}

// jobs owns the goroutines that answer after the request has been
// acknowledged: a question outlives the three seconds Slack waits.
type jobs struct {
	mu       sync.Mutex
	closed   bool
	next     uint64
	inflight map[uint64]context.CancelFunc
	wg       sync.WaitGroup
}

// add reserves one job, whose work runs under ctx (parent's, bounded by
// jobLifetime and cancelled by close) and must call done when it ends. It
// reports false once close was called.
func (j *jobs) add(parent context.Context) (ctx context.Context, done func(), ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, nil, false
	}
	if j.inflight == nil {
		j.inflight = make(map[uint64]context.CancelFunc)
	}
	ctx, cancel := context.WithTimeout(parent, jobLifetime)
	id := j.next
	j.next++
	j.inflight[id] = cancel
	j.wg.Add(1)
	return ctx, func() {
		j.mu.Lock()
		delete(j.inflight, id)
		j.mu.Unlock()
		cancel()
		j.wg.Done()
	}, true
}

// close stops taking jobs and waits for those in flight; when ctx ends
// first it cancels them, still waits, and returns an error wrapping ctx's.
func (j *jobs) close(ctx context.Context, what string) error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		j.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	j.mu.Lock()
	n := len(j.inflight)
	for _, cancel := range j.inflight {
		cancel()
	}
	j.mu.Unlock()
	<-finished
	return fmt.Errorf("%s: close: %d answers cut short: %w", what, n, ctx.Err())
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, t := range secrets {
		if t != "" {
			s = strings.ReplaceAll(s, t, "[redacted]")
		}
	}
	return s
}

// redact wraps err with context and with every secret replaced, so none
// reaches a log, a caller or a reply even if a library put one in its
// message.
func redact(secrets []string, what string, err error) error {
	if err == nil {
		return nil
	}
	return redactedError{msg: scrub(what+": "+err.Error(), secrets), err: err}
}

// redactedError is an error whose message has had the secrets removed; it
// still unwraps to the original, so callers can test its class.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
