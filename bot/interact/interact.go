// Package interact carries out what people ask of alerts from chat (a
// button, a slash command): acknowledge, snooze, assign, silence. Every
// request that changes something is checked against the asker's role and
// written to the audit log before it takes effect, whichever platform it
// came from.
package interact

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// Kinds of request.
const (
	Ack     = "ack"
	Snooze  = "snooze"
	Assign  = "assign"
	Propose = "propose" // propose the alert's planned action for approval
	Approve = "approve"
	Reject  = "reject"
)

// Request is one person's request about one alert.
type Request struct {
	Kind   string
	Alert  string        // the alert id
	User   string        // the platform's user id
	Snooze time.Duration // for Snooze
	Note   string        // for Ack and Reject; the person's own words
	// Proposal and Hash name the proposal approved or rejected and the
	// exact action the person saw: an approval of anything else is refused.
	Proposal, Hash string
	Source         audit.Source
}

// Button action ids, shared by every platform's messages and parsed by
// ParseButton: one list, so a button rendered is a button understood.
const (
	ButtonAck       = "qm_ack"
	ButtonSnooze1h  = "qm_snooze_1h"
	ButtonSnooze4h  = "qm_snooze_4h"
	ButtonSnooze24h = "qm_snooze_24h"
	ButtonAssign    = "qm_assign"
	ButtonPropose   = "qm_propose"
	ButtonApprove   = "qm_approve"
	ButtonReject    = "qm_reject"
)

// Func carries out one request and returns the reply for the asker; each
// chat platform's interaction endpoint calls one (Handler.Handle).
type Func func(ctx context.Context, r Request) (string, error)

// ErrNoRole means the asker has no role in the policy file: only people
// the operators named may change alerts.
var ErrNoRole = errors.New("you have no role in Quartermaster's policy (ask an admin to add your user id under roles)")

// Handler carries out requests.
type Handler struct {
	Alerts *alert.Manager
	Roles  map[string]string // user id -> role
	Audit  *audit.Log
	Book   *approve.Book // proposals and approvals; nil turns them off
	// Status describes a position ("SKU@SITE") from validated state, for
	// the status command; nil turns it off.
	Status func(ctx context.Context, position string) (string, error)
	// Silences mute matching alerts in chat for a while; nil turns the
	// silence, silences and unsilence commands off.
	Silences *silence.Store
	// Ask answers a question in chat from validated metrics, as the
	// asker's role may see them (role "" is the most restricted view);
	// Brief writes the daily briefing for a role. Nil turns either off.
	Ask   func(ctx context.Context, user, role, question string) (string, error)
	Brief func(ctx context.Context, user, role string) (string, error)
}

// maxSnooze bounds a snooze: an alert snoozed for a month is a lost alert.
const maxSnooze = 7 * 24 * time.Hour

// Handle checks, audits and carries out r, and returns a short reply for
// the asker. The audit entry is written first, so nothing happens that the
// log does not show.
func (h *Handler) Handle(ctx context.Context, r Request) (string, error) {
	switch r.Kind {
	case Propose, Approve, Reject:
		return h.decide(ctx, r)
	}
	role := h.Roles[r.User]
	if role == "" {
		return "", ErrNoRole
	}
	if _, _, err := alert.ParseID(r.Alert); err != nil {
		return "", err
	}
	params := map[string]string{}
	switch r.Kind {
	case Ack:
		if r.Note != "" {
			params["note"] = r.Note
		}
	case Snooze:
		if r.Snooze <= 0 || r.Snooze > maxSnooze {
			return "", fmt.Errorf("snooze for %s: want more than 0 and at most %s", r.Snooze, maxSnooze)
		}
		params["for"] = r.Snooze.String()
	case Assign:
		params["assignee"] = r.User
	default:
		return "", fmt.Errorf("unknown request %q", r.Kind)
	}
	if _, err := h.Audit.Append(ctx, audit.Entry{Actor: r.User, Role: role, Action: auditAction(r.Kind),
		Alert: r.Alert, Target: r.Alert, Params: params, Source: r.Source}); err != nil {
		return "", fmt.Errorf("audit %s of %s: %w", r.Kind, r.Alert, err)
	}
	var a *alert.Alert
	var err error
	switch r.Kind {
	case Ack:
		a, err = h.Alerts.Acknowledge(ctx, r.Alert, r.User, r.Note, nil)
	case Snooze:
		a, err = h.Alerts.Snooze(ctx, r.Alert, r.User, r.Snooze)
	case Assign:
		a, err = h.Alerts.Assign(ctx, r.Alert, r.User)
	}
	if err != nil {
		return "", err
	}
	if a == nil {
		return "Nothing to change: the alert is resolved, superseded, or already so.", nil
	}
	switch r.Kind {
	case Ack:
		return "Acknowledged " + r.Alert + ".", nil
	case Snooze:
		return "Snoozed " + r.Alert + " until " + a.SnoozedUntil.Format("Jan 02 15:04 MST") + " (sooner if it escalates).", nil
	}
	return "Assigned " + r.Alert + " to you.", nil
}

