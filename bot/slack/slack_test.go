package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// token looks like a real bot token so that a leak would be recognisable.
const token = "xoxb-1234-5678-SECRETSECRETSECRET"

var detected = time.Date(2026, 11, 27, 9, 10, 0, 0, time.UTC)

// clock is ten minutes after detection, so "time to impact" is stable.
func clock() time.Time { return detected.Add(10 * time.Minute) }

// call is one request the fake Slack received.
type call struct {
	Method string // the Web API method, e.g. "chat.postMessage"
	Form   url.Values
}

// fakeSlack stands in for Slack's Web API: it records every request and
// answers with reply, or with a successful chat answer when reply is nil.
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	reply func(w http.ResponseWriter, method string) bool // true when it answered
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		method := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		f.calls = append(f.calls, call{Method: method, Form: r.PostForm})
		n := len(f.calls)
		reply := f.reply
		f.mu.Unlock()
		if reply != nil && reply(w, method) {
			return
		}
		ts := r.PostForm.Get("ts")
		if method == "chat.postMessage" {
			ts = fmt.Sprintf("1764234600.%06d", n)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C0SUPPLY","ts":%q}`, ts)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeSlack) notifier(logs *bytes.Buffer, opts ...slack.Option) *slack.Notifier {
	base := []slack.Option{
		slack.WithAPIURL(f.URL + "/"),
		slack.WithHTTPClient(f.Client()),
		slack.WithClock(clock),
		slack.WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		slack.WithMentions(map[string]string{
			"planner-mro":    "<!subteam^S0PLANNERS>",
			"buyer-castings": "U0BUYER",
			"prankster":      "<!channel>", // refused: a broadcast
		}),
	}
	return slack.New(token, append(base, opts...)...)
}

func ptr[T any](v T) *T { return &v }

func criticalStockout() alert.Alert {
	return alert.Alert{
		ID: "qm-0123456789abcdef-1", Fingerprint: "0123456789abcdef", Kind: alert.KindStockout,
		Tier: score.Critical, State: alert.Firing, Change: alert.Raised, Revision: 1, Episode: 1,
		SKU: "SKU-1001", Site: "DC-EAST", DetectedAt: detected, FirstDetectedAt: detected,
		TriggerEventIDs: []string{"wms-881"}, Score: 0.93, RevenueAtRisk: 12400, TimeToImpactHours: 86.8,
		RecommendedAction: "Expedite PO-7731 (400 EA) from Acme Castings & transfer 120 EA from DC-WEST",
		ResponseClass:     score.FinanceApproval, Owner: "planner-mro",
		StockoutDate: "2026-12-01", DaysOfSupply: ptr(3.6),
	}
}

func acknowledgedSlip() alert.Alert {
	return alert.Alert{
		ID: "qm-fedcba9876543210-2", Fingerprint: "fedcba9876543210", Kind: alert.KindSupplierSlip,
		Tier: score.Actionable, State: alert.Acknowledged, Change: alert.Acknowledge, Revision: 3, Episode: 2,
		SKU: "SKU-2002", Site: "DC-WEST", DetectedAt: detected, FirstDetectedAt: detected.Add(-24 * time.Hour),
		AcknowledgedBy: "maria.lopez", RevenueAtRisk: 3100, TimeToImpactHours: 150,
		RecommendedAction: "Confirm the new promise for PO-5120 with Northwind; 2 days later than planned",
		ResponseClass:     score.PlannerReview, Owner: "buyer-castings",
		StockoutDate: "2026-12-03", DaysOfSupply: ptr(6.2),
	}
}

func resolvedAlert() alert.Alert {
	a := criticalStockout()
	a.State, a.Change, a.Revision = alert.Resolved, alert.ResolvedChg, 4
	a.ResolvedAt = ptr(detected.Add(30 * time.Hour))
	return a
}

func leadTimeDrift() alert.Alert {
	return alert.Alert{
		ID: "qm-00112233445566aa-1", Fingerprint: "00112233445566aa", Kind: alert.KindLeadTimeDrift,
		Tier: score.Info, State: alert.Firing, Change: alert.Raised, Revision: 1, Episode: 1,
		Supplier: "SUP-ACME", DetectedAt: detected, FirstDetectedAt: detected,
		RevenueAtRisk: 0, RecommendedAction: "Raise planned lead time for SUP-ACME from 14 to 19 days",
		ResponseClass: score.PlannerReview, Owner: "buyer-castings",
		Evidence: map[string]any{"lead_time_p50_days": 19.2, "planned_days": 14},
	}
}

