package approve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// clock is the injected clock; tests move it by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var roles = map[string]string{
	"UPLAN": "planner", "UBUY": "buyer", "UFIN": "finance", "UFIN2": "finance",
	"UEXEC": "executive", "UADM": "admin",
}

var policy = Policy{
	Approvers:     map[string][]string{Expedite: {"buyer", "finance"}, Transfer: {"planner"}, "*": {"admin"}},
	TwoPersonOver: 10000,
	TTL:           time.Hour,
}

var src = audit.Source{Platform: "slack", Channel: "C0SUPPLY", Message: "1763625600.000100"}

type fixture struct {
	book  *Book
	log   *audit.Log
	rdb   *redis.Client
	clock *clock
}

func newFixture(t *testing.T, hook *Webhook) fixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	c := &clock{t: t0}
	var n atomic.Int64
	log := audit.New(rdb, prefix, audit.Options{Now: c.Now})
	b := New(rdb, prefix, log, Options{
		Policy: policy, Roles: roles, Webhook: hook, Now: c.Now,
		IDs: func() string { return "P" + strconv.FormatInt(n.Add(1), 10) },
	})
	return fixture{book: b, log: log, rdb: rdb, clock: c}
}

func expedite(amount float64) Action {
	return Action{
		Kind: Expedite, Alert: "stockout:SKU9@DC1", Amount: amount,
		Params: map[string]string{"po": "PO-7", "sku": "SKU9", "qty": "400"},
	}
}

func TestHashIsCanonical(t *testing.T) {
	a := expedite(1250.5)
	b := Action{Kind: Expedite, Alert: "stockout:SKU9@DC1", Amount: 1250.5,
		Params: map[string]string{"qty": "400", "sku": "SKU9", "po": "PO-7"}}
	if a.Hash() != b.Hash() {
		t.Error("same action, different hashes")
	}
	if got, want := string(a.canonical()), `{"alert":"stockout:SKU9@DC1","amount":"1250.5","kind":"expedite","params":{"po":"PO-7","qty":"400","sku":"SKU9"}}`; got != want {
		t.Errorf("canonical\n got %s\nwant %s", got, want)
	}
	c := expedite(1250.5)
	c.Params["qty"] = "401"
	if a.Hash() == c.Hash() {
		t.Error("changing a param kept the hash")
	}
	if (Action{Kind: Reorder}).Hash() != (Action{Kind: Reorder, Params: map[string]string{}}).Hash() {
		t.Error("nil and empty params hash differently")
	}
}

func TestProposeRules(t *testing.T) {
	tests := []struct {
		name string
		by   string
		a    Action
		want error
	}{
		{"unknown user has no role", "UNOBODY", expedite(100), ErrNotAllowed},
		{"no kind", "UPLAN", Action{}, ErrInvalid},
		{"negative amount", "UPLAN", expedite(-1), ErrInvalid},
		{"reserved param", "UPLAN", Action{Kind: Expedite, Params: map[string]string{"hash": "x"}}, ErrInvalid},
		{"planner proposes", "UPLAN", expedite(100), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			p, err := f.book.Propose(context.Background(), tt.by, tt.a, src)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("propose: %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if p.State != Open || p.Hash != tt.a.Hash() || !p.Expires.Equal(t0.Add(time.Hour)) || p.ID != "P1" {
				t.Errorf("proposal %+v", p)
			}
		})
	}
}

func TestProposeWithoutApproversIsInvalid(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	b := New(rdb, prefix, audit.New(rdb, prefix, audit.Options{}), Options{
		Roles: roles, Policy: Policy{Approvers: map[string][]string{Expedite: {"buyer"}}},
	})
	if _, err := b.Propose(context.Background(), "UPLAN", Action{Kind: "scrap"}, src); !errors.Is(err, ErrInvalid) {
		t.Errorf("propose a kind nobody may approve: %v, want ErrInvalid", err)
	}
}

