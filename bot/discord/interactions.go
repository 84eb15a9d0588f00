package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// maxInteractionBytes bounds one interaction request.
const maxInteractionBytes = 1 << 20

// replayWindow is how old a signed interaction may be. Discord's signature
// covers the timestamp; refusing old ones stops a captured request from
// being played again later.
const replayWindow = 5 * time.Minute

// Deferred answers. Discord wants the HTTP answer to an interaction within
// three seconds, and its token lets the bot edit that answer for fifteen
// minutes after; see
// https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction.
// A slow command gets deferredTimeout, which leaves time to deliver its
// answer, or its failure, before the token expires at deferredLifetime.
const (
	deferredLifetime = 14 * time.Minute
	deferredTimeout  = 13 * time.Minute
	editAttempts     = 3                      // tries at delivering one deferred answer
	editBackoff      = 500 * time.Millisecond // the first wait between tries, doubled each time
	maxEditWait      = 10 * time.Second       // the longest wait between tries, whatever Retry-After says
	maxErrorBody     = 64 << 10               // how much of an error answer is read
)

// ParsePublicKey reads the application's public key (hex, from the
// Developer Portal) that Discord signs interactions with.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord public key: want %d bytes of hex", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// EndpointConfig is what NewEndpoint needs. Only Key is required; the
// zero value of every other field works.
type EndpointConfig struct {
	// Key is the application's public key (see ParsePublicKey).
	Key ed25519.PublicKey
	// Click carries out a button click (interact.Handler.Handle). When nil,
	// clicks are answered that buttons are not set up here.
	Click interact.Func
	// Command answers /qm given the text Slack's /qm would carry
	// (interact.Handler.Command with platform "discord"). When nil, /qm is
	// answered that it is not set up here.
	Command CommandFunc
	// API is the base URL of Discord's REST API, where deferred answers
	// are delivered; "" is discordgo's (https://discord.com/api/v9).
	// Tests point it at a stand-in.
	API string
	// Client sends deferred answers; nil is a client with a 20s timeout.
	Client *http.Client
	// Now reads the clock for the signature's replay window; nil is
	// time.Now.
	Now func() time.Time
	// Log gets refusals, cut answers and undelivered ones; nil is
	// slog.Default().
	Log *slog.Logger
}

// Endpoint serves Discord's interactions endpoint (the Interactions
// Endpoint URL of the application): button clicks on alert messages and
// the /qm command. Every request must carry a valid Ed25519 signature of
// the application's key over its timestamp and body, with a timestamp
// within five minutes of now. Every answer is an ephemeral message to the
// person who clicked or typed.
//
// /qm ask and /qm brief may outlast Discord's three seconds, so they are
// answered at once with a deferred ("thinking…") response, and a
// goroutine the Endpoint owns runs the command and edits that response
// into the answer. Close stops taking them and waits for those in flight.
type Endpoint struct {
	key     ed25519.PublicKey
	click   interact.Func
	command CommandFunc
	api     string
	client  *http.Client
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex
	closed   bool
	next     uint64
	inflight map[uint64]context.CancelFunc // deferred answers being worked on
	wg       sync.WaitGroup
}

// NewEndpoint returns an Endpoint. It starts nothing: the goroutines it
// owns are started by slow commands, one each.
func NewEndpoint(c EndpointConfig) (*Endpoint, error) {
	if len(c.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord endpoint: public key: want %d bytes, got %d", ed25519.PublicKeySize, len(c.Key))
	}
	if c.API != "" {
		u, err := url.Parse(c.API)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("discord endpoint: API %q: want an http(s) URL", c.API)
		}
	}
	return newEndpoint(c), nil
}

func newEndpoint(c EndpointConfig) *Endpoint {
	e := &Endpoint{key: c.Key, click: c.Click, command: c.Command, api: strings.TrimSuffix(c.API, "/"),
		client: c.Client, now: c.Now, log: c.Log, inflight: map[uint64]context.CancelFunc{}}
	if e.api == "" {
		e.api = strings.TrimSuffix(discordgo.EndpointAPI, "/")
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: defaultTimeout}
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e
}

