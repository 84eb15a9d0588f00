// Package approve keeps the actions that change inventory, routing or
// commitments as proposals until people the policy names approve them
// (DESIGN.md, principle 6).
//
// A proposal is bound to the hash of its exact action: an approval names
// the hash it was shown, and a proposal whose action differs is refused as
// stale. Approvals are single use and expire. Below Policy.TwoPersonOver
// one approval completes a proposal; at or above it two distinct people
// must approve, and the requester never approves their own.
//
// Proposals live in Redis, one hash each at {<prefix>actions}:proposal:<id>.
// Every change is a compare and set on the proposal's version (see
// lua/proposal.lua), so replicas deciding at once cannot both complete or
// both execute a proposal. The approval that completes a proposal appends
// the action, in the same atomic step, to the stream <prefix>actions
// (field "action", a Record as JSON) and marks it undelivered in
// {<prefix>actions}:undelivered; the Book then sends it to the outgoing
// Webhook and, after a 2xx, marks the proposal executed. Redeliver sends
// what is still undelivered.
//
// Each propose, approve, reject and execute is appended to the audit log
// after its state change is stored, with the action's hash in its params.
package approve

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store/audit"
)

var (
	//go:embed lua/proposal.lua
	proposalSrc    string
	proposalScript = redis.NewScript(proposalSrc)
)

// The rules' errors. Book methods wrap them with the proposal and the
// person, so test for them with errors.Is.
var (
	ErrUnknown         = errors.New("no such proposal")
	ErrNotAllowed      = errors.New("role may not decide this action")
	ErrOwnProposal     = errors.New("requester cannot approve their own proposal")
	ErrAlreadyApproved = errors.New("already approved by this person")
	ErrExpired         = errors.New("proposal expired")
	ErrClosed          = errors.New("proposal already decided")
	ErrStale           = errors.New("action changed since it was shown")
	ErrInvalid         = errors.New("invalid action")
	// ErrUndelivered means the proposal is approved and on the actions
	// stream, but the webhook did not accept it; Redeliver tries again.
	ErrUndelivered = errors.New("approved action not delivered")
)

// errUnchanged tells update that the change has nothing to write.
var errUnchanged = errors.New("unchanged")

// maxAttempts bounds update's compare-and-set retries. Each lost race is
// another decision stored on the same proposal, and a proposal takes at
// most a few, so running out means something is badly wrong.
const maxAttempts = 20

// State is where a proposal is in its life.
type State string

// The states of a proposal. Expired is never stored: an open proposal
// reads as expired once the clock passes its Expires.
const (
	Open     State = "open"
	Approved State = "approved" // approved and on the actions stream, not yet delivered
	Rejected State = "rejected"
	Expired  State = "expired"
	Executed State = "executed" // delivered to the webhook
)

// Policy says who may approve what.
type Policy struct {
	// Approvers maps an action kind to the roles that may approve or
	// reject it; the kind "*" names roles that may decide any kind.
	Approvers map[string][]string
	// TwoPersonOver is the amount at or above which two distinct people
	// must approve. It is fixed on each proposal when it is made.
	TwoPersonOver float64
	// TTL is how long a proposal can be approved; zero means 24 hours.
	TTL time.Duration
}

// allows reports whether role may decide actions of kind.
func (p Policy) allows(role, kind string) bool {
	return role != "" && (slices.Contains(p.Approvers[kind], role) || slices.Contains(p.Approvers["*"], role))
}