// proposalHash stands for the SHA-256 of a proposed action.
const proposalHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// plannedExpedite is criticalStockout with an action people can propose.
func plannedExpedite() alert.Alert {
	a := criticalStockout()
	a.ActionKey = "expedite PO-7731"
	a.Planned = &alert.Planned{Kind: "expedite", Params: map[string]string{"po": "PO-7731", "qty": "400"}, Amount: 1850}
	return a
}

// openProposal is plannedExpedite proposed, needing two approvals and
// holding one.
func openProposal() alert.Alert {
	a := plannedExpedite()
	a.Change, a.Revision = alert.Proposed, 2
	a.Proposal = &alert.ProposalRef{ID: "p-20261127-7f3a9c2e1b", Hash: proposalHash, State: "open",
		By: "U0PLANNER", Needed: 2, Approvers: []string{"U0FINANCE"}}
	return a
}

// executedProposal is openProposal approved by both and carried out.
func executedProposal() alert.Alert {
	a := openProposal()
	a.Revision = 3
	a.Proposal.State = "executed"
	a.Proposal.Approvers = []string{"U0FINANCE", "U0DIRECTOR"}
	return a
}

// TestBlocksGolden pins the Block Kit JSON each kind of message sends.
// Run go test -update to rewrite the files after a deliberate change.
func TestBlocksGolden(t *testing.T) {
	tests := []struct {
		name string
		a    alert.Alert
		prev *notify.Ref
	}{
		{"critical_stockout", criticalStockout(), nil},
		{"acknowledged_supplier_slip", acknowledgedSlip(), &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}},
		{"resolved", resolvedAlert(), &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}},
		{"lead_time_drift_supplier", leadTimeDrift(), nil},
		{"planned_expedite", plannedExpedite(), nil},
		{"proposal_open", openProposal(), &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}},
		{"proposal_executed", executedProposal(), &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", tt.a, tt.prev); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, []byte(f.Calls()[0].Form.Get("blocks")), "", "  "); err != nil {
				t.Fatalf("blocks are not JSON: %v", err)
			}
			got.WriteByte('\n')
			// encoding/json escapes <, > and & for HTML; undo it so the
			// golden files read as the mrkdwn Slack renders.
			readable := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(got.String())
			got.Reset()
			got.WriteString(readable)
			golden := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("blocks differ from %s (go test -update rewrites it):\ngot:\n%s", golden, got.Bytes())
			}
		})
	}
}

