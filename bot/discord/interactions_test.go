package discord_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/discord"
	"github.com/quartermaster-ops/quartermaster/bot/interact"
)

func TestInteractions(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := discord.ParsePublicKey(hex.EncodeToString(pub))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	var got []interact.Request
	h := discord.Interactions(key, func(_ context.Context, r interact.Request) (string, error) {
		got = append(got, r)
		return "Snoozed.", nil
	}, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	send := func(body string, at time.Time, signer ed25519.PrivateKey) *httptest.ResponseRecorder {
		ts := strconv.FormatInt(at.Unix(), 10)
		req := httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(body))
		req.Header.Set("X-Signature-Timestamp", ts)
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(signer, []byte(ts+body))))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	click := `{"type":3,"channel_id":"C9","member":{"user":{"id":"D1"}},"message":{"id":"M7"},` +
		`"data":{"custom_id":"qm_snooze_4h:qm-0123456789abcdef-1","component_type":2}}`

	if w := send(`{"type":1}`, now, priv); w.Code != 200 || !strings.Contains(w.Body.String(), `"type":1`) {
		t.Errorf("ping: %d %s", w.Code, w.Body)
	}
	w := send(click, now, priv)
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Content string `json:"content"`
			Flags   int    `json:"flags"`
		} `json:"data"`
	}
	json.NewDecoder(w.Body).Decode(&resp)
	if w.Code != 200 || resp.Type != 4 || resp.Data.Content != "Snoozed." || resp.Data.Flags != 64 {
		t.Errorf("click: %d %+v", w.Code, resp)
	}
	if len(got) != 1 || got[0].Kind != interact.Snooze || got[0].Snooze != 4*time.Hour || got[0].User != "D1" || got[0].Source.Message != "M7" {
		t.Errorf("requests %+v", got)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	for name, w := range map[string]*httptest.ResponseRecorder{
		"wrong key":           send(click, now, other),
		"replayed 10 minutes": send(click, now.Add(-10*time.Minute), priv),
	} {
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, w.Code)
		}
	}
	if len(got) != 1 {
		t.Errorf("a refused request reached the handler: %+v", got)
	}
}
