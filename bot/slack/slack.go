// Package slack delivers alert changes to Slack: each alert is one Block Kit
// message, edited in place with chat.update as the alert changes, with a
// one-line reply in its thread for every change. It implements
// notify.Notifier on top of github.com/slack-go/slack.
//
// Notify makes no retries and keeps no rate limiter of its own: the
// dispatcher's send queue owns both, and the *notify.Error every failure is
// wrapped in tells it whether and when to try again.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// ErrMessageNotFound is wrapped in the error Notify returns when the
// message to edit is gone (deleted, or in a channel the bot left). Retrying
// the edit cannot help; the caller may post the alert anew with a nil prev.
var ErrMessageNotFound = errors.New("slack message to update not found")

// DefaultTimeout bounds one Slack API call when WithHTTPClient is not
// given, so a stalled connection cannot hold a send slot forever even when
// the caller's ctx has no deadline.
const DefaultTimeout = 30 * time.Second

// Notifier posts and edits alert messages in Slack. It is safe for
// concurrent use.
type Notifier struct {
	api      *slackapi.Client
	token    string // kept only to redact it from errors
	mentions map[string]string
	log      *slog.Logger
	now      func() time.Time

	// last remembers, per message, what the previous revision showed, so a
	// thread reply can say "was $3,100". It is a cache: after a restart
	// replies simply omit the old values. Entries leave when the alert
	// resolves, so it holds at most the open alerts.
	mu   sync.Mutex
	last map[string]shown
}

// Option configures a Notifier.
type Option func(*config)

type config struct {
	apiURL   string
	client   *http.Client
	mentions map[string]string
	log      *slog.Logger
	now      func() time.Time
}

// WithAPIURL points the client at another Web API base URL (SLACK_API_URL,
// or an httptest server in tests). It must end in "/".
func WithAPIURL(u string) Option { return func(c *config) { c.apiURL = u } }

// WithHTTPClient sets the HTTP client for API calls. The default has a
// DefaultTimeout timeout and no retries.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// WithMentions maps alert owners to the Slack user or user group to mention
// when an alert of theirs is critical: "<@U123>" or "<!subteam^S123>"; a
// bare "U123"/"W123" or "S123" is accepted and wrapped. Broadcast mentions
// (@channel, @here, @everyone) are refused and logged: a supply alert should
// page its owner, not a whole channel.
func WithMentions(m map[string]string) Option { return func(c *config) { c.mentions = m } }

// WithLogger sets where truncation warnings and refused mentions are
// logged. The default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the clock that "time to impact" is counted from when a
// message is rendered. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// New returns a Notifier that authenticates with the bot token.
func New(token string, opts ...Option) *Notifier {
	c := config{
		client: &http.Client{Timeout: DefaultTimeout},
		log:    slog.Default(),
		now:    time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	api := []slackapi.Option{slackapi.OptionHTTPClient(c.client)}
	if c.apiURL != "" {
		api = append(api, slackapi.OptionAPIURL(c.apiURL))
	}
	n := &Notifier{
		api:      slackapi.New(token, api...),
		token:    token,
		mentions: make(map[string]string, len(c.mentions)),
		log:      c.log,
		now:      c.now,
		last:     make(map[string]shown),
	}
	for owner, id := range c.mentions {
		m, ok := mention(id)
		if !ok {
			n.log.Warn("slack mention refused: want a user or user group id", "owner", owner, "mention", id)
			continue
		}
		n.mentions[owner] = m
	}
	return n
}

// mention normalises a configured mention to Slack's syntax, refusing
// anything but one user or one user group.
func mention(id string) (string, bool) {
	id = strings.TrimSpace(id)
	valid := func(s string) bool {
		if s == "" {
			return false
		}
		for _, r := range s {
			if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
				return false
			}
		}
		return true
	}
	switch {
	case strings.HasPrefix(id, "<@") && strings.HasSuffix(id, ">"):
		return id, valid(id[2 : len(id)-1])
	case strings.HasPrefix(id, "<!subteam^") && strings.HasSuffix(id, ">"):
		// Slack allows a label after "|": <!subteam^S123|@planners>.
		body, _, _ := strings.Cut(id[len("<!subteam^"):len(id)-1], "|")
		return id, valid(body)
	case strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W"):
		return "<@" + id + ">", valid(id)
	case strings.HasPrefix(id, "S"):
		return "<!subteam^" + id + ">", valid(id)
	}
	return "", false
}

