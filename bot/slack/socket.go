package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// SocketOptions configures Socket. The zero value works with Slack's own
// API, but a Socket without Click, Command or Mention answers what it would
// route to them that they are not configured.
type SocketOptions struct {
	// APIURL is the Web API's base URL, with a trailing slash; empty means
	// Slack's (https://slack.com/api/). Tests point it at an httptest server.
	APIURL string
	// Click carries out button clicks on alert messages.
	Click interact.Func
	// Command answers the app's slash command (/qm).
	Command CommandFunc
	// Mention answers the questions people ask by mentioning the bot
	// (app_mention events), in the message's thread.
	Mention MentionFunc
	// Log receives connection errors and refused requests; nil discards.
	Log *slog.Logger
	// HTTPClient makes the Web API calls and the replies to response_url;
	// nil means a client with a ten-second timeout.
	HTTPClient *http.Client
}

// Socket runs Slack Socket Mode until ctx ends: it opens a WebSocket with
// the app-level token (SLACK_APP_TOKEN, xapp-...), acknowledges every
// envelope, and routes button clicks (block_actions) and /qm slash commands
// to the same handlers as the HTTP endpoints (Interactions, Commands), so
// Quartermaster needs no public endpoint. Slack gives the socket every slash
// command of the app; all of them go to opts.Command, as in HTTP mode they
// go to whichever Request URL the app names.
//
// Envelopes are handled one at a time, in order. A click is acknowledged
// first and its reply goes to the clicker through the response_url, as in
// HTTP mode; a command's answer travels in its acknowledgement, which Slack
// shows to the person who typed it. /qm ask and /qm brief, which may take
// longer than Slack's three seconds, are acknowledged "Working on it…" and
// answered later through the response_url. An app mention (events_api) is
// acknowledged at once and answered in its thread with opts.Mention, as
// Events does in HTTP mode. Those late answers run in goroutines the socket
// owns: they are cancelled when ctx ends, and Socket waits for them.
//
// Socket returns nil when ctx ends, after the socketmode client and every
// answer in flight have stopped, and an error only when Slack refuses the
// connection for good (a bad or revoked token). Neither token appears in
// its logs, errors or replies.
func Socket(ctx context.Context, appToken, botToken string, opts SocketOptions) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	httpc := opts.HTTPClient
	if httpc == nil {
		httpc = &http.Client{Timeout: 10 * time.Second}
	}
	apiOpts := []slack.Option{slack.OptionAppLevelToken(appToken), slack.OptionHTTPClient(httpc)}
	if opts.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
	}
	client := socketmode.New(slack.New(botToken, apiOpts...))
	secrets := []string{appToken, botToken}
	poster := New(botToken, WithAPIURL(opts.APIURL), WithHTTPClient(httpc), WithLogger(log))
	s := &socket{client: client, opts: opts, log: log, http: httpc, secrets: secrets,
		mentions: &mentions{ask: opts.Mention, post: poster, seen: newSeen(time.Now), secrets: secrets, log: log}}

	// runCtx ends with ctx or when Socket returns; the late answers run
	// under it, and Socket waits for them after cancelling it.
	runCtx, stop := context.WithCancel(ctx)
	defer func() {
		stop()
		_ = s.jobs.close(context.Background(), "slack socket mode") // cancelled already: it only waits
	}()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(runCtx) }()

	for {
		select {
		case <-ctx.Done():
			stop()
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			return s.redact("slack socket mode", err)
		case evt := <-client.Events:
			s.handle(runCtx, evt)
		}
	}
}

// socket is one Socket run: the client and what its events are routed to.
type socket struct {
	client  *socketmode.Client
	opts    SocketOptions
	log     *slog.Logger
	http    *http.Client
	secrets []string // the tokens, kept out of logs and errors

	mentions *mentions
	jobs     jobs // the answers that follow an acknowledgement
}

