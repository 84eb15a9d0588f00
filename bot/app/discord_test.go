package app

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// TestDiscordSlashCommand runs /qm status through a running bot's Discord
// endpoint, signed as Discord signs it: the answer comes from the same
// projection as the alert, only for the asker.
func TestDiscordSlashCommand(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.Client(t)
	now := time.Now().UTC().Truncate(time.Second)
	r := startWith(t, rdb, prefix, now, func(o *Options) { o.Env.DiscordPublicKey = hex.EncodeToString(pub) })
	if code, body := r.post(t, scenario(now)); code != http.StatusAccepted {
		t.Fatalf("POST /v1/events = %d %v", code, body)
	}
	waitFor(t, "the stockout alert", func() bool { return len(alerts(t, r.app.Store)) > 0 })

	body := `{"type":2,"id":"I1","application_id":"1100","token":"itok","channel_id":"C9","member":{"user":{"id":"D1"}},` +
		`"data":{"id":"900","name":"qm","type":1,"options":[{"name":"status","type":1,"options":[{"name":"position","type":3,"value":"SKU1@DC1"}]}]}}`
	ts := strconv.FormatInt(now.Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, r.base+"/discord/interactions", strings.NewReader(body))
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(ts+body))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Type int `json:"type"`
		Data struct {
			Content string `json:"content"`
			Flags   int    `json:"flags"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("answer %d: %v", resp.StatusCode, err)
	}
	if got.Type != 4 || got.Data.Flags != 64 {
		t.Errorf("answer type %d flags %d, want an ephemeral message (4, 64)", got.Type, got.Data.Flags)
	}
	for _, want := range []string{"SKU1@DC1", "30 on hand", "1.5 days of supply", "$12,500 at risk"} {
		if !strings.Contains(got.Data.Content, want) {
			t.Errorf("/qm status lacks %q: %s", want, got.Data.Content)
		}
	}
}
