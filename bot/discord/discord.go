// Package discord delivers alert changes to Discord channels: one message
// per alert with an embed and action buttons, edited in place as the alert
// changes, and a thread on that message holding its history.
//
// It talks to Discord's REST API only, through discordgo, and never opens
// the gateway: posting and editing need no websocket, and button clicks are
// the interaction handler's job, not the notifier's.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// threadArchiveMinutes is how long an alert's thread stays open without
// activity: a week, so the history of a slow alert stays in view. Discord
// accepts 60, 1440, 4320 or 10080.
const threadArchiveMinutes = 10080

// defaultTimeout bounds one HTTP request when the caller's client has no
// timeout of its own; it matches discordgo's default.
const defaultTimeout = 20 * time.Second

// Notifier posts alerts to Discord. It is safe for concurrent use.
type Notifier struct {
	session  *discordgo.Session
	token    string             // the bare bot token, kept only to redact it
	mentions map[string]mention // owner -> whom to ping for critical alerts
	log      *slog.Logger
	now      func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// mention is a parsed "<@id>" or "<@&roleid>".
type mention struct {
	text   string // as written in the message content
	userID string
	roleID string
}

// allowed lets a message ping exactly this user or role and parse nothing
// from its text.
func (m mention) allowed() *discordgo.MessageAllowedMentions {
	a := noMentions()
	if m.userID != "" {
		a.Users = []string{m.userID}
	} else {
		a.Roles = []string{m.roleID}
	}
	return a
}

// Option configures a Notifier.
type Option func(*options)

type options struct {
	client   *http.Client
	mentions map[string]string
	log      *slog.Logger
	now      func() time.Time
}

// WithHTTPClient sets the HTTP client for Discord's REST API. Tests use it
// to send requests to an httptest server.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.client = c }
}

// WithMentions maps alert owners to the Discord user ("<@id>") or role
// ("<@&roleid>") pinged when one of their alerts is critical. Owners
// without an entry are named in the embed but not pinged.
func WithMentions(m map[string]string) Option {
	return func(o *options) { o.mentions = m }
}

// WithLogger sets the logger for truncations and partial deliveries.
// The default is slog.Default(), so truncation is never silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithClock sets the clock used to read a Retry-After given as a date.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// mentionPattern accepts a user ("<@id>", or the legacy nickname form
// "<@!id>") or a role ("<@&id>") mention with a snowflake id.
var mentionPattern = regexp.MustCompile(`^<@(!|&)?([0-9]{1,20})>$`)

// New returns a Notifier authenticating with the bot token, with or without
// its "Bot " prefix. It makes no network call.
func New(token string, opts ...Option) (*Notifier, error) {
	token = strings.TrimSpace(strings.TrimPrefix(token, "Bot "))
	if token == "" {
		return nil, errors.New("discord: empty bot token")
	}
	o := options{log: slog.Default(), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}

	mentions := make(map[string]mention, len(o.mentions))
	for owner, text := range o.mentions {
		m := mentionPattern.FindStringSubmatch(strings.TrimSpace(text))
		if m == nil {
			return nil, fmt.Errorf("discord: mention for owner %q: want <@id> or <@&roleid>, got %q", owner, text)
		}
		if m[1] == "&" {
			mentions[owner] = mention{text: "<@&" + m[2] + ">", roleID: m[2]}
		} else {
			mentions[owner] = mention{text: "<@" + m[2] + ">", userID: m[2]}
		}
	}

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		// discordgo.New fails on nothing today; keep its error, never the token.
		return nil, errors.New("discord: create session")
	}
	// The dispatcher owns retries: it knows the deadline, backs off across
	// all platforms and records each attempt. discordgo by default retries
	// a 502 up to three times and sleeps through a 429 inside the call, which
	// hides the wait from the dispatcher and ignores ctx. Worse, Discord can
	// answer 5xx after it has created the message, so a silent retry posts
	// the alert twice. With both off, one Notify call makes exactly one
	// request per step and reports the outcome, classified.
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	// No gateway, so no state to cache.
	s.StateEnabled = false
	// Every failure comes back to the caller classified; discordgo's own
	// lines through the standard log would report it a second time, outside
	// slog. Below LogError it logs nothing.
	s.LogLevel = discordgo.LogError - 1

	client := o.client
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	s.Client = probedClient(client)

	return &Notifier{session: s, token: token, mentions: mentions, log: o.log, now: o.now}, nil
}

