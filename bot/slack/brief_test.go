package slack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/bot/slack"
)

// uploadSlack stands in for the Web API methods of a file upload and for
// the upload URL it hands out, on the same server.
type uploadSlack struct {
	*httptest.Server
	mu       sync.Mutex
	methods  []string
	forms    map[string]map[string][]string
	uploaded []byte
	upAuth   string
	fail     string // a method that answers with an error
	status   int    // its HTTP status; 200 with {"ok":false} when 0
}

func newUploadSlack(t *testing.T) *uploadSlack {
	t.Helper()
	f := &uploadSlack{forms: map[string]map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.methods = append(f.methods, method)
		w.Header().Set("Content-Type", "application/json")
		if method == f.fail {
			if f.status != 0 {
				w.WriteHeader(f.status)
				fmt.Fprintf(w, "upstream broke; token was %s", token)
				return
			}
			fmt.Fprint(w, `{"ok":false,"error":"not_in_channel"}`)
			return
		}
		if method == "upload/F0BRIEF" {
			file, _, err := r.FormFile("file")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			f.uploaded, _ = io.ReadAll(file)
			f.upAuth = r.Header.Get("Authorization")
			fmt.Fprint(w, "OK")
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.forms[method] = r.PostForm
		switch method {
		case "files.getUploadURLExternal":
			fmt.Fprintf(w, `{"ok":true,"upload_url":%q,"file_id":"F0BRIEF"}`, f.URL+"/upload/F0BRIEF")
		case "files.completeUploadExternal":
			fmt.Fprint(w, `{"ok":true,"files":[{"id":"F0BRIEF","title":"Top risks"}]}`)
		case "chat.postMessage":
			fmt.Fprint(w, `{"ok":true,"channel":"C0OPS","ts":"1764234600.000001"}`)
		default:
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *uploadSlack) notifier() *slack.Notifier {
	return slack.New(token, slack.WithAPIURL(f.URL+"/"), slack.WithHTTPClient(f.Client()),
		slack.WithLogger(slog.New(slog.DiscardHandler)))
}

// The briefing's text travels as the comment of its chart, escaped, so a
// partner's identifier cannot ping a channel.
const briefText = "Daily briefing 2026-11-27 for planners\n• SKU-1@DC1 <!channel>: $12,000 at risk\n  -> Expedite PO-3\n"

func TestPostBriefUploadsTheChart(t *testing.T) {
	f := newUploadSlack(t)
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	if err := f.notifier().PostBrief(context.Background(), "C0OPS", briefText, png); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := strings.Join(f.methods, " "); got != "files.getUploadURLExternal upload/F0BRIEF files.completeUploadExternal" {
		t.Fatalf("calls: %s", got)
	}
	get := f.forms["files.getUploadURLExternal"]
	if get["filename"][0] != slack.BriefFile || get["length"][0] != fmt.Sprint(len(png)) {
		t.Errorf("upload URL asked for %v", get)
	}
	if !bytes.Equal(f.uploaded, png) || f.upAuth != "Bearer "+token {
		t.Errorf("uploaded %q with %q", f.uploaded, f.upAuth)
	}
	done := f.forms["files.completeUploadExternal"]
	want := "Daily briefing 2026-11-27 for planners\n• SKU-1@DC1 &lt;!channel&gt;: $12,000 at risk\n  -&gt; Expedite PO-3\n"
	if done["channel_id"][0] != "C0OPS" || done["initial_comment"][0] != want || !strings.Contains(done["files"][0], `"id":"F0BRIEF"`) {
		t.Errorf("completed with %v", done)
	}
}

func TestPostBriefWithoutChart(t *testing.T) {
	f := newUploadSlack(t)
	if err := f.notifier().PostBrief(context.Background(), "C0OPS", briefText, nil); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	msg := f.forms["chat.postMessage"]
	if strings.Join(f.methods, " ") != "chat.postMessage" || msg["channel"][0] != "C0OPS" || !strings.Contains(msg["text"][0], "&lt;!channel&gt;") {
		t.Errorf("calls %v, message %v", f.methods, msg)
	}
}

func TestPostBriefErrors(t *testing.T) {
	for _, tt := range []struct {
		fail      string
		status    int
		retryable bool
	}{
		{"files.getUploadURLExternal", 0, false},
		{"files.completeUploadExternal", 0, false},
		{"upload/F0BRIEF", http.StatusBadGateway, true},
		{"files.getUploadURLExternal", http.StatusServiceUnavailable, true},
	} {
		t.Run(fmt.Sprintf("%s %d", tt.fail, tt.status), func(t *testing.T) {
			f := newUploadSlack(t)
			f.fail, f.status = tt.fail, tt.status
			err := f.notifier().PostBrief(context.Background(), "C0OPS", briefText, []byte("png"))
			var ne *notify.Error
			if !errors.As(err, &ne) || ne.Retryable != tt.retryable {
				t.Fatalf("err = %v, want a notify.Error retryable=%v", err, tt.retryable)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}