// handle routes one event from the socketmode client.
func (s *socket) handle(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		s.log.Info("slack socket mode connected")
	case socketmode.EventTypeConnectionError:
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			s.log.Warn("slack socket mode connection failed", "attempt", e.Attempt, "retry_in", e.Backoff,
				"err", s.redact("connect", e.ErrorObj))
		}
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("slack socket mode: the app-level token was refused")
	case socketmode.EventTypeIncomingError:
		if e, ok := evt.Data.(*slack.IncomingEventError); ok {
			s.log.Warn("slack socket mode read failed", "err", s.redact("read", e.ErrorObj))
		}
	case socketmode.EventTypeErrorBadMessage:
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			s.log.Warn("slack socket mode: unreadable message", "err", s.redact("parse", e.Cause))
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			s.log.Warn("slack socket mode: acknowledgement not sent", "err", s.redact("write", e.Cause))
		}
	case socketmode.EventTypeInteractive:
		s.ack(evt.Request, nil)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			s.click(ctx, cb)
		}
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			s.ack(evt.Request, nil)
			return
		}
		s.command(ctx, evt.Request, cmd)
	case socketmode.EventTypeEventsAPI:
		s.ack(evt.Request, nil)
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			s.event(ctx, ev)
		}
	default:
		// Envelopes this bot does not use are acknowledged all the same,
		// or Slack sends them again.
		s.ack(evt.Request, nil)
	}
}

// event answers an app mention in its thread, from a goroutine the socket
// owns; other events are ignored.
func (s *socket) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	q, ok := s.mentions.take(ev)
	if !ok {
		return
	}
	jctx, done, ok := s.jobs.add(ctx)
	if !ok {
		return // Socket is returning
	}
	go func() {
		defer done()
		s.mentions.answer(jctx, q)
	}()
}

// click carries out a button click and replies to the clicker alone, as
// Interactions does in HTTP mode.
func (s *socket) click(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	src := audit.Source{Platform: "slack", Channel: cb.Channel.ID, Message: cb.Container.MessageTs}
	req, err := interact.ParseButton(act.ActionID, act.Value, cb.User.ID, src)
	reply := ""
	if err == nil {
		if s.opts.Click == nil {
			err = errors.New("buttons are not configured")
		} else {
			reply, err = s.opts.Click(ctx, req)
		}
	}
	if err != nil {
		reply = "Could not do that: " + err.Error()
		s.log.Info("slack interaction refused", "user", cb.User.ID, "action", act.ActionID, "err", err)
	}
	if cb.ResponseURL != "" {
		respond(ctx, s.http, cb.ResponseURL, reply, s.log)
	}
}

// command answers a slash command, as Commands does in HTTP mode: in its
// acknowledgement, or for a slow one "Working on it…" there and the answer
// through the response_url, from a goroutine the socket owns.
func (s *socket) command(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand) {
	if !slow(cmd.Text) || cmd.ResponseURL == "" {
		s.ack(req, ephemeral(runCommand(ctx, s.opts.Command, cmd, s.log)))
		return
	}
	jctx, done, ok := s.jobs.add(ctx)
	if !ok {
		s.ack(req, ephemeral(shutdownText))
		return
	}
	s.ack(req, ephemeral(workingText))
	go func() {
		defer done()
		respond(jctx, s.http, cmd.ResponseURL, runCommand(jctx, s.opts.Command, cmd, s.log), s.log)
	}()
}

// ack acknowledges an envelope, with payload when it is not nil. Slack
// drops an acknowledgement of 20 KB or more (socketmode refuses to send
// one), so an answer that long is replaced by a short apology: the
// envelope is still acknowledged and the person learns why nothing came.
func (s *socket) ack(req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	var err error
	if payload == nil {
		err = s.client.Ack(*req)
	} else if err = s.client.Ack(*req, payload); err != nil {
		s.log.Warn("slack socket mode: answer too large, sent a short one", "envelope", req.EnvelopeID, "err", err)
		err = s.client.Ack(*req, ephemeral("The answer is too long for Slack; narrow the question."))
	}
	if err != nil {
		s.log.Warn("slack socket mode: acknowledgement not sent", "envelope", req.EnvelopeID, "err", s.redact("ack", err))
	}
}

// ephemeral is a slash command's answer, shown to the person who typed it.
func ephemeral(text string) map[string]string {
	return map[string]string{"response_type": "ephemeral", "text": text}
}

// redact wraps err with context and with every token replaced.
func (s *socket) redact(what string, err error) error { return redact(s.secrets, what, err) }