func TestApproveRules(t *testing.T) {
	tests := []struct {
		name     string
		proposer string
		amount   float64
		before   []string            // approvals that succeed first
		reject   bool                // UFIN rejects it first
		advance  time.Duration       // the clock moves before the approval
		hash     func(Action) string // the hash shown to the approver; nil: the proposal's
		id       string              // the proposal approved; "": the one proposed
		by       string
		want     error
		state    State
	}{
		{name: "unknown user has no role", amount: 500, by: "UNOBODY", want: ErrNotAllowed, state: Open},
		{name: "role not named for the kind", amount: 500, by: "UEXEC", want: ErrNotAllowed, state: Open},
		{name: "requester cannot approve own proposal", proposer: "UBUY", amount: 500, by: "UBUY", want: ErrOwnProposal, state: Open},
		{name: "one allowed approval below the threshold approves", amount: 9999.99, by: "UFIN", state: Approved},
		{name: "star role approves any kind", amount: 500, by: "UADM", state: Approved},
		{name: "at the threshold one approval leaves it open", amount: 10000, by: "UFIN", state: Open},
		{name: "at the threshold two distinct approvers approve", amount: 10000, before: []string{"UFIN"}, by: "UBUY", state: Approved},
		{name: "same person twice", amount: 20000, before: []string{"UFIN"}, by: "UFIN", want: ErrAlreadyApproved, state: Open},
		{name: "approval is single use", amount: 500, before: []string{"UFIN"}, by: "UBUY", want: ErrClosed, state: Approved},
		{name: "rejected proposal is closed", amount: 500, reject: true, by: "UBUY", want: ErrClosed, state: Rejected},
		{name: "expired", amount: 500, advance: time.Hour, by: "UFIN", want: ErrExpired, state: Expired},
		{name: "just before expiry", amount: 500, advance: time.Hour - time.Millisecond, by: "UFIN", state: Approved},
		{name: "stale hash", amount: 500, by: "UFIN", want: ErrStale, state: Open,
			hash: func(a Action) string {
				a.Params = map[string]string{"po": "PO-7", "sku": "SKU9", "qty": "4000"}
				return a.Hash()
			}},
		{name: "unknown proposal", amount: 500, id: "P404", by: "UFIN", want: ErrUnknown, state: Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, nil)
			proposer := tt.proposer
			if proposer == "" {
				proposer = "UPLAN"
			}
			p, err := f.book.Propose(ctx, proposer, expedite(tt.amount), src)
			if err != nil {
				t.Fatal(err)
			}
			for _, by := range tt.before {
				if _, err := f.book.Approve(ctx, p.ID, by, p.Hash, src); err != nil {
					t.Fatalf("approve by %s first: %v", by, err)
				}
			}
			if tt.reject {
				if _, err := f.book.Reject(ctx, p.ID, "UFIN", "not needed", src); err != nil {
					t.Fatalf("reject first: %v", err)
				}
			}
			f.clock.Add(tt.advance)
			id, hash := p.ID, p.Hash
			if tt.id != "" {
				id = tt.id
			}
			if tt.hash != nil {
				hash = tt.hash(p.Action)
			}
			_, err = f.book.Approve(ctx, id, tt.by, hash, src)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("approve: %v, want %v", err, tt.want)
			}
			got, err := f.book.Get(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state {
				t.Errorf("state %s, want %s", got.State, tt.state)
			}
			n, err := f.rdb.XLen(ctx, f.book.Stream()).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(0); tt.state == Approved {
				if n != 1 || got.Entry == "" {
					t.Errorf("approved: %d stream entries, entry %q; want 1", n, got.Entry)
				}
			} else if n != want {
				t.Errorf("%d stream entries, want %d", n, want)
			}
		})
	}
}

