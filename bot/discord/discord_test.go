package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

const testToken = "MTE0.secret-bot-token.XYZ"

// request is one call the fake Discord received.
type request struct {
	Method, Path, Auth string
	Body               []byte
}

// fakeDiscord stands in for Discord's REST API: it creates messages and
// threads with predictable ids and records every request. A test can take
// over any request with hook.
type fakeDiscord struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []request
	hook     func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v9/channels/{ch}/messages", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"id": "msg-" + r.PathValue("ch"), "channel_id": r.PathValue("ch")})
	})
	mux.HandleFunc("PATCH /api/v9/channels/{ch}/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"id": r.PathValue("id"), "channel_id": r.PathValue("ch")})
	})
	mux.HandleFunc("POST /api/v9/channels/{ch}/messages/{id}/threads", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"id": "thread-" + r.PathValue("id"), "type": 11, "parent_id": r.PathValue("ch")})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, request{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
		hook := f.hook
		f.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeDiscord) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fakeDiscord) got() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

// rewrite sends requests for discord.com to the fake: discordgo builds its
// endpoints from the package variable EndpointDiscord, so the transport is
// the one place to redirect them without touching global state.
type rewrite struct {
	target *url.URL
	base   http.RoundTripper
}

func (t rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != "discord.com" {
		return nil, fmt.Errorf("test transport: unexpected host %q", req.URL.Host)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.target.Scheme, t.target.Host, t.target.Host
	return t.base.RoundTrip(r)
}

// newNotifier returns a Notifier talking to f, and the buffer its log
// goes to.
func newNotifier(t *testing.T, f *fakeDiscord, opts ...Option) (*Notifier, *bytes.Buffer) {
	t.Helper()
	target, err := url.Parse(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	client := &http.Client{Transport: rewrite{target: target, base: f.srv.Client().Transport}, Timeout: 5 * time.Second}
	opts = append([]Option{
		WithHTTPClient(client),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithClock(func() time.Time { return detected }),
		WithMentions(map[string]string{"planner-east": "<@111>", "buyer-team": "<@&222>"}),
	}, opts...)
	n, err := New(testToken, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n, &logs
}

var detected = time.Date(2026, 11, 27, 9, 10, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func stockout() alert.Alert {
	return alert.Alert{
		ID: "qm-0123456789abcdef-1", Fingerprint: "0123456789abcdef", Kind: alert.KindStockout,
		Tier: score.Critical, State: alert.Firing, Change: alert.Raised, Revision: 1, Episode: 1,
		SKU: "SKU-1001", Site: "DC-EAST", DetectedAt: detected, FirstDetectedAt: detected,
		TriggerEventIDs: []string{"wms-881"}, Score: 0.93, RevenueAtRisk: 43400.5, TimeToImpactHours: 38.8,
		RecommendedAction: "expedite SHP-7 (400 EA) from DC-WEST", ActionKey: "expedite SHP-7",
		ResponseClass: score.FinanceApproval, Owner: "planner-east",
		StockoutDate: "2026-11-29", DaysOfSupply: ptr(1.6),
	}
}

func supplierSlip() alert.Alert {
	return alert.Alert{
		ID: "qm-fedcba9876543210-2", Fingerprint: "fedcba9876543210", Kind: alert.KindSupplierSlip,
		Tier: score.Actionable, State: alert.Acknowledged, Change: alert.Acknowledge, Revision: 3, Episode: 2,
		SKU: "SKU-2002", Site: "DC-WEST", Supplier: "ACME", DetectedAt: detected.Add(2 * time.Hour),
		AcknowledgedBy: "dana", RevenueAtRisk: 8200, TimeToImpactHours: 120,
		RecommendedAction: "ask ACME to confirm PO-55 ship date", ResponseClass: score.PlannerReview,
		Owner: "buyer-team", StockoutDate: "2026-12-02", DaysOfSupply: ptr(5.2),
	}
}

func resolved() alert.Alert {
	a := stockout()
	a.State, a.Change, a.Revision = alert.Resolved, alert.ResolvedChg, 4
	a.DetectedAt = detected.Add(26 * time.Hour)
	a.ResolvedAt = ptr(a.DetectedAt)
	return a
}

func leadTimeDrift() alert.Alert {
	return alert.Alert{
		ID: "qm-00aa11bb22cc33dd-1", Fingerprint: "00aa11bb22cc33dd", Kind: alert.KindLeadTimeDrift,
		Tier: score.Info, State: alert.Firing, Change: alert.Raised, Revision: 1, Episode: 1,
		Supplier: "GLOBEX", DetectedAt: detected, RecommendedAction: "review GLOBEX lead time: 14d planned, 19.5d observed",
		ResponseClass: score.PlannerReview, Owner: "buyer-team",
	}
}

// proposalHash stands for the SHA-256 of a proposed action.
const proposalHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// plannedExpedite is stockout with an action people can propose.
func plannedExpedite() alert.Alert {
	a := stockout()
	a.Planned = &alert.Planned{Kind: "expedite", Params: map[string]string{"shipment": "SHP-7", "qty": "400"}, Amount: 1850}
	return a
}

// openProposal is plannedExpedite proposed, needing two approvals and
// holding one.
func openProposal() alert.Alert {
	a := plannedExpedite()
	a.Change, a.Revision = alert.Proposed, 2
	a.Proposal = &alert.ProposalRef{ID: "p-20261127-7f3a9c2e1b", Hash: proposalHash, State: "open",
		By: "dana", Needed: 2, Approvers: []string{"lee"}}
	return a
}

// executedProposal is openProposal approved by both and carried out.
func executedProposal() alert.Alert {
	a := openProposal()
	a.Revision = 3
	a.Proposal.State = "executed"
	a.Proposal.Approvers = []string{"lee", "sam"}
	return a
}

// sent is the part of Discord's message JSON the tests read.
type sent struct {
	Content string `json:"content"`
	Embeds  []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Color       int    `json:"color"`
		Timestamp   string `json:"timestamp"`
		Footer      struct {
			Text string `json:"text"`
		} `json:"footer"`
		Fields []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"fields"`
	} `json:"embeds"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			Label    string `json:"label"`
			CustomID string `json:"custom_id"`
			Disabled bool   `json:"disabled"`
		} `json:"components"`
	} `json:"components"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
		Users []string `json:"users"`
		Roles []string `json:"roles"`
	} `json:"allowed_mentions"`
}

func decode(t *testing.T, body []byte) sent {
	t.Helper()
	var m sent
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

// wantNoParse fails unless m's allowed mentions parse nothing: an empty
// list, since null would let Discord parse @everyone.
func wantNoParse(t *testing.T, m sent) {
	t.Helper()
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want parse: []", m.AllowedMentions)
	}
}

func TestNotifyPostsMessageAndStartsThread(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)

	ref, err := n.Notify(context.Background(), "C1", stockout(), nil)
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if want := (notify.Ref{Channel: "C1", Message: "msg-C1", Thread: "thread-msg-C1"}); ref != want {
		t.Errorf("ref = %+v, want %+v", ref, want)
	}

	reqs := f.got()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want create and thread start: %+v", len(reqs), reqs)
	}
	create, thread := reqs[0], reqs[1]
	if create.Method != http.MethodPost || create.Path != "/api/v9/channels/C1/messages" {
		t.Errorf("create = %s %s", create.Method, create.Path)
	}
	if create.Auth != "Bot "+testToken {
		t.Errorf("Authorization = %q, want the bot token with its Bot prefix", create.Auth)
	}

	m := decode(t, create.Body)
	if len(m.Embeds) != 1 {
		t.Fatalf("embeds = %d, want 1", len(m.Embeds))
	}
	e := m.Embeds[0]
	if e.Title != "CRITICAL · stockout_risk · SKU-1001@DC-EAST" {
		t.Errorf("title = %q", e.Title)
	}
	if e.Description != "expedite SHP-7 (400 EA) from DC-WEST" {
		t.Errorf("description = %q", e.Description)
	}
	if e.Color != colourCritical {
		t.Errorf("colour = %#x, want %#x", e.Color, colourCritical)
	}
	if e.Footer.Text != "qm-0123456789abcdef-1 · revision 1" || e.Timestamp != "2026-11-27T09:10:00Z" {
		t.Errorf("footer, timestamp = %q, %q", e.Footer.Text, e.Timestamp)
	}
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Name] = f.Value
	}
	for name, want := range map[string]string{
		"State": "firing", "Stockout": "2026-11-29 (in 39h)", "Days of supply": "1.6",
		"Revenue at risk": "$43,401", "Owner": "planner-east", "Response class": "finance_approval",
	} {
		if fields[name] != want {
			t.Errorf("field %s = %q, want %q", name, fields[name], want)
		}
	}

	if len(m.Components) != 1 || m.Components[0].Type != 1 {
		t.Fatalf("components = %+v, want one action row", m.Components)
	}
	var ids []string
	for _, b := range m.Components[0].Components {
		ids = append(ids, b.Label+"="+b.CustomID)
	}
	wantIDs := []string{
		"Acknowledge=qm_ack:qm-0123456789abcdef-1",
		"Snooze 1h=qm_snooze_1h:qm-0123456789abcdef-1",
		"Snooze 4h=qm_snooze_4h:qm-0123456789abcdef-1",
		"Snooze 24h=qm_snooze_24h:qm-0123456789abcdef-1",
		"Assign to me=qm_assign:qm-0123456789abcdef-1",
	}
	if strings.Join(ids, "\n") != strings.Join(wantIDs, "\n") {
		t.Errorf("buttons =\n%s\nwant\n%s", strings.Join(ids, "\n"), strings.Join(wantIDs, "\n"))
	}

	if !strings.HasPrefix(m.Content, "<@111> ") {
		t.Errorf("content = %q, want the owner's mention first", m.Content)
	}
	wantNoParse(t, m)
	if got := m.AllowedMentions.Users; len(got) != 1 || got[0] != "111" || len(m.AllowedMentions.Roles) != 0 {
		t.Errorf("allowed users, roles = %v, %v; want [111], []", got, m.AllowedMentions.Roles)
	}

	if thread.Method != http.MethodPost || thread.Path != "/api/v9/channels/C1/messages/msg-C1/threads" {
		t.Errorf("thread start = %s %s", thread.Method, thread.Path)
	}
	var ts struct {
		Name    string `json:"name"`
		Archive int    `json:"auto_archive_duration"`
	}
	if err := json.Unmarshal(thread.Body, &ts); err != nil {
		t.Fatal(err)
	}
	if ts.Name != "qm-0123456789abcdef-1" || ts.Archive != threadArchiveMinutes {
		t.Errorf("thread = %+v, want named after the alert id, archived after %d minutes", ts, threadArchiveMinutes)
	}
}

func TestNotifyEditsMessageAndRepliesInThread(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)
	prev := notify.Ref{Channel: "C1", Message: "M1", Thread: "T1"}

	ref, err := n.Notify(context.Background(), "C1", resolved(), &prev)
	if err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if ref != prev {
		t.Errorf("ref = %+v, want prev %+v", ref, prev)
	}

	reqs := f.got()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want edit and thread reply: %+v", len(reqs), reqs)
	}
	edit, threadReply := reqs[0], reqs[1]
	if edit.Method != http.MethodPatch || edit.Path != "/api/v9/channels/C1/messages/M1" {
		t.Errorf("edit = %s %s", edit.Method, edit.Path)
	}
	m := decode(t, edit.Body)
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Title, "Resolved: ") || m.Embeds[0].Color != colourResolved {
		t.Errorf("edited embeds = %+v, want one resolved embed", m.Embeds)
	}
	if !bytes.Contains(edit.Body, []byte(`"components":[]`)) {
		t.Errorf("edit body %s: want components: [] to remove the buttons", edit.Body)
	}
	if m.Content != "" {
		t.Errorf("edit content = %q, want the ping cleared", m.Content)
	}
	wantNoParse(t, m)

	if threadReply.Method != http.MethodPost || threadReply.Path != "/api/v9/channels/T1/messages" {
		t.Errorf("thread reply = %s %s", threadReply.Method, threadReply.Path)
	}
	r := decode(t, threadReply.Body)
	if r.Content != "Revision 4: resolved, the condition cleared" {
		t.Errorf("thread reply = %q", r.Content)
	}
	wantNoParse(t, r)
	if r.AllowedMentions != nil && (len(r.AllowedMentions.Users) > 0 || len(r.AllowedMentions.Roles) > 0) {
		t.Errorf("thread reply allows mentions %+v, want none", r.AllowedMentions)
	}
}

// TestNotifyUpdateLine checks the thread reply of a change: one line, and
// a ping for exactly the owner only when the change pages (an escalation
// or a repeat of a firing critical alert), since edits notify no one.
func TestNotifyUpdateLine(t *testing.T) {
	line := "Revision 2: %s · CRITICAL · stockout 2026-11-29 (in 39h) · $43,401 at risk · expedite SHP-7 (400 EA) from DC-WEST · owner planner-east"
	for _, tt := range []struct {
		change alert.Change
		want   string
		pings  bool
	}{
		{alert.Escalated, "<@111> " + fmt.Sprintf(line, "escalated to critical"), true},
		{alert.Repeated, "<@111> " + fmt.Sprintf(line, "repeated"), true},
		{alert.Updated, fmt.Sprintf(line, "updated"), false},
	} {
		t.Run(string(tt.change), func(t *testing.T) {
			f := newFakeDiscord(t)
			n, _ := newNotifier(t, f)
			a := stockout()
			a.Change, a.Revision = tt.change, 2
			if _, err := n.Notify(context.Background(), "C1", a, &notify.Ref{Channel: "C1", Message: "M1", Thread: "T1"}); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			reqs := f.got()
			reply := decode(t, reqs[len(reqs)-1].Body)
			if reply.Content != tt.want {
				t.Errorf("thread reply =\n%q\nwant\n%q", reply.Content, tt.want)
			}
			if strings.Contains(reply.Content, "\n") {
				t.Errorf("thread reply spans lines: %q", reply.Content)
			}
			wantNoParse(t, reply)
			var users []string
			if reply.AllowedMentions != nil {
				users = reply.AllowedMentions.Users
			}
			if pinged := slices.Equal(users, []string{"111"}); pinged != tt.pings {
				t.Errorf("allowed users %v, want a ping for 111: %v", users, tt.pings)
			}
		})
	}
}

// TestNotifyThreadFailure pins that a posted message is never reported as
// a failure because its thread could not start (a retry would post the
// alert twice), and that the next change starts the thread.
func TestNotifyThreadFailure(t *testing.T) {
	f := newFakeDiscord(t)
	n, logs := newNotifier(t, f)
	f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/threads") {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Missing Permissions","code":50013}`)
			return true
		}
		return false
	})

	ref, err := n.Notify(context.Background(), "C1", stockout(), nil)
	if err != nil {
		t.Fatalf("Notify: %v, want the posted message reported as delivered", err)
	}
	if want := (notify.Ref{Channel: "C1", Message: "msg-C1"}); ref != want {
		t.Errorf("ref = %+v, want %+v", ref, want)
	}
	if !strings.Contains(logs.String(), "qm-0123456789abcdef-1") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("logs = %q, want a warning naming the alert", logs.String())
	}

	f.setHook(nil)
	a := stockout()
	a.Change, a.Revision = alert.Updated, 2
	ref, err = n.Notify(context.Background(), "C1", a, &ref)
	if err != nil {
		t.Fatalf("Notify update: %v", err)
	}
	if ref.Thread != "thread-msg-C1" {
		t.Errorf("ref = %+v, want the thread started on the update", ref)
	}
	reqs := f.got()
	if last := reqs[len(reqs)-1]; last.Path != "/api/v9/channels/thread-msg-C1/messages" {
		t.Errorf("last request = %s %s, want the reply in the new thread", last.Method, last.Path)
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		a    alert.Alert
		edit bool
	}{
		{"critical_stockout_firing", stockout(), false},
		{"supplier_slip_acknowledged", supplierSlip(), true},
		{"stockout_resolved", resolved(), true},
		{"lead_time_drift_supplier", leadTimeDrift(), false},
		{"planned_expedite", plannedExpedite(), false},
		{"proposal_open", openProposal(), true},
		{"proposal_executed", executedProposal(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			n, _ := newNotifier(t, f)
			var prev *notify.Ref
			if tt.edit {
				prev = &notify.Ref{Channel: "C1", Message: "M1", Thread: "T1"}
			}
			if _, err := n.Notify(context.Background(), "C1", tt.a, prev); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, f.got()[0].Body, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')

			path := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs (run go test -update if the change is intended):\n%s", path, got.Bytes())
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		retryable bool
		wait      time.Duration
		code      int
	}{
		{"429 header and body take the longer", 429, map[string]string{"Retry-After": "2"}, `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`, true, 2 * time.Second, 0},
		{"429 body only", 429, nil, `{"message":"You are being rate limited.","retry_after":3.25,"global":false}`, true, 3250 * time.Millisecond, 0},
		{"429 header only", 429, map[string]string{"Retry-After": "5"}, `upstream busy`, true, 5 * time.Second, 0},
		{"429 header as a date", 429, map[string]string{"Retry-After": detected.Add(30 * time.Second).Format(http.TimeFormat)}, `busy`, true, 30 * time.Second, 0},
		{"500", 500, nil, `{"message":"500: Internal Server Error","code":0}`, true, 0, 0},
		{"502", 502, nil, `bad gateway`, true, 0, 0},
		{"503", 503, nil, `unavailable`, true, 0, 0},
		{"401", 401, nil, `{"message":"401: Unauthorized","code":0}`, false, 0, 0},
		{"403", 403, nil, `{"message":"Missing Permissions","code":50013}`, false, 0, 50013},
		{"404", 404, nil, `{"message":"Unknown Channel","code":10003}`, false, 0, 10003},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			n, _ := newNotifier(t, f)
			f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
				return true
			})

			_, err := n.Notify(context.Background(), "C1", stockout(), nil)
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			var nerr *notify.Error
			if !errors.As(err, &nerr) {
				t.Fatalf("error %v (%T) is not a *notify.Error", err, err)
			}
			if nerr.Retryable != tt.retryable || nerr.RetryAfter != tt.wait {
				t.Errorf("retryable, wait = %v, %v; want %v, %v (%v)", nerr.Retryable, nerr.RetryAfter, tt.retryable, tt.wait, err)
			}
			var api *APIError
			if !errors.As(err, &api) || api.StatusCode != tt.status || api.Code != tt.code {
				t.Errorf("APIError = %+v, want status %d code %d", api, tt.status, tt.code)
			}
			// discordgo retries 502 and waits out 429 by default; the
			// dispatcher owns retries, and a retried create after Discord
			// already made the message would post it twice.
			if reqs := f.got(); len(reqs) != 1 {
				t.Errorf("Discord got %d requests, want exactly 1 (no retry inside discordgo)", len(reqs))
			}
		})
	}
}