// Notify posts alert a to channel when prev is nil, and otherwise edits the
// message prev names and replies in its thread with what changed. It makes
// one HTTP request per Slack API call and never retries; every error is a
// *notify.Error. When the edit succeeds but the reply fails, Notify returns
// *prev with the error: trying again re-applies the edit, which is harmless.
func (n *Notifier) Notify(ctx context.Context, channel string, a alert.Alert, prev *notify.Ref) (notify.Ref, error) {
	now := n.now()
	msg := n.render(a, now)
	if prev == nil {
		ch, ts, err := n.api.PostMessageContext(ctx, channel,
			slackapi.MsgOptionBlocks(msg.blocks...),
			slackapi.MsgOptionText(msg.text, false),
			slackapi.MsgOptionDisableLinkUnfurl(),
		)
		if err != nil {
			return notify.Ref{}, n.classify(ctx, "chat.postMessage", err)
		}
		ref := notify.Ref{Channel: ch, Message: ts, Thread: ts}
		n.remember(ref, a)
		return ref, nil
	}

	ch := prev.Channel
	if ch == "" {
		ch = channel
	}
	if _, _, _, err := n.api.UpdateMessageContext(ctx, ch, prev.Message,
		slackapi.MsgOptionBlocks(msg.blocks...),
		slackapi.MsgOptionText(msg.text, false),
	); err != nil {
		return *prev, n.classify(ctx, "chat.update", err)
	}
	thread := prev.Thread
	if thread == "" {
		thread = prev.Message
	}
	reply := replyText(a, n.previous(*prev), now)
	if a.Retells() {
		reply += "\n" + escape(a.Summary)
	}
	if m, ok := n.mentions[a.Owner]; ok && a.Pages() {
		reply = m + " " + reply // the mention leads, so a cut never breaks it
	}
	reply = n.truncate(a.ID, "thread reply", reply, maxTextChars)
	if _, _, err := n.api.PostMessageContext(ctx, ch,
		slackapi.MsgOptionTS(thread),
		slackapi.MsgOptionText(reply, false),
		slackapi.MsgOptionDisableLinkUnfurl(),
	); err != nil {
		return *prev, n.classify(ctx, "chat.postMessage", err)
	}
	n.remember(*prev, a)
	return *prev, nil
}

func key(r notify.Ref) string { return r.Channel + "/" + r.Message }

func (n *Notifier) previous(r notify.Ref) *shown {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.last[key(r)]; ok {
		return &s
	}
	return nil
}

func (n *Notifier) remember(r notify.Ref, a alert.Alert) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if a.State == alert.Resolved {
		delete(n.last, key(r))
		return
	}
	n.last[key(r)] = shownOf(a)
}

// Slack error codes (the "error" field of a Web API answer) that say the
// same call may succeed later. Every other code is permanent: the token,
// scope, channel or payload needs a person.
var transient = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// classify wraps err in a *notify.Error carrying its class, with the token
// redacted from its text.
func (n *Notifier) classify(ctx context.Context, method string, err error) error {
	wrap := func(retry bool, after time.Duration, err error) error {
		return &notify.Error{Retryable: retry, RetryAfter: after, Err: redacted{err: err, secret: n.token}}
	}

	var rate *slackapi.RateLimitedError
	var status slackapi.StatusCodeError
	var api slackapi.SlackErrorResponse
	var nerr net.Error
	var uerr *url.Error
	var perr *strconv.NumError
	switch {
	case errors.As(err, &rate):
		return wrap(true, rate.RetryAfter, fmt.Errorf("slack %s: %w", method, err))
	case errors.As(err, &status):
		// 5xx is Slack's trouble and 429 without Retry-After is still a
		// rate limit; any other status, 401 and 403 above all, will answer
		// the same way however often it is asked.
		retry := status.Code >= 500 || status.Code == http.StatusTooManyRequests
		return wrap(retry, 0, fmt.Errorf("slack %s: %w", method, err))
	case errors.As(err, &api):
		if method == "chat.update" && (api.Err == "message_not_found" || api.Err == "cant_update_message") {
			return wrap(false, 0, fmt.Errorf("slack %s: %w (post a new message): %w", method, ErrMessageNotFound, err))
		}
		return wrap(transient[api.Err], 0, fmt.Errorf("slack %s: %w", method, err))
	case errors.As(err, &perr):
		// slack-go parses Retry-After only on a 429, and fails on a value
		// that is not whole seconds: still a rate limit, with no wait named.
		return wrap(true, 0, fmt.Errorf("slack %s: rate limited, unreadable Retry-After: %w", method, err))
	case ctx.Err() != nil:
		// The caller gave up; whether to try again is its call, and a
		// cancelled run (shutdown) must not be retried here.
		return wrap(errors.Is(ctx.Err(), context.DeadlineExceeded), 0, fmt.Errorf("slack %s: %w", method, err))
	case errors.As(err, &nerr), errors.As(err, &uerr):
		// Transport failures (refused, reset, timed out) say nothing
		// about the request itself.
		return wrap(true, 0, fmt.Errorf("slack %s: %w", method, err))
	}
	// An answer we cannot read (a proxy's HTML page, a bad Retry-After):
	// permanent, so it is logged and seen rather than retried in silence.
	return wrap(false, 0, fmt.Errorf("slack %s: unexpected answer: %w", method, err))
}

// redacted hides a secret in the text of an error it wraps. slack-go sends
// the token in request bodies, not URLs, so it should never be there; this
// makes sure of it for every error Notify returns.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string {
	s := r.err.Error()
	if r.secret != "" {
		s = strings.ReplaceAll(s, r.secret, "[REDACTED]")
	}
	return s
}

func (r redacted) Unwrap() error { return r.err }

// Digest posts one message for a storm of alert changes (see
// notify.Digester): counted by tier, the costliest named. Partner text in
// it is escaped; it mentions no one.
func (n *Notifier) Digest(ctx context.Context, channel string, changes []alert.Alert) error {
	text := n.truncate("digest", "digest", escape(notify.DigestText(changes)), maxTextChars)
	if _, _, err := n.api.PostMessageContext(ctx, channel,
		slackapi.MsgOptionText(text, false),
		slackapi.MsgOptionDisableLinkUnfurl(),
	); err != nil {
		return n.classify(ctx, "chat.postMessage", err)
	}
	return nil
}