// Notify posts a as a new message in channel when prev is nil, with a thread
// for its history, or edits the message prev names and replies in its
// thread with what changed. See notify.Notifier.
//
// When the message is posted but its thread cannot be started, Notify logs
// it and returns the reference without a thread and no error: reporting a
// failure would make the dispatcher post the alert again. The next change
// starts the missing thread.
func (n *Notifier) Notify(ctx context.Context, channel string, a alert.Alert, prev *notify.Ref) (notify.Ref, error) {
	r := n.renderer(a)
	if prev == nil {
		return n.post(ctx, channel, a, r)
	}
	return n.update(ctx, a, r, *prev)
}

func (n *Notifier) post(ctx context.Context, channel string, a alert.Alert, r *renderer) (notify.Ref, error) {
	content, allowed := r.content(n.mentions)
	msg, err := call(ctx, n, "create message in "+channel, func(opts ...discordgo.RequestOption) (*discordgo.Message, error) {
		return n.session.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
			Content:         content,
			Embeds:          []*discordgo.MessageEmbed{r.embed()},
			Components:      r.components(),
			AllowedMentions: allowed,
		}, opts...)
	})
	if err != nil {
		return notify.Ref{}, err
	}
	ref := notify.Ref{Channel: channel, Message: msg.ID}
	ref.Thread = n.startThread(ctx, ref, a, r)
	return ref, nil
}

func (n *Notifier) update(ctx context.Context, a alert.Alert, r *renderer, ref notify.Ref) (notify.Ref, error) {
	content, allowed := r.content(n.mentions)
	embeds := []*discordgo.MessageEmbed{r.embed()}
	components := r.components()
	_, err := call(ctx, n, "edit message "+ref.Message+" in "+ref.Channel, func(opts ...discordgo.RequestOption) (*discordgo.Message, error) {
		return n.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID:              ref.Message,
			Channel:         ref.Channel,
			Content:         &content,
			Embeds:          &embeds,
			Components:      &components,
			AllowedMentions: allowed,
		}, opts...)
	})
	if err != nil {
		return ref, err
	}

	if ref.Thread == "" {
		// An earlier post could not start its thread; try again so the
		// history has somewhere to go.
		if ref.Thread = n.startThread(ctx, ref, a, r); ref.Thread == "" {
			return ref, nil
		}
	}
	// The edit above is idempotent, so a failed reply is reported as is:
	// a retry re-applies the edit and posts the reply once.
	_, err = call(ctx, n, "reply in thread "+ref.Thread, func(opts ...discordgo.RequestOption) (*discordgo.Message, error) {
		content, allowed := r.changeLine(), noMentions()
		if a.Retells() {
			content = r.cut("thread reply", content+"\n"+a.Summary, maxContent)
		}
		if m, ok := n.mentions[a.Owner]; ok && a.Pages() {
			// Edits notify no one: an escalation or a repeat pages its
			// owner here, and only that owner.
			content, allowed = r.cut("thread reply", m.text+" "+content, maxContent), m.allowed()
		}
		return n.session.ChannelMessageSendComplex(ref.Thread, &discordgo.MessageSend{
			Content:         content,
			AllowedMentions: allowed,
		}, opts...)
	})
	return ref, err
}

// startThread starts the history thread on ref's message and returns its
// channel id, or "" after logging why it could not.
func (n *Notifier) startThread(ctx context.Context, ref notify.Ref, a alert.Alert, r *renderer) string {
	th, err := call(ctx, n, "start thread on message "+ref.Message, func(opts ...discordgo.RequestOption) (*discordgo.Channel, error) {
		return n.session.MessageThreadStart(ref.Channel, ref.Message, r.threadName(), threadArchiveMinutes, opts...)
	})
	if err != nil {
		n.log.Warn("discord: alert posted without its history thread", "alert", a.ID, "channel", ref.Channel, "message", ref.Message, "err", err)
		return ""
	}
	return th.ID
}

// noMentions lets a message ping no one, whatever its text says. Parse must
// be an empty list, not nil: nil marshals to null, which Discord reads as
// "parse everything", @everyone included.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// call makes one REST call with ctx and classifies its failure.
func call[T any](ctx context.Context, n *Notifier, op string, do func(...discordgo.RequestOption) (T, error)) (T, error) {
	p := &probe{}
	v, err := do(discordgo.WithContext(context.WithValue(ctx, probeKey{}, p)))
	if err != nil {
		return v, n.classify(op, p, err)
	}
	return v, nil
}

