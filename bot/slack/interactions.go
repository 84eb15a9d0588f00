package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// maxInteractionBytes bounds an interactivity request; Slack's are a few
// kilobytes.
const maxInteractionBytes = 1 << 20

// Interactions serves Slack's interactivity requests in HTTP mode (the
// Request URL of the app's Interactivity settings): button clicks on alert
// messages. Every request must carry a valid signature made with the app's
// signing secret and a timestamp within five minutes of now (slack-go's
// SecretsVerifier), so a captured request cannot be replayed later. The
// reply goes back to the clicker alone, through the response_url.
func Interactions(signingSecret string, handle interact.Func, client *http.Client, log *slog.Logger) http.Handler {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, ok := verifiedForm(w, r, signingSecret, "interaction", log)
		if !ok {
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		// Slack wants an answer within three seconds; the work is small,
		// so it is done before answering, and the reply follows through
		// response_url.
		w.WriteHeader(http.StatusOK)
		if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
			return
		}
		act := cb.ActionCallback.BlockActions[0]
		src := audit.Source{Platform: "slack", Channel: cb.Channel.ID, Message: cb.Container.MessageTs}
		reply := ""
		req, err := interact.ParseButton(act.ActionID, act.Value, cb.User.ID, src)
		if err == nil {
			reply, err = handle(r.Context(), req)
		}
		if err != nil {
			reply = "Could not do that: " + err.Error()
			log.Info("slack interaction refused", "user", cb.User.ID, "action", act.ActionID, "err", err)
		}
		if cb.ResponseURL != "" {
			respond(r.Context(), client, cb.ResponseURL, reply, log)
		}
	})
}

// respond posts an ephemeral reply to a response_url, leaving the message
// it answers in place. A response_url is itself a secret for half an hour,
// so a failure is logged with its host alone.
func respond(ctx context.Context, client *http.Client, responseURL, text string, log *slog.Logger) {
	b, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false, "text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(b))
	if err != nil {
		log.Warn("slack reply: bad response_url")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL
		}
		log.Warn("slack reply not delivered", "host", req.URL.Host, "err", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		log.Warn("slack reply refused", "host", req.URL.Host, "status", resp.StatusCode)
	}
}