// ServeHTTP answers one interaction.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInteractionBytes+1))
	if err != nil || len(body) > maxInteractionBytes {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ts, terr := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	age := e.now().Sub(time.Unix(ts, 0))
	if terr != nil || age > replayWindow || age < -replayWindow || !discordgo.VerifyInteraction(r, e.key) {
		e.log.Warn("discord interaction refused: bad or stale signature")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	var in discordgo.Interaction
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, "bad interaction", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch in.Type {
	case discordgo.InteractionPing:
		json.NewEncoder(w).Encode(discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
	case discordgo.InteractionMessageComponent:
		e.clicked(w, r, &in)
	case discordgo.InteractionApplicationCommand:
		e.commanded(w, r, &in)
	default:
		e.ephemeral(w, "answer", "Quartermaster answers its buttons and /"+CommandName+" here.")
	}
}

// clicked carries out a button click.
func (e *Endpoint) clicked(w http.ResponseWriter, r *http.Request, in *discordgo.Interaction) {
	user := userOf(in)
	src := audit.Source{Platform: "discord", Channel: in.ChannelID}
	if in.Message != nil {
		src.Message = in.Message.ID
	}
	action, value, _ := strings.Cut(in.MessageComponentData().CustomID, ":")
	text := ""
	req, err := interact.ParseButton(action, value, user, src)
	if err == nil && e.click == nil {
		err = errors.New("buttons are not set up on this endpoint")
	}
	if err == nil {
		text, err = e.click(r.Context(), req)
	}
	if err != nil {
		text = "Could not do that: " + err.Error()
		e.log.Info("discord interaction refused", "user", user, "action", action, "err", err)
	}
	e.ephemeral(w, "answer to "+action, text)
}

// commanded answers /qm: at once, or deferred for a slow subcommand.
func (e *Endpoint) commanded(w http.ResponseWriter, r *http.Request, in *discordgo.Interaction) {
	user := userOf(in)
	text, slow, err := commandText(in.ApplicationCommandData())
	if err == nil && e.command == nil {
		err = fmt.Errorf("/%s is not set up on this endpoint", CommandName)
	}
	sub, _, _ := strings.Cut(text, " ")
	what := "answer to /" + CommandName + " " + sub
	if err == nil && slow {
		e.deferAnswer(w, r, in, user, sub, text)
		return
	}
	answer := ""
	if err == nil {
		answer, err = e.command(r.Context(), user, in.ChannelID, text)
	}
	if err != nil {
		answer = "Could not do that: " + err.Error()
		e.log.Info("discord command refused", "user", user, "command", sub, "err", err)
	}
	e.ephemeral(w, what, answer)
}

// deferAnswer answers a slow command with a deferred ephemeral response
// and starts the goroutine that runs the command and edits the response
// into its answer.
func (e *Endpoint) deferAnswer(w http.ResponseWriter, r *http.Request, in *discordgo.Interaction, user, sub, text string) {
	if in.AppID == "" || in.Token == "" {
		e.log.Info("discord command refused", "user", user, "command", sub, "err", "no application id or token")
		e.ephemeral(w, "answer", "Could not do that: the interaction carries no application id or token to answer later.")
		return
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.ephemeral(w, "answer", "Quartermaster is shutting down; ask again in a minute.")
		return
	}
	// The work outlives the request, which ends with this response, but
	// not the Endpoint: Close cancels it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), deferredLifetime)
	id := e.next
	e.next++
	e.inflight[id] = cancel
	e.wg.Add(1)
	e.mu.Unlock()

	json.NewEncoder(w).Encode(discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	// Send the deferred response before the edit can race it.
	_ = http.NewResponseController(w).Flush()

	appID, token, channel := in.AppID, in.Token, in.ChannelID
	go func() {
		defer e.wg.Done()
		defer e.forget(id)
		e.answerLater(ctx, appID, token, user, channel, sub, text)
	}()
}

// forget cancels and drops deferred answer id once it is done.
func (e *Endpoint) forget(id uint64) {
	e.mu.Lock()
	cancel := e.inflight[id]
	delete(e.inflight, id)
	e.mu.Unlock()
	cancel()
}

// answerLater runs a slow command and edits the interaction's deferred
// response into its answer, or into why there is none.
func (e *Endpoint) answerLater(ctx context.Context, appID, token, user, channel, sub, text string) {
	cctx, cancel := context.WithTimeout(ctx, deferredTimeout)
	answer, err := e.command(cctx, user, channel, text)
	cancel()
	if err != nil {
		answer = "Could not do that: " + err.Error()
		e.log.Info("discord command refused", "user", user, "command", sub, "err", err)
	}
	answer = e.fit("answer to /"+CommandName+" "+sub, answer)
	if err := e.editOriginal(ctx, appID, token, answer); err != nil {
		e.log.Warn("discord: deferred answer not delivered", "user", user, "command", sub, "err", err)
	}
}

// editOriginal edits the interaction's first response into content,
// trying again while Discord may yet take it: on no answer, 429, 5xx, and
// 404, which is also what an edit gets when it overtakes the deferred
// response it edits. The token is the interaction's, a secret for fifteen
// minutes, so it never appears in the error.
func (e *Endpoint) editOriginal(ctx context.Context, appID, token, content string) error {
	body, err := json.Marshal(discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()})
	if err != nil {
		return fmt.Errorf("discord: edit deferred answer: %w", err)
	}
	target := e.api + "/webhooks/" + url.PathEscape(appID) + "/" + url.PathEscape(token) + "/messages/@original"
	backoff := editBackoff
	for attempt := 1; ; attempt++ {
		retry, after, err := e.patch(ctx, target, body)
		if err == nil {
			return nil
		}
		if err = hide(err, token); !retry || attempt == editAttempts {
			return err
		}
		t := time.NewTimer(min(max(after, backoff), maxEditWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up waiting to try again: %w)", err, ctx.Err())
		case <-t.C:
		}
		backoff *= 2
	}
}

// patch makes one edit request and says whether a failure is worth
// another try, and after how long Discord asked for one.
func (e *Endpoint) patch(ctx context.Context, target string, body []byte) (retry bool, after time.Duration, err error) {
	const op = "edit deferred answer"
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, target, bytes.NewReader(body))
	if err != nil {
		return false, 0, fmt.Errorf("discord: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return ctx.Err() == nil, 0, fmt.Errorf("discord: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return false, 0, nil
	}
	apiErr := &APIError{Op: op, StatusCode: resp.StatusCode}
	var answer struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)); rerr == nil && json.Unmarshal(b, &answer) == nil {
		apiErr.Code, apiErr.Message = answer.Code, answer.Message
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusNotFound
	return retry, retryAfterHeader(resp.Header.Get("Retry-After"), e.now()), apiErr
}

// hide returns err, or when its text holds secret a copy of its text
// without it: a failed request's error names its URL, and with it the
// interaction token.
func hide(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}

// Close stops taking slow commands, which from then on are answered that
// the bot is shutting down, and waits until every deferred answer in
// flight is delivered. When ctx ends first it cancels them, still waits
// for their goroutines to return, and reports ctx's error. Call it after
// the HTTP server's Shutdown, so that no interaction is still arriving.
func (e *Endpoint) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	n := len(e.inflight)
	for _, cancel := range e.inflight {
		cancel()
	}
	e.mu.Unlock()
	<-done
	return fmt.Errorf("discord: close: %d deferred answers cut short: %w", n, ctx.Err())
}

// userOf is who clicked or typed: the member in a server, the user in a
// direct message.
func userOf(in *discordgo.Interaction) string {
	if in.Member != nil && in.Member.User != nil {
		return in.Member.User.ID
	}
	if in.User != nil {
		return in.User.ID
	}
	return ""
}

// ephemeral answers an interaction with a message only the asker sees.
func (e *Endpoint) ephemeral(w http.ResponseWriter, what, text string) {
	json.NewEncoder(w).Encode(discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: e.fit(what, text), Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: noMentions()},
	})
}

// fit cuts an answer to Discord's content limit and logs the cut.
func (e *Endpoint) fit(what, text string) string {
	if n := utf8.RuneCountInString(text); n > maxContent {
		e.log.Warn("discord: answer cut to the platform limit", "part", what, "length", n, "limit", maxContent)
		return cut(text, maxContent)
	}
	return text
}

// cut shortens s to n runes, ending it with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