func TestRejectRules(t *testing.T) {
	tests := []struct {
		name    string
		by      string
		approve bool
		advance time.Duration
		want    error
	}{
		{"requester withdraws", "UPLAN", false, 0, nil},
		{"allowed approver rejects", "UBUY", false, 0, nil},
		{"role not named for the kind", "UEXEC", false, 0, ErrNotAllowed},
		{"unknown user", "UNOBODY", false, 0, ErrNotAllowed},
		{"already approved", "UBUY", true, 0, ErrClosed},
		{"expired", "UBUY", false, time.Hour, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, nil)
			p, err := f.book.Propose(ctx, "UPLAN", expedite(500), src)
			if err != nil {
				t.Fatal(err)
			}
			if tt.approve {
				if _, err := f.book.Approve(ctx, p.ID, "UFIN", p.Hash, src); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Add(tt.advance)
			got, err := f.book.Reject(ctx, p.ID, tt.by, "stock found at DC2", src)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("reject: %v, want %v", err, tt.want)
			}
			if err == nil && (got.State != Rejected || got.Reason != "stock found at DC2") {
				t.Errorf("rejected proposal %+v", got)
			}
		})
	}
}

// receiver is the outgoing webhook's other end: it answers with the
// statuses queued in codes (200 once they run out) and records what came.
type receiver struct {
	mu     sync.Mutex
	codes  []int
	keys   []string
	bodies []Record
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var rec Record
	json.Unmarshal(b, &rec)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
	r.bodies = append(r.bodies, rec)
	code := http.StatusOK
	if len(r.codes) > 0 {
		code, r.codes = r.codes[0], r.codes[1:]
	}
	w.WriteHeader(code)
	io.WriteString(w, http.StatusText(code))
}

func (r *receiver) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

func newReceiver(t *testing.T, codes ...int) (*receiver, *Webhook) {
	r := &receiver{codes: codes}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, &Webhook{URL: srv.URL, Client: srv.Client(), Attempts: 4, Backoff: time.Millisecond}
}

func TestConcurrentApprovalsBySamePerson(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	p, err := f.book.Propose(ctx, "UPLAN", expedite(25000), src)
	if err != nil {
		t.Fatal(err)
	}
	errs := approveAtOnce(f, p, "UFIN", "UFIN")
	if n := countIs(errs, ErrAlreadyApproved); n != 1 || countIs(errs, nil) != 1 {
		t.Errorf("errors %v, want one nil and one ErrAlreadyApproved", errs)
	}
	got, _ := f.book.Get(ctx, p.ID)
	if got.State != Open || len(got.Approvals) != 1 {
		t.Errorf("proposal %s with %d approvals, want open with 1", got.State, len(got.Approvals))
	}
}

