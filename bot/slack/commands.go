package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// CommandFunc answers a slash command's text for a user; the answer is
// shown to that user alone.
type CommandFunc func(ctx context.Context, user, channel, text string) (string, error)

// Texts a slow command is answered with at once.
const (
	workingText  = "Working on it…"
	shutdownText = "Quartermaster is shutting down; ask again in a minute."
)

// slow reports whether a /qm command may outlast the three seconds Slack
// waits for its answer: questions and the briefing call an LLM.
func slow(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && (f[0] == "ask" || f[0] == "brief")
}

// CommandsHandler serves a slash command (/qm) in HTTP mode. See Commands.
type CommandsHandler struct {
	secret string
	answer CommandFunc
	client *http.Client
	log    *slog.Logger
	jobs   jobs
}

// Commands serves a slash command (/qm) in HTTP mode: the request is
// verified as Interactions verifies clicks (signing secret, five-minute
// replay window). Most commands are answered in the response body, which
// Slack shows to the person who typed it. /qm ask and /qm brief may take
// longer than the three seconds Slack waits, so they are answered "Working
// on it…" at once, and a goroutine the handler owns posts the answer to the
// command's response_url, with client (nil means a ten-second timeout).
// Close waits for those.
func Commands(signingSecret string, answer CommandFunc, client *http.Client, log *slog.Logger) *CommandsHandler {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if log == nil {
		log = slog.Default()
	}
	return &CommandsHandler{secret: signingSecret, answer: answer, client: client, log: log}
}

// ServeHTTP answers one slash command.
func (c *CommandsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := verifiedForm(w, r, c.secret, "command", c.log)
	if !ok {
		return
	}
	cmd := slack.SlashCommand{
		Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"),
		ChannelID: form.Get("channel_id"), ResponseURL: form.Get("response_url"),
	}
	if !slow(cmd.Text) || cmd.ResponseURL == "" {
		writeEphemeral(w, runCommand(r.Context(), c.answer, cmd, c.log))
		return
	}
	// The answer outlives the request, which ends with "Working on it…",
	// but not the handler: Close cancels it.
	ctx, done, ok := c.jobs.add(context.WithoutCancel(r.Context()))
	if !ok {
		writeEphemeral(w, shutdownText)
		return
	}
	writeEphemeral(w, workingText)
	_ = http.NewResponseController(w).Flush() // the acknowledgement goes before the answer
	go func() {
		defer done()
		respond(ctx, c.client, cmd.ResponseURL, runCommand(ctx, c.answer, cmd, c.log), c.log)
	}()
}

// Close stops taking slow commands, which from then on are answered that
// the bot is shutting down, and waits until every answer in flight has been
// delivered. When ctx ends first it cancels them, still waits for their
// goroutines, and returns an error wrapping ctx's. Call it after the HTTP
// server's Shutdown, so that no command is still arriving.
func (c *CommandsHandler) Close(ctx context.Context) error {
	return c.jobs.close(ctx, "slack commands")
}

// runCommand answers a slash command with answer, or says why it cannot.
// Socket Mode and the HTTP handler share it.
func runCommand(ctx context.Context, answer CommandFunc, cmd slack.SlashCommand, log *slog.Logger) string {
	if answer == nil {
		return "Could not do that: commands are not configured"
	}
	if slow(cmd.Text) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, answerTimeout)
		defer cancel()
	}
	text, err := answer(ctx, cmd.UserID, cmd.ChannelID, cmd.Text)
	if err != nil {
		log.Info("slack command refused", "user", cmd.UserID, "command", cmd.Command, "err", err)
		return "Could not do that: " + err.Error()
	}
	return text
}

// writeEphemeral answers a slash command in the response body.
func writeEphemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(ephemeral(text))
}

// verifiedBody reads a request Slack signed and checks its signature and
// five-minute window with the app's signing secret (slack-go's
// SecretsVerifier), returning the raw body: a form for clicks and
// commands, JSON for the Events API. On any failure it has answered the
// request and returns false.
func verifiedBody(w http.ResponseWriter, r *http.Request, signingSecret, what string, log *slog.Logger) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInteractionBytes+1))
	if err != nil || len(body) > maxInteractionBytes {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	v, err := slack.NewSecretsVerifier(r.Header, signingSecret)
	if err == nil {
		v.Write(body)
		err = v.Ensure()
	}
	if err != nil {
		log.Warn("slack "+what+" refused: bad or stale signature", "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// verifiedForm is verifiedBody for the form-encoded requests.
func verifiedForm(w http.ResponseWriter, r *http.Request, signingSecret, what string, log *slog.Logger) (url.Values, bool) {
	body, ok := verifiedBody(w, r, signingSecret, what, log)
	if !ok {
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, false
	}
	return form, true
}