func TestNotifyNetworkErrorIsRetryable(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)
	f.srv.Close()

	_, err := n.Notify(context.Background(), "C1", stockout(), nil)
	if ok, _ := notify.Retryable(err); !ok {
		t.Errorf("Notify against a closed server = %v, want retryable", err)
	}
}

func TestNotifyHonoursContext(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := n.Notify(ctx, "C1", stockout(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Notify with a cancelled ctx = %v, want context.Canceled", err)
	}
	if len(f.got()) != 0 {
		t.Errorf("Discord got %d requests after ctx was cancelled", len(f.got()))
	}
}

func TestTruncationIsLogged(t *testing.T) {
	f := newFakeDiscord(t)
	n, logs := newNotifier(t, f)
	a := stockout()
	a.RecommendedAction = strings.Repeat("é", 5000) // two bytes each, to catch cuts inside a rune

	if _, err := n.Notify(context.Background(), "C1", a, nil); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	d := decode(t, f.got()[0].Body).Embeds[0].Description
	if got := utf8.RuneCountInString(d); got != maxEmbedDescription {
		t.Errorf("description has %d characters, want %d", got, maxEmbedDescription)
	}
	if !utf8.ValidString(d) || !strings.HasSuffix(d, "é…") {
		t.Errorf("description ends %q, want whole runes then …", d[len(d)-8:])
	}
	log := logs.String()
	for _, want := range []string{"level=WARN", "alert=qm-0123456789abcdef-1", "part=description", "length=5000", "limit=4096"} {
		if !strings.Contains(log, want) {
			t.Errorf("log %q lacks %q", log, want)
		}
	}
}

func TestCut(t *testing.T) {
	r := &renderer{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"日本語のテキスト", 4, "日本語…"},
	} {
		if got := r.cut("x", tt.in, tt.limit); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		name        string
		a           func() alert.Alert
		wantContent string
		wantUsers   []string
		wantRoles   []string
	}{
		{"critical user owner", stockout, "<@111> CRITICAL · stockout_risk · SKU-1001@DC-EAST", []string{"111"}, nil},
		{"critical role owner", func() alert.Alert { a := stockout(); a.Owner = "buyer-team"; return a }, "<@&222> CRITICAL · stockout_risk · SKU-1001@DC-EAST", nil, []string{"222"}},
		{"critical unmapped owner", func() alert.Alert { a := stockout(); a.Owner = "nobody"; return a }, "", nil, nil},
		{"actionable", func() alert.Alert { a := stockout(); a.Tier = score.Actionable; return a }, "", nil, nil},
		{"critical acknowledged", func() alert.Alert { a := stockout(); a.State = alert.Acknowledged; return a }, "", nil, nil},
		{"untrusted text asks for everyone", func() alert.Alert {
			a := stockout()
			a.RecommendedAction = "@everyone @here <@999> <@&888> call the supplier"
			return a
		}, "<@111> CRITICAL · stockout_risk · SKU-1001@DC-EAST", []string{"111"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeDiscord(t)
			n, _ := newNotifier(t, f)
			if _, err := n.Notify(context.Background(), "C1", tt.a(), nil); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			m := decode(t, f.got()[0].Body)
			if m.Content != tt.wantContent {
				t.Errorf("content = %q, want %q", m.Content, tt.wantContent)
			}
			wantNoParse(t, m)
			if fmt.Sprint(m.AllowedMentions.Users) != fmt.Sprint(tt.wantUsers) || fmt.Sprint(m.AllowedMentions.Roles) != fmt.Sprint(tt.wantRoles) {
				t.Errorf("allowed users, roles = %v, %v; want %v, %v", m.AllowedMentions.Users, m.AllowedMentions.Roles, tt.wantUsers, tt.wantRoles)
			}
		})
	}
}