// Proposal is an action waiting for, or past, its approvals.
type Proposal struct {
	ID        string     `json:"id"`
	Action    Action     `json:"action"`
	Hash      string     `json:"hash"` // Action.Hash() when proposed
	By        string     `json:"by"`   // the requester's chat user id
	Role      string     `json:"role"` // the requester's role then
	At        time.Time  `json:"at"`
	Expires   time.Time  `json:"expires"`
	Needed    int        `json:"needed"` // approvals that complete it: 1 or 2
	Approvals []Approval `json:"approvals"`
	State     State      `json:"state"`
	Reason    string     `json:"reason,omitempty"` // why it was rejected
	Decided   time.Time  `json:"decided,omitzero"` // when it was approved or rejected
	Executed  time.Time  `json:"executed,omitzero"`

	// Entry is the actions stream entry of an approved proposal. The
	// script sets it, so it is not part of the stored JSON.
	Entry string `json:"-"`
}

// Approval is one person's approval of a proposal.
type Approval struct {
	By   string    `json:"by"`
	Role string    `json:"role"`
	At   time.Time `json:"at"`
}

// Record is an approved action as appended to the actions stream and
// sent to the webhook. It is built from the stored proposal alone, so
// every delivery of one proposal sends the same body.
type Record struct {
	Proposal    string            `json:"proposal"`
	Hash        string            `json:"hash"`
	Kind        string            `json:"kind"`
	Alert       string            `json:"alert"`
	Params      map[string]string `json:"params"`
	Amount      float64           `json:"amount"`
	RequestedBy string            `json:"requested_by"`
	Approvers   []Approval        `json:"approvers"`
	ApprovedAt  time.Time         `json:"approved_at"`
}

func (p Proposal) record() Record {
	return Record{
		Proposal: p.ID, Hash: p.Hash, Kind: p.Action.Kind, Alert: p.Action.Alert,
		Params: p.Action.Params, Amount: p.Action.Amount, RequestedBy: p.By,
		Approvers: p.Approvals, ApprovedAt: p.Decided,
	}
}

// IdempotencyKey is the key every delivery of p carries, so the receiver
// creates one work item however often it is sent.
func (p Proposal) IdempotencyKey() string { return p.ID + ":" + p.Hash }

// Options configure a Book. Policy and Roles are required in practice: with
// none, nobody may propose or approve anything.
type Options struct {
	Policy Policy
	// Roles maps chat user ids to roles (config.Config.Roles). A user
	// not in it has no role and may neither propose nor decide.
	Roles map[string]string
	// Webhook receives approved actions; nil leaves them on the actions
	// stream, undelivered, for another consumer.
	Webhook *Webhook
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IDs makes proposal ids; nil means 16 random hex digits.
	IDs func() string
	// Retention is how long a proposal is kept after it is decided, or
	// after it expired unanswered; then Redis drops it. Approvals stay
	// on the actions stream and in the audit log. 0 means 30 days.
	Retention time.Duration
}

// Book proposes, approves and rejects actions. It is safe for concurrent
// use, and any number of Books in any number of processes may share the
// same proposals.
type Book struct {
	rdb         redis.UniversalClient
	stream      string
	undelivered string
	log         *audit.Log
	opt         Options
}

