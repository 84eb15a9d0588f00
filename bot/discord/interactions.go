package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// ParsePublicKey reads the application's public key (hex, from the
// Developer Portal) that Discord signs interactions with.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("discord public key: want %d bytes of hex", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Interactions serves Discord's interactions endpoint (the Interactions
// Endpoint URL of the application): button clicks on alert messages.
// Every request must carry a valid Ed25519 signature of the application's
// key over its timestamp and body, with a timestamp within five minutes of
// now. The reply is an ephemeral message to the clicker.
func Interactions(key ed25519.PublicKey, handle interact.Func, now func() time.Time, log *slog.Logger) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		age := now().Sub(time.Unix(ts, 0))
		if terr != nil || age > replayWindow || age < -replayWindow || !discordgo.VerifyInteraction(r, key) {
			log.Warn("discord interaction refused: bad or stale signature")
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		var in discordgo.Interaction
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, "bad interaction", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if in.Type == discordgo.InteractionPing {
			json.NewEncoder(w).Encode(discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
			return
		}
		if in.Type != discordgo.InteractionMessageComponent {
			ephemeral(w, "Quartermaster only answers its buttons here.")
			return
		}
		user := ""
		if in.Member != nil && in.Member.User != nil {
			user = in.Member.User.ID
		} else if in.User != nil {
			user = in.User.ID
		}
		src := audit.Source{Platform: "discord", Channel: in.ChannelID}
		if in.Message != nil {
			src.Message = in.Message.ID
		}
		action, value, _ := strings.Cut(in.MessageComponentData().CustomID, ":")
		text := ""
		req, err := interact.ParseButton(action, value, user, src)
		if err == nil {
			text, err = handle(r.Context(), req)
		}
		if err != nil {
			text = "Could not do that: " + err.Error()
			log.Info("discord interaction refused", "user", user, "action", action, "err", err)
		}
		ephemeral(w, text)
	})
}

// ephemeral answers an interaction with a message only the clicker sees.
func ephemeral(w http.ResponseWriter, text string) {
	json.NewEncoder(w).Encode(discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: cut(text, maxContent), Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}},
	})
}

// cut shortens s to n runes for an answer nobody else sees.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