// TestTokenNeverLeaks drives every failure with a server that echoes the
// Authorization header back, and checks errors and logs for the token.
func TestTokenNeverLeaks(t *testing.T) {
	for _, status := range []int{401, 403, 429, 500, 502} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFakeDiscord(t)
			n, logs := newNotifier(t, f)
			f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				auth := r.Header.Get("Authorization")
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(status)
				_, _ = fmt.Fprintf(w, `{"message":"bad token %s","code":40001,"retry_after":1}`, auth)
				return true
			})
			_, err := n.Notify(context.Background(), "C1", stockout(), nil)
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()} {
				if strings.Contains(s, testToken) {
					t.Errorf("token leaked: %s", s)
				}
			}
		})
	}

	t.Run("thread failure log", func(t *testing.T) {
		f := newFakeDiscord(t)
		n, logs := newNotifier(t, f)
		f.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/threads") {
				return false
			}
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprintf(w, `{"message":"no %s","code":50013}`, r.Header.Get("Authorization"))
			return true
		})
		if _, err := n.Notify(context.Background(), "C1", stockout(), nil); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if strings.Contains(logs.String(), testToken) || !strings.Contains(logs.String(), "[redacted]") {
			t.Errorf("log = %q, want the token redacted", logs.String())
		}
	})
}

