package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// TestAskAndBrief asks about the scenario's position the three ways
// people do, with no model configured: POST /v1/ask, /qm ask and /qm
// brief. Every figure comes from the same projection as the alert.
func TestAskAndBrief(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	now := time.Now().UTC().Truncate(time.Second)
	r := start(t, rdb, prefix, now)
	if code, body := r.post(t, scenario(now)); code != http.StatusAccepted {
		t.Fatalf("POST /v1/events = %d %v", code, body)
	}
	waitFor(t, "the stockout alert", func() bool { return len(alerts(t, r.app.Store)) > 0 })
	tomorrow := now.Truncate(24*time.Hour).AddDate(0, 0, 1).Format(time.DateOnly)

	askHTTP := func(token, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", r.base+"/v1/ask", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, _ := askHTTP("", `{"question":"When will SKU1 run out at DC1?"}`); code != http.StatusUnauthorized {
		t.Errorf("POST /v1/ask without a token = %d, want 401", code)
	}
	code, ans := askHTTP("s3cret", `{"question":"When will SKU1 run out at DC1?","role":"planner"}`)
	if code != http.StatusOK || !strings.Contains(ans["answer"].(string), tomorrow) || ans["source"] != "parser" {
		t.Errorf("POST /v1/ask = %d %v, want the stockout date %s from the parser", code, ans, tomorrow)
	}
	if facts, _ := ans["facts"].([]any); len(facts) == 0 {
		t.Errorf("answer cites no facts: %v", ans)
	}

	// /qm ask may outlast Slack's three seconds: it is acknowledged at
	// once and the answer goes to the command's response_url.
	answers := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		json.NewDecoder(req.Body).Decode(&m)
		text, _ := m["text"].(string)
		answers <- text
	}))
	defer hook.Close()
	ack := slackPost(t, r.base+"/slack/commands", url.Values{"user_id": {"U1"}, "response_url": {hook.URL},
		"text": {"ask what is the status of SKU1 at DC1?"}}.Encode())
	if !strings.Contains(ack, "Working on it") {
		t.Errorf("/qm ask acknowledged with %s", ack)
	}
	var reply string
	select {
	case reply = <-answers:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer reached response_url")
	}
	for _, want := range []string{"SKU1@DC1", "30", "1.5 days", tomorrow, "$12,500"} {
		if !strings.Contains(reply, want) {
			t.Errorf("/qm ask lacks %q: %s", want, reply)
		}
	}
	brief := slackPost(t, r.base+"/slack/commands", url.Values{"user_id": {"U1"}, "text": {"brief"}}.Encode())
	for _, want := range []string{"SKU1@DC1", "$12,500", tomorrow} {
		if !strings.Contains(brief, want) {
			t.Errorf("/qm brief lacks %q: %s", want, brief)
		}
	}
}
