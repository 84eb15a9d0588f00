package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
)

const briefText = "Daily briefing 2026-11-27 for planners\n\nFill rate was 83.3% on 2026-11-26.\n\n• stockout_risk: 3 new\n• SKU-1@DC1 @everyone: $12,000 at risk\n  -> Expedite PO-3\n> not a quote\n"

// sentBrief reads the one multipart message the fake received: its JSON
// payload and its attached files by name.
func sentBrief(t *testing.T, req request) (discordgo.MessageSend, map[string][]byte) {
	t.Helper()
	var msg discordgo.MessageSend
	files := map[string][]byte{}
	ct := ""
	for _, h := range strings.Split(string(req.Body), "\r\n") {
		if strings.HasPrefix(h, "--") {
			ct = "multipart/form-data; boundary=" + strings.TrimPrefix(h, "--")
			break
		}
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatalf("not multipart: %v\n%s", err, req.Body)
	}
	mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		if p.FormName() == "payload_json" {
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatal(err)
			}
			continue
		}
		files[p.FileName()] = body
	}
	return msg, files
}

func TestPostBriefAttachesTheChart(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)
	png := []byte("\x89PNG\r\n\x1a\nchart")
	if err := n.PostBrief(context.Background(), "42", briefText, png); err != nil {
		t.Fatal(err)
	}
	reqs := f.got()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/api/v9/channels/42/messages" || reqs[0].Auth != "Bot "+testToken {
		t.Fatalf("requests %+v", reqs)
	}
	msg, files := sentBrief(t, reqs[0])
	if !bytes.Equal(files[BriefFile], png) {
		t.Errorf("attached %v", files)
	}
	if len(msg.Embeds) != 1 {
		t.Fatalf("%d embeds", len(msg.Embeds))
	}
	e := msg.Embeds[0]
	wantDesc := "Fill rate was 83.3% on 2026-11-26.\n\n• stockout\\_risk: 3 new\n• SKU-1@DC1 @everyone: $12,000 at risk\n  -> Expedite PO-3\n\\> not a quote"
	if e.Title != "Daily briefing 2026-11-27 for planners" || e.Description != wantDesc || e.Image == nil || e.Image.URL != "attachment://"+BriefFile {
		t.Errorf("embed %q\n%q\nimage %+v", e.Title, e.Description, e.Image)
	}
	if msg.AllowedMentions == nil || msg.AllowedMentions.Parse == nil || len(msg.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed mentions %+v: the briefing must ping no one", msg.AllowedMentions)
	}
}

// A long briefing fills a second embed, then is cut at Discord's total
// with a warning; a briefing without a chart attaches nothing.
func TestPostBriefLong(t *testing.T) {
	f := newFakeDiscord(t)
	n, logs := newNotifier(t, f)
	var b strings.Builder
	b.WriteString("Daily briefing 2026-11-27 for admins\n")
	for i := 0; b.Len() < 9000; i++ {
		b.WriteString("• SKU-1@DC1: stockout 2026-11-28, $12,000 at risk, owner planner-east\n")
	}
	if err := n.PostBrief(context.Background(), "42", b.String(), nil); err != nil {
		t.Fatal(err)
	}
	reqs := f.got()
	var msg discordgo.MessageSend
	if err := json.Unmarshal(reqs[0].Body, &msg); err != nil {
		t.Fatalf("a briefing without a chart is plain JSON: %v", err)
	}
	total := 0
	for _, e := range msg.Embeds {
		if utf8.RuneCountInString(e.Description) > maxEmbedDescription || e.Image != nil {
			t.Errorf("embed of %d characters, image %v", utf8.RuneCountInString(e.Description), e.Image)
		}
		total += embedLength(e)
	}
	if len(msg.Embeds) != 2 || total > maxEmbedTotal || total < maxEmbedTotal-100 {
		t.Errorf("%d embeds, %d characters in all", len(msg.Embeds), total)
	}
	if !strings.Contains(logs.String(), "cut to the platform limit") {
		t.Errorf("the cut was not logged:\n%s", logs)
	}
}

func TestPostBriefRefused(t *testing.T) {
	f := newFakeDiscord(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message": "Missing Permissions ` + testToken + `", "code": 50013}`))
		return true
	})
	n, _ := newNotifier(t, f)
	err := n.PostBrief(context.Background(), "42", briefText, []byte("png"))
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Retryable {
		t.Fatalf("err = %v, want a permanent notify.Error", err)
	}
	if strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "50013") {
		t.Errorf("error %q leaks the token or hides the code", err)
	}
}

func TestSplitLines(t *testing.T) {
	for _, tt := range []struct {
		s     string
		limit int
		want  []string
	}{
		{"ab\ncd\nef", 5, []string{"ab\ncd", "ef"}},
		{"abcdefg\nh", 3, []string{"abc", "def", "g\nh"}},
		{"", 3, nil},
	} {
		if got := splitLines(tt.s, tt.limit); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitLines(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
		}
	}
}