// New returns the Book under prefix (for example "qm:"), recording its
// decisions in log.
func New(rdb redis.UniversalClient, prefix string, log *audit.Log, opt Options) *Book {
	if opt.Policy.TTL <= 0 {
		opt.Policy.TTL = 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.IDs == nil {
		opt.IDs = randomID
	}
	if opt.Retention <= 0 {
		opt.Retention = 30 * 24 * time.Hour
	}
	opt.Roles = cloneMap(opt.Roles) // a later edit of the config must not change decisions halfway
	stream := prefix + "actions"
	return &Book{rdb: rdb, stream: stream, undelivered: "{" + stream + "}:undelivered", log: log, opt: opt}
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Stream is the name of the actions stream.
func (b *Book) Stream() string { return b.stream }

// key is the proposal's hash. It carries the stream's name as its hash
// tag, so the script's keys share a cluster slot.
func (b *Book) key(id string) string { return "{" + b.stream + "}:proposal:" + id }

// reserved are the audit params the Book writes itself; action params
// with these names would be overwritten in the audit entry.
var reserved = []string{"kind", "amount", "hash", "approvals", "needed", "reason", "entry", "idempotency_key"}

// Propose records a as a proposal by the chat user by.
func (b *Book) Propose(ctx context.Context, by string, a Action, src audit.Source) (Proposal, error) {
	role := b.opt.Roles[by]
	if role == "" {
		return Proposal{}, fmt.Errorf("propose %s by %s: user has no role: %w", a.Kind, by, ErrNotAllowed)
	}
	if err := b.validate(a); err != nil {
		return Proposal{}, fmt.Errorf("propose %s by %s: %w", a.Kind, by, err)
	}
	now := b.opt.Now()
	a.Params = cloneMap(a.Params)
	p := Proposal{
		ID: b.opt.IDs(), Action: a, Hash: a.Hash(), By: by, Role: role,
		At: now, Expires: now.Add(b.opt.Policy.TTL), Needed: 1, State: Open,
	}
	if a.Amount >= b.opt.Policy.TwoPersonOver {
		p.Needed = 2
	}
	if err := b.write(ctx, p, 0, ""); err != nil {
		if errors.Is(err, errLost) {
			return Proposal{}, fmt.Errorf("propose %s by %s: id %q already in use", a.Kind, by, p.ID)
		}
		return Proposal{}, fmt.Errorf("propose %s by %s: %w", a.Kind, by, err)
	}
	params := cloneMap(a.Params)
	params["kind"], params["amount"], params["hash"] = a.Kind, formatAmount(a.Amount), p.Hash
	params["needed"] = strconv.Itoa(p.Needed)
	if err := b.audit(ctx, audit.Propose, by, role, p, params, src); err != nil {
		return p, err
	}
	return p, nil
}

func (b *Book) validate(a Action) error {
	if a.Kind == "" {
		return fmt.Errorf("%w: no kind", ErrInvalid)
	}
	if math.IsNaN(a.Amount) || math.IsInf(a.Amount, 0) || a.Amount < 0 {
		return fmt.Errorf("%w: amount %v", ErrInvalid, a.Amount)
	}
	if len(b.opt.Policy.Approvers[a.Kind]) == 0 && len(b.opt.Policy.Approvers["*"]) == 0 {
		// Nobody could ever approve it: refuse now rather than let it expire.
		return fmt.Errorf("%w: no role may approve %q", ErrInvalid, a.Kind)
	}
	for _, k := range reserved {
		if _, ok := a.Params[k]; ok {
			return fmt.Errorf("%w: param name %q is reserved", ErrInvalid, k)
		}
	}
	return nil
}

// Approve records by's approval of proposal id. hash is the action hash
// by was shown; it must be the proposal's, so nobody approves an action
// other than the one they saw. The approval that completes the proposal
// appends the action to the actions stream and delivers it to the webhook;
// if delivery fails the error wraps ErrUndelivered and the proposal is
// returned approved.
func (b *Book) Approve(ctx context.Context, id, by, hash string, src audit.Source) (Proposal, error) {
	role := b.opt.Roles[by]
	p, err := b.update(ctx, id, func(p *Proposal) (string, error) {
		switch {
		case !b.opt.Policy.allows(role, p.Action.Kind):
			return "", ErrNotAllowed
		case p.By == by:
			return "", ErrOwnProposal
		case p.State != Open:
			return "", ErrClosed
		case !b.opt.Now().Before(p.Expires):
			return "", ErrExpired
		case p.Hash != hash:
			return "", ErrStale
		case slices.ContainsFunc(p.Approvals, func(a Approval) bool { return a.By == by }):
			return "", ErrAlreadyApproved
		}
		now := b.opt.Now()
		p.Approvals = append(p.Approvals, Approval{By: by, Role: role, At: now})
		if len(p.Approvals) < p.Needed {
			return "", nil
		}
		p.State, p.Decided = Approved, now
		return "queue", nil
	})
	if err != nil {
		return b.view(p), fmt.Errorf("approve %s by %s: %w", id, by, err)
	}
	params := map[string]string{
		"kind": p.Action.Kind, "hash": p.Hash,
		"approvals": strconv.Itoa(len(p.Approvals)), "needed": strconv.Itoa(p.Needed),
	}
	if err := b.audit(ctx, audit.Approve, by, role, p, params, src); err != nil {
		// The decision is stored but the log missed it. Deliver nothing
		// the log does not show: the action stays undelivered, and the
		// caller reports the error.
		return p, err
	}
	if p.State != Approved {
		return p, nil
	}
	return b.deliver(ctx, p)
}

// Reject closes proposal id without acting on it. The requester may
// withdraw their own proposal; otherwise by needs a role that may approve
// it.
func (b *Book) Reject(ctx context.Context, id, by, reason string, src audit.Source) (Proposal, error) {
	role := b.opt.Roles[by]
	p, err := b.update(ctx, id, func(p *Proposal) (string, error) {
		switch {
		case p.By != by && !b.opt.Policy.allows(role, p.Action.Kind):
			return "", ErrNotAllowed
		case p.State != Open:
			return "", ErrClosed
		case !b.opt.Now().Before(p.Expires):
			return "", ErrExpired
		}
		p.State, p.Decided, p.Reason = Rejected, b.opt.Now(), reason
		return "", nil
	})
	if err != nil {
		return b.view(p), fmt.Errorf("reject %s by %s: %w", id, by, err)
	}
	params := map[string]string{"kind": p.Action.Kind, "hash": p.Hash, "reason": reason}
	return p, b.audit(ctx, audit.Reject, by, role, p, params, src)
}

// Get reads proposal id.
func (b *Book) Get(ctx context.Context, id string) (Proposal, error) {
	p, _, err := b.read(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	return b.view(p), nil
}

// Redeliver sends every approved action the webhook has not accepted yet,
// in proposal id order, and reports how many it delivered. The
// idempotency key makes a second delivery of one action harmless to the
// receiver, so running it beside Approve on another replica is safe.
func (b *Book) Redeliver(ctx context.Context) (int, error) {
	if b.opt.Webhook == nil {
		return 0, nil
	}
	ids, err := b.rdb.SMembers(ctx, b.undelivered).Result()
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", b.undelivered, err)
	}
	slices.Sort(ids) // the same order on every run, for tests and logs
	var n int
	var errs []error
	for _, id := range ids {
		p, _, err := b.read(ctx, id)
		if err == nil {
			_, err = b.deliver(ctx, p)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// deliver sends approved proposal p to the webhook and, after a 2xx,
// marks it executed and audits that.
func (b *Book) deliver(ctx context.Context, p Proposal) (Proposal, error) {
	if b.opt.Webhook == nil || p.State != Approved {
		return p, nil
	}
	if err := b.opt.Webhook.Send(ctx, p.record(), p.IdempotencyKey()); err != nil {
		return p, fmt.Errorf("deliver %s: %w: %w", p.ID, ErrUndelivered, err)
	}
	q, err := b.update(ctx, p.ID, func(q *Proposal) (string, error) {
		if q.State != Approved {
			// Another replica delivered it first and recorded that.
			return "", errUnchanged
		}
		q.State, q.Executed = Executed, b.opt.Now()
		return "done", nil
	})
	if errors.Is(err, errUnchanged) {
		return q, nil
	}
	if err != nil {
		return p, fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	params := map[string]string{"kind": q.Action.Kind, "hash": q.Hash, "entry": q.Entry, "idempotency_key": q.IdempotencyKey()}
	return q, b.audit(ctx, audit.Execute, audit.System, "", q, params, audit.Source{})
}

// update applies change to the stored proposal id and writes the result
// if nobody wrote the proposal in between; otherwise it reads it again
// and checks anew, so every rule is decided on the state that is stored.
// change returns the script's extra step ("queue", "done" or ""). update
// returns the proposal as written, or as read when change refused.
func (b *Book) update(ctx context.Context, id string, change func(*Proposal) (string, error)) (Proposal, error) {
	for range maxAttempts {
		p, v, err := b.read(ctx, id)
		if err != nil {
			return Proposal{}, err
		}
		// change works on a copy, so a refusal returns the stored state.
		q := p
		q.Approvals = slices.Clone(p.Approvals)
		op, err := change(&q)
		if err != nil {
			return p, err
		}
		err = b.write(ctx, q, v, op)
		if errors.Is(err, errLost) {
			continue
		}
		if err != nil {
			return p, err
		}
		if op == "queue" {
			q.Entry, err = b.rdb.HGet(ctx, b.key(id), "entry").Result()
			if err != nil {
				return q, fmt.Errorf("read entry of %s: %w", id, err)
			}
		}
		return q, nil
	}
	return Proposal{}, fmt.Errorf("proposal %s: too many concurrent changes", id)
}

// errLost means another writer changed the proposal first.
var errLost = errors.New("proposal changed")

// write stores p if its version is still v, with the script's extra step op.
func (b *Book) write(ctx context.Context, p Proposal, v int64, op string) error {
	pj, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode proposal %s: %w", p.ID, err)
	}
	var aj []byte
	if op == "queue" {
		if aj, err = json.Marshal(p.record()); err != nil {
			return fmt.Errorf("encode action %s: %w", p.ID, err)
		}
	}
	// Kept for Retention after it is decided, or after it expires if it
	// is still open; an approved action still undelivered stays until it is.
	keep := b.opt.Retention
	if p.State == Open && !p.Expires.IsZero() {
		keep += max(0, p.Expires.Sub(b.opt.Now()))
	}
	if op == "queue" || p.State == Approved {
		keep = 0
	}
	res, err := proposalScript.Run(ctx, b.rdb, []string{b.key(p.ID), b.stream, b.undelivered},
		v, pj, p.ID, op, aj, keep.Milliseconds()).Slice()
	if err != nil {
		return fmt.Errorf("write proposal %s: %w", p.ID, err)
	}
	if ok, _ := res[0].(int64); ok != 1 {
		return errLost
	}
	return nil
}

// read loads proposal id with its version and actions stream entry.
func (b *Book) read(ctx context.Context, id string) (Proposal, int64, error) {
	vals, err := b.rdb.HMGet(ctx, b.key(id), "v", "p", "entry").Result()
	if err != nil {
		return Proposal{}, 0, fmt.Errorf("read proposal %s: %w", id, err)
	}
	vs, _ := vals[0].(string)
	ps, _ := vals[1].(string)
	if vs == "" || ps == "" {
		return Proposal{}, 0, fmt.Errorf("proposal %s: %w", id, ErrUnknown)
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return Proposal{}, 0, fmt.Errorf("read proposal %s: version %q: %w", id, vs, err)
	}
	var p Proposal
	if err := json.Unmarshal([]byte(ps), &p); err != nil {
		return Proposal{}, 0, fmt.Errorf("read proposal %s: %w", id, err)
	}
	p.Entry, _ = vals[2].(string)
	return p, v, nil
}

// view is p as people should see it: open past its expiry reads expired.
func (b *Book) view(p Proposal) Proposal {
	if p.State == Open && !p.Expires.IsZero() && !b.opt.Now().Before(p.Expires) {
		p.State = Expired
	}
	return p
}

// audit appends one decision on p to the audit log.
func (b *Book) audit(ctx context.Context, action, by, role string, p Proposal, params map[string]string, src audit.Source) error {
	_, err := b.log.Append(ctx, audit.Entry{
		Actor: by, Role: role, Action: action, Alert: p.Action.Alert, Target: p.ID,
		Params: params, Source: src,
	})
	if err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, p.ID, err)
	}
	return nil
}

func formatAmount(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