func TestNew(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Error("New with an empty token succeeded")
	}
	if _, err := New("Bot "); err == nil {
		t.Error("New with only the Bot prefix succeeded")
	}
	n, err := New("Bot " + testToken)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if n.session.Token != "Bot "+testToken {
		t.Errorf("session token has the wrong form; want one Bot prefix")
	}
	if n.session.ShouldRetryOnRateLimit || n.session.MaxRestRetries != 0 {
		t.Errorf("session retries on its own (rate limit %v, max %d); the dispatcher owns retries", n.session.ShouldRetryOnRateLimit, n.session.MaxRestRetries)
	}
	if n.session.DataReady {
		t.Error("New opened the gateway")
	}

	_, err = New(testToken, WithMentions(map[string]string{"planner": "@planner"}))
	if err == nil || err.Error() != `discord: mention for owner "planner": want <@id> or <@&roleid>, got "@planner"` {
		t.Errorf("New with a bad mention = %v", err)
	}
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks the token: %v", err)
	}
}

// TestEmbedTotalLimit pins that an embed whose parts each fit but together
// pass Discord's total gives way in its description, and says so.
func TestEmbedTotalLimit(t *testing.T) {
	f := newFakeDiscord(t)
	n, logs := newNotifier(t, f)
	a := supplierSlip()
	a.RecommendedAction = strings.Repeat("a", 5000)
	a.Owner = strings.Repeat("o", 2000)
	a.Supplier = strings.Repeat("s", 2000)

	if _, err := n.Notify(context.Background(), "C1", a, nil); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	e := decode(t, f.got()[0].Body).Embeds[0]
	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description) + utf8.RuneCountInString(e.Footer.Text)
	for _, fl := range e.Fields {
		if utf8.RuneCountInString(fl.Value) > maxFieldValue {
			t.Errorf("field %s has %d characters, over %d", fl.Name, utf8.RuneCountInString(fl.Value), maxFieldValue)
		}
		total += utf8.RuneCountInString(fl.Name) + utf8.RuneCountInString(fl.Value)
	}
	if total > maxEmbedTotal {
		t.Errorf("embed has %d characters, over %d", total, maxEmbedTotal)
	}
	if !strings.Contains(logs.String(), "total limit") {
		t.Errorf("log %q lacks the total-limit warning", logs.String())
	}
}

