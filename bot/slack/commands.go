package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// CommandFunc answers a slash command's text for a user; the answer is
// shown to that user alone.
type CommandFunc func(ctx context.Context, user, channel, text string) (string, error)

// Commands serves a slash command (/qm) in HTTP mode: the request is
// verified as Interactions verifies clicks (signing secret, five-minute
// replay window) and answered in the response body, which Slack shows to
// the person who typed it.
func Commands(signingSecret string, answer CommandFunc, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := verifiedForm(w, r, signingSecret, "command", log)
		if !ok {
			return
		}
		text, err := answer(r.Context(), form.Get("user_id"), form.Get("channel_id"), form.Get("text"))
		if err != nil {
			text = "Could not do that: " + err.Error()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
	})
}

// verifiedForm reads a request Slack signed, checks its signature and
// five-minute window with the app's signing secret, and returns its form.
// On any failure it has answered the request and returns false.
func verifiedForm(w http.ResponseWriter, r *http.Request, signingSecret, what string, log *slog.Logger) (url.Values, bool) {
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
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, false
	}
	return form, true
}