// APIError is a call to Discord's REST API that got an error answer. It
// stands in for discordgo's RESTError, which keeps the request and with it
// the Authorization header holding the bot token, so that never leaves
// this package.
type APIError struct {
	Op         string // what was tried, e.g. "create message in 123"
	StatusCode int    // the HTTP status
	Code       int    // Discord's JSON error code, 0 if none, e.g. 50013 for missing permissions
	Message    string // Discord's message for Code
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("discord: %s: HTTP %d", e.Op, e.StatusCode)
	if e.Code != 0 {
		s += fmt.Sprintf(" (code %d)", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// classify turns a failed call into a *notify.Error: 429, 5xx and no
// answer at all are worth retrying; any other status, such as 401 for a bad
// token, 403 for missing permissions or 404 for a deleted channel or
// message, is not until someone changes something.
func (n *Notifier) classify(op string, p *probe, err error) error {
	if p.status == 0 {
		// No answer: the network or ctx failed before Discord replied.
		return &notify.Error{Retryable: true, Err: fmt.Errorf("discord: %s: %w", op, n.redact(err))}
	}
	apiErr := &APIError{Op: op, StatusCode: p.status}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil {
		apiErr.Code = rest.Message.Code
		apiErr.Message = n.redactString(rest.Message.Message)
	}
	switch {
	case p.status == http.StatusTooManyRequests:
		wait := retryAfterHeader(p.retryAfter, n.now())
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) && rl.TooManyRequests != nil {
			apiErr.Message = n.redactString(rl.Message)
			// Take the longer of the two: the header is rounded up to whole
			// seconds, the body is precise, and waiting too little costs
			// another 429.
			wait = max(wait, rl.RetryAfter)
		}
		return &notify.Error{Retryable: true, RetryAfter: wait, Err: apiErr}
	case p.status >= 500:
		return &notify.Error{Retryable: true, Err: apiErr}
	case p.status < 300:
		// Discord succeeded but the answer could not be read. The effect
		// happened, so a retry would repeat it.
		return &notify.Error{Err: fmt.Errorf("discord: %s: read answer: %w", op, n.redact(err))}
	default:
		return &notify.Error{Err: apiErr}
	}
}

// retryAfterHeader reads Retry-After as seconds (Discord sends a number,
// possibly fractional) or as an HTTP date; it returns 0 when absent or
// unreadable.
func retryAfterHeader(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact returns err, or when its text holds the token a copy of its text
// without it. Discord's own errors never echo the token, but an error body
// from a proxy in between might.
func (n *Notifier) redact(err error) error {
	if !strings.Contains(err.Error(), n.token) {
		return err
	}
	return errors.New(n.redactString(err.Error()))
}

func (n *Notifier) redactString(s string) string {
	return strings.ReplaceAll(s, n.token, "[redacted]")
}

// probe records what the one HTTP request of a call got back. discordgo
// does not expose it in every error: a 502 comes back as a bare
// fmt.Errorf, a 429 without the Retry-After header.
type probe struct {
	status     int
	retryAfter string
}

type probeKey struct{}

// probingTransport fills the probe carried by a request's context.
type probingTransport struct {
	base http.RoundTripper
}

func (t probingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if p, ok := req.Context().Value(probeKey{}).(*probe); ok && resp != nil {
		p.status = resp.StatusCode
		p.retryAfter = resp.Header.Get("Retry-After")
	}
	return resp, err
}

// probedClient returns a copy of c whose transport fills probes.
func probedClient(c *http.Client) *http.Client {
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = probingTransport{base: base}
	return &cp
}

// Digest posts one message for a storm of alert changes (see
// notify.Digester): counted by tier, the costliest named; it pings no one.
func (n *Notifier) Digest(ctx context.Context, channel string, changes []alert.Alert) error {
	text := []rune(notify.DigestText(changes))
	if len(text) > maxContent {
		n.log.Warn("discord: digest cut to fit", "length", len(text), "limit", maxContent)
		text = append(text[:maxContent-1], '…')
	}
	_, err := call(ctx, n, "digest in "+channel, func(opts ...discordgo.RequestOption) (*discordgo.Message, error) {
		return n.session.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
			Content: string(text), AllowedMentions: noMentions(),
		}, opts...)
	})
	return err
}