// rowsOf renders a's components and returns each row as "label=custom id"
// lines, checking Discord's limits on the way.
func rowsOf(t *testing.T, a alert.Alert) ([][]string, string) {
	t.Helper()
	f := newFakeDiscord(t)
	n, logs := newNotifier(t, f)
	if _, err := n.Notify(context.Background(), "C1", a, nil); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	m := decode(t, f.got()[0].Body)
	if len(m.Components) > maxRows {
		t.Errorf("%d action rows, over Discord's %d", len(m.Components), maxRows)
	}
	var rows [][]string
	for _, row := range m.Components {
		if row.Type != 1 {
			t.Errorf("component type %d, want an action row", row.Type)
		}
		if len(row.Components) == 0 || len(row.Components) > maxRowButtons {
			t.Errorf("action row with %d buttons, want 1 to %d", len(row.Components), maxRowButtons)
		}
		var ids []string
		for _, b := range row.Components {
			if len(b.CustomID) > maxCustomID {
				t.Errorf("custom id %q has %d characters, over %d", b.CustomID, len(b.CustomID), maxCustomID)
			}
			if utf8.RuneCountInString(b.Label) > maxButtonLabel {
				t.Errorf("label %q over %d characters", b.Label, maxButtonLabel)
			}
			ids = append(ids, b.Label+"="+b.CustomID)
		}
		rows = append(rows, ids)
	}
	return rows, logs.String()
}