func TestNotifyPostsNewMessage(t *testing.T) {
	f := newFakeSlack(t)
	ref, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", criticalStockout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}
	if ref != want {
		t.Errorf("ref = %+v, want %+v", ref, want)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].Method != "chat.postMessage" {
		t.Fatalf("calls = %+v, want one chat.postMessage", calls)
	}
	form := calls[0].Form
	if got := form.Get("channel"); got != "#supply" {
		t.Errorf("channel = %q, want #supply", got)
	}
	if form.Has("thread_ts") {
		t.Errorf("a new message has thread_ts %q", form.Get("thread_ts"))
	}
	wantText := "<!subteam^S0PLANNERS> CRITICAL Stockout risk: SKU-1001@DC-EAST, stockout 2026-12-01 (in 3.6d), $12,400 at risk. " +
		"Expedite PO-7731 (400 EA) from Acme Castings &amp; transfer 120 EA from DC-WEST [qm-0123456789abcdef-1]"
	if got := form.Get("text"); got != wantText {
		t.Errorf("text =\n%q\nwant\n%q", got, wantText)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	actions := blocks[len(blocks)-1]
	var ids []string
	for _, e := range actions["elements"].([]any) {
		b := e.(map[string]any)
		ids = append(ids, b["action_id"].(string))
		if b["value"] != "qm-0123456789abcdef-1" {
			t.Errorf("button %s value = %v, want the alert id", b["action_id"], b["value"])
		}
	}
	if got, want := strings.Join(ids, ","), "qm_ack,qm_snooze_1h,qm_snooze_4h,qm_snooze_24h,qm_assign"; got != want {
		t.Errorf("buttons = %s, want %s", got, want)
	}
}

func TestNotifyEditsAndReplies(t *testing.T) {
	f := newFakeSlack(t)
	n := f.notifier(new(bytes.Buffer))
	first := criticalStockout()
	first.Tier, first.RevenueAtRisk, first.ResponseClass = score.Actionable, 3100, score.PlannerReview
	ref, err := n.Notify(t.Context(), "#supply", first, nil)
	if err != nil {
		t.Fatal(err)
	}

	second := criticalStockout()
	second.Change, second.Revision = alert.Escalated, 2
	got, err := n.Notify(t.Context(), "#supply", second, &ref)
	if err != nil {
		t.Fatal(err)
	}
	if got != ref {
		t.Errorf("ref after update = %+v, want it unchanged: %+v", got, ref)
	}

	calls := f.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want post, update, reply: %+v", len(calls), calls)
	}
	upd, reply := calls[1], calls[2]
	if upd.Method != "chat.update" || upd.Form.Get("channel") != "C0SUPPLY" || upd.Form.Get("ts") != ref.Message {
		t.Errorf("update = %s channel=%q ts=%q, want chat.update of %s in C0SUPPLY",
			upd.Method, upd.Form.Get("channel"), upd.Form.Get("ts"), ref.Message)
	}
	if !strings.Contains(upd.Form.Get("blocks"), `*Tier*\nCritical`) {
		t.Errorf("updated blocks do not show the new tier: %s", upd.Form.Get("blocks"))
	}
	if reply.Method != "chat.postMessage" || reply.Form.Get("thread_ts") != ref.Thread || reply.Form.Get("channel") != "C0SUPPLY" {
		t.Errorf("reply = %s channel=%q thread_ts=%q, want chat.postMessage in thread %s",
			reply.Method, reply.Form.Get("channel"), reply.Form.Get("thread_ts"), ref.Thread)
	}
	// An escalation of a firing critical alert pages its owner: edits
	// notify no one, so the reply carries the mention.
	want := "<!subteam^S0PLANNERS> Escalated to critical: revenue at risk $12,400 (was $3,100), stockout 2026-12-01"
	if got := reply.Form.Get("text"); got != want {
		t.Errorf("reply text = %q, want %q", got, want)
	}
	if reply.Form.Has("blocks") {
		t.Errorf("reply has blocks; want one line of text")
	}
}

// TestThreadRepliesMentionNoOne checks every kind of change: the parent
// message pages the owner once, replies never do, except the owner's own
// mention when a firing critical alert escalates or repeats (and never a
// broadcast, whatever partner text says).
func TestThreadRepliesMentionNoOne(t *testing.T) {
	prev := &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}
	escalated := criticalStockout()
	escalated.Change = alert.Escalated
	escalated.RecommendedAction = "Call <!channel> and @here now"
	ack := acknowledgedSlip()
	ack.Tier, ack.Owner, ack.AcknowledgedBy = score.Critical, "planner-mro", "<@U0SOMEONE>"
	repeated := criticalStockout()
	repeated.Change = alert.Repeated
	updated := criticalStockout()
	updated.Change = alert.Updated
	tests := map[string]struct {
		a    alert.Alert
		want string
	}{
		"escalated":    {escalated, "<!subteam^S0PLANNERS> Escalated to critical: revenue at risk $12,400, stockout 2026-12-01"},
		"repeated":     {repeated, "<!subteam^S0PLANNERS> Still firing, unacknowledged: revenue at risk $12,400, stockout 2026-12-01"},
		"updated":      {updated, "Updated: revenue at risk $12,400, stockout 2026-12-01"},
		"acknowledged": {ack, "Acknowledged by &lt;@U0SOMEONE&gt;"},
		"resolved":     {resolvedAlert(), "Resolved: the condition cleared at 2026-11-28 15:10 UTC"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFakeSlack(t)
			if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", tt.a, prev); err != nil {
				t.Fatal(err)
			}
			text := f.Calls()[1].Form.Get("text")
			if text != tt.want {
				t.Errorf("reply = %q, want %q", text, tt.want)
			}
			rest := strings.TrimPrefix(text, "<!subteam^S0PLANNERS> ")
			if strings.Contains(rest, "<@") || strings.Contains(rest, "<!") {
				t.Errorf("reply mentions someone beyond the owner: %q", text)
			}
		})
	}
}