func TestConcurrentApprovalsByTwoPeople(t *testing.T) {
	ctx := context.Background()
	r, hook := newReceiver(t)
	f := newFixture(t, hook)
	p, err := f.book.Propose(ctx, "UPLAN", expedite(25000), src)
	if err != nil {
		t.Fatal(err)
	}
	errs := approveAtOnce(f, p, "UFIN", "UBUY")
	if countIs(errs, nil) != 2 {
		t.Fatalf("errors %v, want both approvals taken", errs)
	}
	got, _ := f.book.Get(ctx, p.ID)
	if got.State != Executed || len(got.Approvals) != 2 {
		t.Errorf("proposal %s with %d approvals, want executed with 2", got.State, len(got.Approvals))
	}
	msgs, err := f.rdb.XRange(ctx, f.book.Stream(), "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("actions stream: %v, %v; want one entry", msgs, err)
	}
	var rec Record
	if err := json.Unmarshal([]byte(msgs[0].Values["action"].(string)), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Proposal != p.ID || rec.Hash != p.Hash || len(rec.Approvers) != 2 {
		t.Errorf("stream record %+v", rec)
	}
	if calls := r.calls(); len(calls) != 1 || calls[0] != p.ID+":"+p.Hash {
		t.Errorf("webhook calls %q, want one with key %s:%s", calls, p.ID, p.Hash)
	}
	if n, _ := f.rdb.SCard(ctx, f.book.undelivered).Result(); n != 0 {
		t.Errorf("%d undelivered, want 0", n)
	}
}

// approveAtOnce has two replicas, each with its own connection, approve
// p as a and b at the same moment.
func approveAtOnce(f fixture, p Proposal, a, b string) []error {
	start := make(chan struct{})
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, by := range []string{a, b} {
		wg.Go(func() {
			c := redis.NewClient(f.rdb.Options())
			defer c.Close()
			replica := *f.book
			replica.rdb = c
			<-start
			_, errs[i] = replica.Approve(context.Background(), p.ID, by, p.Hash, src)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func countIs(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if (target == nil && err == nil) || (target != nil && errors.Is(err, target)) {
			n++
		}
	}
	return n
}

func TestDeliveryRetriesWithOneKey(t *testing.T) {
	ctx := context.Background()
	r, hook := newReceiver(t, 503, 503, 200)
	f := newFixture(t, hook)
	p, _ := f.book.Propose(ctx, "UPLAN", expedite(500), src)
	got, err := f.book.Approve(ctx, p.ID, "UFIN", p.Hash, src)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != Executed {
		t.Errorf("state %s, want executed", got.State)
	}
	want := p.ID + ":" + p.Hash
	if calls := r.calls(); len(calls) != 3 || calls[0] != want || calls[1] != want || calls[2] != want {
		t.Errorf("webhook calls %q, want 3 with key %s", calls, want)
	}
}

func TestDeliveryRefusedIsLeftForRedelivery(t *testing.T) {
	ctx := context.Background()
	r, hook := newReceiver(t, 400)
	f := newFixture(t, hook)
	p, _ := f.book.Propose(ctx, "UPLAN", expedite(500), src)
	got, err := f.book.Approve(ctx, p.ID, "UFIN", p.Hash, src)
	var se *StatusError
	if !errors.Is(err, ErrUndelivered) || !errors.As(err, &se) || se.Code != 400 {
		t.Fatalf("approve: %v, want ErrUndelivered with a 400 StatusError", err)
	}
	if got.State != Approved {
		t.Errorf("state %s, want approved (undelivered)", got.State)
	}
	if n := len(r.calls()); n != 1 {
		t.Errorf("%d webhook calls, want 1: a 400 is not retried", n)
	}
	if ids, _ := f.rdb.SMembers(ctx, f.book.undelivered).Result(); len(ids) != 1 || ids[0] != p.ID {
		t.Errorf("undelivered %v, want [%s]", ids, p.ID)
	}
	// The receiver is fixed: Redeliver sends it with the same key and
	// the same body.
	n, err := f.book.Redeliver(ctx)
	if err != nil || n != 1 {
		t.Fatalf("redeliver: %d, %v", n, err)
	}
	calls := r.calls()
	if len(calls) != 2 || calls[1] != calls[0] {
		t.Errorf("calls %q, want a second with the same key", calls)
	}
	if b := r.bodies; b[0].Hash != b[1].Hash || !b[0].ApprovedAt.Equal(b[1].ApprovedAt) || len(b[1].Approvers) != 1 {
		t.Errorf("bodies differ: %+v", b)
	}
	got, _ = f.book.Get(ctx, p.ID)
	if got.State != Executed {
		t.Errorf("state %s after redelivery, want executed", got.State)
	}
	if n, err := f.book.Redeliver(ctx); n != 0 || err != nil {
		t.Errorf("second redeliver: %d, %v; want nothing to do", n, err)
	}
}

// TestScenarioAudit runs proposals through every decision and checks the
// audit log holds them in order and verifies.
func TestScenarioAudit(t *testing.T) {
	ctx := context.Background()
	_, hook := newReceiver(t, 503)
	f := newFixture(t, hook)
	big, _ := f.book.Propose(ctx, "UPLAN", expedite(30000), src)
	f.book.Approve(ctx, big.ID, "UPLAN", big.Hash, src)                           // own: refused, not audited
	f.book.Approve(ctx, big.ID, "UFIN", big.Hash, src)                            // 1 of 2
	f.book.Approve(ctx, big.ID, "UFIN", big.Hash, src)                            // twice: refused
	if _, err := f.book.Approve(ctx, big.ID, "UBUY", big.Hash, src); err != nil { // 2 of 2, delivered after a 503
		t.Fatal(err)
	}
	small, _ := f.book.Propose(ctx, "UPLAN", expedite(50), src)
	if _, err := f.book.Reject(ctx, small.ID, "UBUY", "stock found at DC2", src); err != nil {
		t.Fatal(err)
	}

	rep, err := f.log.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v, %v", rep, err)
	}
	entries, err := f.log.Last(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	type step struct{ action, actor, role, target, approvals string }
	want := []step{
		{audit.Propose, "UPLAN", "planner", big.ID, ""},
		{audit.Approve, "UFIN", "finance", big.ID, "1"},
		{audit.Approve, "UBUY", "buyer", big.ID, "2"},
		{audit.Execute, audit.System, "", big.ID, ""},
		{audit.Propose, "UPLAN", "planner", small.ID, ""},
		{audit.Reject, "UBUY", "buyer", small.ID, ""},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		w := want[i]
		got := step{e.Action, e.Actor, e.Role, e.Target, e.Params["approvals"]}
		if got != w {
			t.Errorf("entry %d = %+v, want %+v", i, got, w)
		}
		if e.Params["hash"] == "" || e.Alert != "stockout:SKU9@DC1" {
			t.Errorf("entry %d: alert %q params %v, want the alert and the action hash", i, e.Alert, e.Params)
		}
	}
	if entries[0].Params["hash"] != big.Hash || entries[0].Params["po"] != "PO-7" || entries[0].Params["needed"] != "2" {
		t.Errorf("propose params %v", entries[0].Params)
	}
	if entries[3].Params["idempotency_key"] != big.ID+":"+big.Hash || entries[3].Params["entry"] == "" {
		t.Errorf("execute params %v", entries[3].Params)
	}
}

// TestProposalRetention checks that Redis drops proposals on its own: an
// open one some time after it expires, a decided one after Retention,
// and never an approved action the webhook has not taken yet.
func TestProposalRetention(t *testing.T) {
	ctx := context.Background()
	const month = 30 * 24 * time.Hour
	ttl := func(f fixture, id string) time.Duration {
		d, err := f.rdb.PTTL(ctx, f.book.key(id)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	near := func(got, want time.Duration) bool { return got > want-time.Second && got <= want }

	_, down := newReceiver(t, 400) // refuses: the action stays undelivered
	f := newFixture(t, down)
	p, err := f.book.Propose(ctx, "UPLAN", expedite(500), src)
	if err != nil {
		t.Fatal(err)
	}
	if got := ttl(f, p.ID); !near(got, time.Hour+month) {
		t.Errorf("open proposal kept %s, want its hour to answer plus 30 days", got)
	}
	// The approval stands; its delivery failed and is left for Redeliver.
	if _, err := f.book.Approve(ctx, p.ID, "UFIN", p.Hash, src); err == nil {
		t.Fatal("approval delivered to a webhook that refuses")
	}
	if got, err := f.book.Get(ctx, p.ID); err != nil || got.State != Approved {
		t.Fatalf("proposal %+v (%v), want approved", got, err)
	}
	if got := ttl(f, p.ID); got != -time.Millisecond && got != -1 {
		t.Errorf("approved, undelivered proposal expires in %s, want no expiry", got)
	}

	_, up := newReceiver(t, 200)
	f = newFixture(t, up)
	p, _ = f.book.Propose(ctx, "UPLAN", expedite(500), src)
	if _, err := f.book.Approve(ctx, p.ID, "UFIN", p.Hash, src); err != nil {
		t.Fatal(err)
	}
	if got := ttl(f, p.ID); !near(got, month) {
		t.Errorf("executed proposal kept %s, want 30 days", got)
	}
	q, _ := f.book.Propose(ctx, "UPLAN", expedite(700), src)
	if _, err := f.book.Reject(ctx, q.ID, "UFIN", "no", src); err != nil {
		t.Fatal(err)
	}
	if got := ttl(f, q.ID); !near(got, month) {
		t.Errorf("rejected proposal kept %s, want 30 days", got)
	}
}