func TestProposalButtons(t *testing.T) {
	const id = "qm-0123456789abcdef-1"
	value := "p-20261127-7f3a9c2e1b|" + proposalHash
	approve := []string{"Approve=qm_approve:" + value, "Reject=qm_reject:" + value}
	propose := []string{"Propose: expedite qty=400 shipment=SHP-7=qm_propose:" + id}
	with := func(a alert.Alert, f func(*alert.Alert)) alert.Alert { f(&a); return a }
	tests := []struct {
		name     string
		a        alert.Alert
		alertRow bool     // the alert's own buttons come first
		want     []string // the proposal row; nil for none
	}{
		{"no planned action", stockout(), true, nil},
		{"planned, not proposed", plannedExpedite(), true, propose},
		{"planned, acknowledged", with(plannedExpedite(), func(a *alert.Alert) { a.State = alert.Acknowledged }), true, propose},
		{"planned, resolved", with(plannedExpedite(), func(a *alert.Alert) { a.State = alert.Resolved }), false, nil},
		{"open", openProposal(), true, approve},
		{"approved, awaiting execution", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "approved" }), true, nil},
		{"rejected", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "rejected" }), true, propose},
		{"expired", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "expired" }), true, propose},
		{"executed", executedProposal(), true, nil},
		{"rejected, resolved", with(openProposal(), func(a *alert.Alert) { a.Proposal.State, a.State = "rejected", alert.Resolved }), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := rowsOf(t, tt.a)
			if tt.alertRow {
				if len(rows) == 0 || len(rows[0]) != 5 || !strings.HasPrefix(rows[0][0], "Ack") {
					t.Fatalf("first row = %q, want the alert's five buttons", rows)
				}
				rows = rows[1:]
			}
			var got []string
			if len(rows) > 0 {
				got = rows[0]
			}
			if len(rows) > 1 || strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("proposal rows = %q, want [%q]", rows, tt.want)
			}
		})
	}
}