func TestCriticalMentionsOwnerNeverChannel(t *testing.T) {
	hostile := "Ping <!channel> <!here> <!everyone> @channel & <https://evil.example|click>"
	tests := []struct {
		name        string
		tier        score.Tier
		owner       string
		wantMention string // "" for none
	}{
		{"critical group", score.Critical, "planner-mro", "<!subteam^S0PLANNERS>"},
		{"critical user", score.Critical, "buyer-castings", "<@U0BUYER>"},
		{"critical broadcast refused", score.Critical, "prankster", ""},
		{"actionable", score.Actionable, "planner-mro", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			var logs bytes.Buffer
			a := criticalStockout()
			a.Tier, a.Owner, a.RecommendedAction = tt.tier, tt.owner, hostile
			if _, err := f.notifier(&logs).Notify(t.Context(), "#supply", a, nil); err != nil {
				t.Fatal(err)
			}
			form := f.Calls()[0].Form
			text, blocks := form.Get("text"), form.Get("blocks")
			if tt.wantMention != "" && !strings.HasPrefix(text, tt.wantMention+" ") {
				t.Errorf("text = %q, want it to start with %s", text, tt.wantMention)
			}
			if tt.wantMention == "" && (strings.Contains(text, "<@") || strings.Contains(text, "<!subteam")) {
				t.Errorf("text mentions someone: %q", text)
			}
			for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<https://evil"} {
				if strings.Contains(text, bad) || strings.Contains(blocks, bad) {
					t.Errorf("message contains %s:\ntext %s\nblocks %s", bad, text, blocks)
				}
			}
			if !strings.Contains(logs.String(), "slack mention refused") {
				t.Errorf("the broadcast mapping was not logged as refused: %s", logs.String())
			}
		})
	}
}