func auditAction(kind string) string {
	switch kind {
	case Ack:
		return audit.Ack
	case Snooze:
		return audit.Snooze
	}
	return audit.Assign
}

// snoozePrefix starts every snooze button: qm_snooze_<hours>h.
const snoozePrefix = "qm_snooze_"

// ParseButton turns a button's action id and value into a request. The
// value of qm_ack, qm_snooze_<n>h, qm_assign and qm_propose is the alert
// id; that of qm_approve and qm_reject is "<proposal id>|<hash>", the full
// hex SHA-256 of the action the clicker saw, which the approval must match.
// Discord's custom ids are "<action id>:<value>", cut at the first colon.
func ParseButton(actionID, value, user string, src audit.Source) (Request, error) {
	r := Request{Alert: value, User: user, Source: src}
	switch {
	case actionID == ButtonAck:
		r.Kind = Ack
	case actionID == ButtonAssign:
		r.Kind = Assign
	case actionID == ButtonPropose:
		if _, _, err := alert.ParseID(value); err != nil {
			return r, fmt.Errorf("button %q: %w", actionID, err)
		}
		r.Kind = Propose
	case actionID == ButtonApprove || actionID == ButtonReject:
		id, hash, ok := strings.Cut(value, "|")
		if !ok || id == "" || strings.ContainsAny(id, "| \t\r\n") || !isSHA256Hex(hash) {
			return r, fmt.Errorf("button %q: value %q: want <proposal id>|<64 hex digits>", actionID, value)
		}
		r.Kind, r.Alert, r.Proposal, r.Hash = Approve, "", id, hash
		if actionID == ButtonReject {
			r.Kind = Reject
		}
	case strings.HasPrefix(actionID, snoozePrefix) && len(actionID) > len(snoozePrefix)+1:
		spec := actionID[len(snoozePrefix):]
		n, err := strconv.Atoi(spec[:len(spec)-1])
		if err != nil || spec[len(spec)-1] != 'h' {
			return r, fmt.Errorf("button %q: want qm_snooze_<hours>h", actionID)
		}
		r.Kind, r.Snooze = Snooze, time.Duration(n)*time.Hour
	default:
		return r, fmt.Errorf("unknown button %q", actionID)
	}
	return r, nil
}

// isSHA256Hex reports whether s is a SHA-256 in lower-case hex, as
// approve.Action.Hash writes it.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// decide handles proposals: the approval book checks roles, the two-person
// rule and the action's hash, and writes the audit log itself; the alert
// then shows where its proposal stands.
func (h *Handler) decide(ctx context.Context, r Request) (string, error) {
	if h.Book == nil {
		return "", errors.New("approvals are not configured")
	}
	var p approve.Proposal
	var err error
	switch r.Kind {
	case Propose:
		cur, gerr := h.Alerts.Get(ctx, r.Alert)
		if gerr != nil {
			return "", gerr
		}
		if cur == nil || cur.Planned == nil || cur.State == alert.Resolved {
			return "", errors.New("this alert has no open action to propose")
		}
		p, err = h.Book.Propose(ctx, r.User, approve.Action{Kind: cur.Planned.Kind, Alert: r.Alert,
			Params: cur.Planned.Params, Amount: cur.Planned.Amount}, r.Source)
	case Approve:
		p, err = h.Book.Approve(ctx, r.Proposal, r.User, r.Hash, r.Source)
	case Reject:
		p, err = h.Book.Reject(ctx, r.Proposal, r.User, r.Note, r.Source)
	}
	if p.ID == "" {
		return "", err
	}
	// The proposal moved even when delivery failed: show it, then report.
	ref := alert.ProposalRef{ID: p.ID, Hash: p.Hash, State: string(p.State), By: p.By, Needed: p.Needed}
	for _, a := range p.Approvals {
		ref.Approvers = append(ref.Approvers, a.By)
	}
	if _, serr := h.Alerts.SetProposal(ctx, p.Action.Alert, ref); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return "", err
	}
	switch r.Kind {
	case Propose:
		return fmt.Sprintf("Proposed %s (%s): it needs %d approval(s).", p.Action.Kind, p.ID, p.Needed), nil
	case Reject:
		return "Rejected " + p.ID + ".", nil
	}
	if len(p.Approvals) < p.Needed {
		return fmt.Sprintf("Approved %s: %d of %d approvals.", p.ID, len(p.Approvals), p.Needed), nil
	}
	return fmt.Sprintf("Approved %s: the action is %s.", p.ID, p.State), nil
}