// TestApproveCustomIDFits pins the arithmetic the custom ids rely on: the
// full hash and a proposal id of up to 24 characters fit in Discord's 100,
// and a longer id leaves the buttons out, logged, rather than cutting them.
func TestApproveCustomIDFits(t *testing.T) {
	a := openProposal()
	a.Proposal.ID = strings.Repeat("p", 24)
	if n := len(interact.ButtonApprove + ":" + a.Proposal.ID + "|" + proposalHash); n != maxCustomID {
		t.Fatalf("the longest approve id is %d characters; this test wants it at exactly %d", n, maxCustomID)
	}
	rows, _ := rowsOf(t, a)
	if len(rows) != 2 || len(rows[1]) != 2 || !strings.HasSuffix(rows[1][0], "|"+proposalHash) {
		t.Errorf("rows = %q, want approve and reject with the full hash", rows)
	}

	a.Proposal.ID = strings.Repeat("p", 25)
	rows, logs := rowsOf(t, a)
	// "qm_reject:" is one shorter, so Reject still fits; Approve must not
	// be cut to fit.
	if len(rows) != 2 || len(rows[1]) != 1 || !strings.HasPrefix(rows[1][0], "Reject=") {
		t.Errorf("rows = %q, want only Reject in the proposal row", rows)
	}
	if !strings.Contains(logs, "button left out") || !strings.Contains(logs, "button=Approve") {
		t.Errorf("log %q does not say Approve was left out", logs)
	}
}