func TestTruncationIsLogged(t *testing.T) {
	f := newFakeSlack(t)
	var logs bytes.Buffer
	a := criticalStockout()
	a.RecommendedAction = strings.Repeat("Transfer ünits é ", 400) // 6,800 runes, multi-byte
	if _, err := f.notifier(&logs).Notify(t.Context(), "#supply", a, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "truncated") || !strings.Contains(logs.String(), "alert="+a.ID) ||
		!strings.Contains(logs.String(), "part=\"recommended action\"") {
		t.Errorf("truncation not logged with the alert id:\n%s", logs.String())
	}
	var blocks []struct {
		BlockID string `json:"block_id"`
		Text    struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(f.Calls()[0].Form.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.BlockID != "qm_action" {
			continue
		}
		s := b.Text.Text
		if n := utf8.RuneCountInString(s); n != 3000 || !strings.HasSuffix(s, "…") || !utf8.ValidString(s) {
			t.Errorf("action section: %d runes, valid UTF-8 %v, ends %q; want 3000 ending in …",
				n, utf8.ValidString(s), s[len(s)-10:])
		}
		return
	}
	t.Error("no recommended action block")
}

// TestErrorClasses answers each call with a failure and checks the class
// of the error, that it is the only request made (no retries inside
// Notify), and that the token appears in no error or log line.
func TestErrorClasses(t *testing.T) {
	status := func(code int, header ...string) func(http.ResponseWriter, string) bool {
		return func(w http.ResponseWriter, _ string) bool {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			http.Error(w, "nope "+token, code) // a hostile body must not leak either
			return true
		}
	}
	slackErr := func(code string) func(http.ResponseWriter, string) bool {
		return func(w http.ResponseWriter, _ string) bool {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
			return true
		}
	}
	tests := []struct {
		name      string
		reply     func(http.ResponseWriter, string) bool
		update    bool // call with a prev, so the first request is chat.update
		retryable bool
		after     time.Duration
		gone      bool // wraps ErrMessageNotFound
	}{
		{name: "429 retry-after", reply: status(http.StatusTooManyRequests, "Retry-After", "7"), retryable: true, after: 7 * time.Second},
		{name: "429 http-date", reply: status(http.StatusTooManyRequests, "Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"), retryable: true},
		{name: "429 bare", reply: status(http.StatusTooManyRequests), retryable: true},
		{name: "500", reply: status(http.StatusInternalServerError), retryable: true},
		{name: "503", reply: status(http.StatusServiceUnavailable), retryable: true},
		{name: "401", reply: status(http.StatusUnauthorized)},
		{name: "403", reply: status(http.StatusForbidden)},
		{name: "invalid_auth", reply: slackErr("invalid_auth")},
		{name: "not_authed", reply: slackErr("not_authed")},
		{name: "account_inactive", reply: slackErr("account_inactive")},
		{name: "token_revoked", reply: slackErr("token_revoked")},
		{name: "channel_not_found", reply: slackErr("channel_not_found")},
		{name: "not_in_channel", reply: slackErr("not_in_channel")},
		{name: "missing_scope", reply: slackErr("missing_scope")},
		{name: "internal_error", reply: slackErr("internal_error"), retryable: true},
		{name: "error echoing the token", reply: slackErr("invalid_auth: " + token)},
		{name: "message_not_found on update", reply: slackErr("message_not_found"), update: true, gone: true},
		{name: "500 on update", reply: status(http.StatusInternalServerError), update: true, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			f.reply = tt.reply
			var logs bytes.Buffer
			n := f.notifier(&logs)
			a := criticalStockout()
			a.RecommendedAction = strings.Repeat("x", 4000) // a truncation, so something is logged
			var prev *notify.Ref
			if tt.update {
				prev = &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}
			}
			ref, err := n.Notify(t.Context(), "#supply", a, prev)
			if err == nil {
				t.Fatal("no error")
			}
			var nerr *notify.Error
			if !errors.As(err, &nerr) {
				t.Fatalf("error %T %v is not a *notify.Error", err, err)
			}
			if nerr.Retryable != tt.retryable || nerr.RetryAfter != tt.after {
				t.Errorf("error %q: retryable %v after %s, want %v after %s", err, nerr.Retryable, nerr.RetryAfter, tt.retryable, tt.after)
			}
			if got := errors.Is(err, slack.ErrMessageNotFound); got != tt.gone {
				t.Errorf("errors.Is(%q, ErrMessageNotFound) = %v, want %v", err, got, tt.gone)
			}
			if prev != nil && ref != *prev {
				t.Errorf("ref = %+v, want prev kept: %+v", ref, *prev)
			}
			if calls := f.Calls(); len(calls) != 1 {
				t.Errorf("%d requests, want 1: Notify must not retry", len(calls))
			}
			if tt.name == "error echoing the token" && !strings.Contains(err.Error(), "[REDACTED]") {
				t.Errorf("error %q does not show the redaction", err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(fmt.Sprintf("%+v", err), token) {
				t.Errorf("error leaks the token: %v", err)
			}
			if logs.Len() == 0 {
				t.Error("nothing was logged; the leak check below would be vacuous")
			}
			if strings.Contains(logs.String(), token) {
				t.Errorf("log leaks the token:\n%s", logs.String())
			}
		})
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	f := newFakeSlack(t)
	n := f.notifier(new(bytes.Buffer))
	f.Close() // connection refused from now on
	_, err := n.Notify(t.Context(), "#supply", criticalStockout(), nil)
	if ok, _ := notify.Retryable(err); !ok {
		t.Errorf("Notify against a closed server = %v, want retryable", err)
	}
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestCancelledIsNotRetryable(t *testing.T) {
	f := newFakeSlack(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.notifier(new(bytes.Buffer)).Notify(ctx, "#supply", criticalStockout(), nil)
	if ok, _ := notify.Retryable(err); ok || !errors.Is(err, context.Canceled) {
		t.Errorf("Notify with a cancelled ctx = %v, want a permanent error wrapping context.Canceled", err)
	}
}

// buttonsOf returns the buttons of each actions block by block id, as
// "action_id=value".
func buttonsOf(t *testing.T, blocksJSON string) map[string][]string {
	t.Helper()
	var blocks []struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	out := map[string][]string{}
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		var elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Style    string `json:"style"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		if err := json.Unmarshal(b.Elements, &elements); err != nil {
			t.Fatalf("block %s: %v", b.BlockID, err)
		}
		primaries := 0
		for _, e := range elements {
			out[b.BlockID] = append(out[b.BlockID], e.ActionID+"="+e.Value)
			if e.Style == "primary" {
				primaries++
			}
			if n := utf8.RuneCountInString(e.Text.Text); n > 75 {
				t.Errorf("button %s has %d characters of text, over Slack's 75", e.ActionID, n)
			}
		}
		if primaries > 1 {
			t.Errorf("block %s has %d primary buttons; Slack wants at most one per set", b.BlockID, primaries)
		}
		if len(elements) > 25 {
			t.Errorf("block %s has %d elements, over Slack's 25", b.BlockID, len(elements))
		}
	}
	return out
}

func TestProposalButtons(t *testing.T) {
	const id = "qm-0123456789abcdef-1"
	approve := []string{"qm_approve=p-20261127-7f3a9c2e1b|" + proposalHash, "qm_reject=p-20261127-7f3a9c2e1b|" + proposalHash}
	propose := []string{"qm_propose=" + id}
	with := func(a alert.Alert, f func(*alert.Alert)) alert.Alert { f(&a); return a }
	tests := []struct {
		name string
		a    alert.Alert
		want []string // the qm_proposal_actions block; nil for none
	}{
		{"no planned action", criticalStockout(), nil},
		{"planned, not proposed", plannedExpedite(), propose},
		{"planned, acknowledged", with(plannedExpedite(), func(a *alert.Alert) { a.State, a.AcknowledgedBy = alert.Acknowledged, "maria" }), propose},
		{"planned, resolved", with(plannedExpedite(), func(a *alert.Alert) { a.State = alert.Resolved }), nil},
		{"open", openProposal(), approve},
		{"approved, awaiting execution", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "approved" }), nil},
		{"rejected", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "rejected" }), propose},
		{"expired", with(openProposal(), func(a *alert.Alert) { a.Proposal.State = "expired" }), propose},
		{"executed", executedProposal(), nil},
		{"rejected, resolved", with(openProposal(), func(a *alert.Alert) { a.Proposal.State, a.State = "rejected", alert.Resolved }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", tt.a, nil); err != nil {
				t.Fatal(err)
			}
			got := buttonsOf(t, f.Calls()[0].Form.Get("blocks"))
			if strings.Join(got["qm_proposal_actions"], " ") != strings.Join(tt.want, " ") {
				t.Errorf("proposal buttons = %q, want %q", got["qm_proposal_actions"], tt.want)
			}
			// The alert's own buttons are untouched by the proposal flow.
			if tt.a.State == alert.Firing {
				if n := len(got["qm_actions"]); n != 5 {
					t.Errorf("qm_actions has %d buttons, want 5: %q", n, got["qm_actions"])
				}
			}
		})
	}
}

func TestProposeLabelIsCut(t *testing.T) {
	f := newFakeSlack(t)
	var logs bytes.Buffer
	a := plannedExpedite()
	a.Planned.Params["reason"] = strings.Repeat("long reason ", 20)
	if _, err := f.notifier(&logs).Notify(t.Context(), "#supply", a, nil); err != nil {
		t.Fatal(err)
	}
	buttonsOf(t, f.Calls()[0].Form.Get("blocks")) // checks the 75-character limit
	if !strings.Contains(logs.String(), `part="propose button"`) {
		t.Errorf("the cut label was not logged:\n%s", logs.String())
	}
}

func TestProposalTextIsEscaped(t *testing.T) {
	f := newFakeSlack(t)
	a := openProposal()
	a.Proposal.By = "<!channel>"
	a.Proposal.Approvers = []string{"<@U0X>"}
	a.Planned.Params["po"] = "<!here>"
	if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", a, nil); err != nil {
		t.Fatal(err)
	}
	blocks := f.Calls()[0].Form.Get("blocks")
	for _, bad := range []string{"<!channel", "<@U0X", "<!here"} {
		if strings.Contains(blocks, bad) {
			t.Errorf("blocks contain %s: %s", bad, blocks)
		}
	}
}

func TestProposalThreadReply(t *testing.T) {
	f := newFakeSlack(t)
	prev := &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}
	if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", openProposal(), prev); err != nil {
		t.Fatal(err)
	}
	want := "Proposal `p-20261127-7f3a9c2e1b`: open, proposed by U0PLANNER, approved by U0FINANCE (1 of 2)"
	if got := f.Calls()[1].Form.Get("text"); got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}

// TestThreadRetellsSummary checks that a change that brings people back
// (an escalation) retells the summary in the thread, escaped, and that a
// plain update does not.
func TestThreadRetellsSummary(t *testing.T) {
	prev := &notify.Ref{Channel: "C0SUPPLY", Message: "1764234600.000001", Thread: "1764234600.000001"}
	for _, tt := range []struct {
		change alert.Change
		retell bool
	}{{alert.Escalated, true}, {alert.Updated, false}} {
		t.Run(string(tt.change), func(t *testing.T) {
			a := criticalStockout()
			a.Change, a.Summary = tt.change, "Widget runs out <tomorrow> & costs $12,400."
			f := newFakeSlack(t)
			if _, err := f.notifier(new(bytes.Buffer)).Notify(t.Context(), "#supply", a, prev); err != nil {
				t.Fatal(err)
			}
			text := f.Calls()[1].Form.Get("text")
			if got := strings.Contains(text, "\nWidget runs out &lt;tomorrow&gt; &amp; costs $12,400."); got != tt.retell {
				t.Errorf("reply %q retells the summary: %v, want %v", text, got, tt.retell)
			}
		})
	}
}