func TestProposeLabelIsCut(t *testing.T) {
	a := plannedExpedite()
	a.Planned.Params["reason"] = strings.Repeat("long reason ", 20)
	rows, logs := rowsOf(t, a) // checks the label limit
	if len(rows) != 2 || !strings.HasSuffix(rows[1][0], "…=qm_propose:"+a.ID) {
		t.Errorf("rows = %q, want a cut Propose label", rows)
	}
	if !strings.Contains(logs, "part=\"button label\"") {
		t.Errorf("log %q does not record the cut", logs)
	}
}

func TestProposalFieldsAndReply(t *testing.T) {
	f := newFakeDiscord(t)
	n, _ := newNotifier(t, f)
	prev := notify.Ref{Channel: "C1", Message: "M1", Thread: "T1"}
	if _, err := n.Notify(context.Background(), "C1", openProposal(), &prev); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := f.got()
	fields := map[string]string{}
	for _, fl := range decode(t, reqs[0].Body).Embeds[0].Fields {
		fields[fl.Name] = fl.Value
	}
	if got, want := fields["Planned action"], "expedite qty=400 shipment=SHP-7 · $1,850"; got != want {
		t.Errorf("Planned action = %q, want %q", got, want)
	}
	if got, want := fields["Proposal"], "p-20261127-7f3a9c2e1b: open, proposed by dana, approved by lee (1 of 2)"; got != want {
		t.Errorf("Proposal = %q, want %q", got, want)
	}
	reply := decode(t, reqs[len(reqs)-1].Body).Content
	if want := "Revision 2: proposal · p-20261127-7f3a9c2e1b: open, proposed by dana, approved by lee (1 of 2)"; reply != want {
		t.Errorf("reply = %q, want %q", reply, want)
	}
}
