// Package interact carries out what people ask of an alert from chat (a
// button, a slash command): acknowledge, snooze, assign. Every request is
// checked against the asker's role and written to the audit log before it
// takes effect, whichever platform it came from.
package interact

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// Kinds of request.
const (
	Ack    = "ack"
	Snooze = "snooze"
	Assign = "assign"
)

// Request is one person's request about one alert.
type Request struct {
	Kind   string
	Alert  string        // the alert id
	User   string        // the platform's user id
	Snooze time.Duration // for Snooze
	Note   string        // for Ack; the person's own words
	Source audit.Source
}

// ErrNoRole means the asker has no role in the policy file: only people
// the operators named may change alerts.
var ErrNoRole = errors.New("you have no role in Quartermaster's policy (ask an admin to add your user id under roles)")

// Handler carries out requests.
type Handler struct {
	Alerts *alert.Manager
	Roles  map[string]string // user id -> role
	Audit  *audit.Log
}

// maxSnooze bounds a snooze: an alert snoozed for a month is a lost alert.
const maxSnooze = 7 * 24 * time.Hour

// Handle checks, audits and carries out r, and returns a short reply for
// the asker. The audit entry is written first, so nothing happens that the
// log does not show.
func (h *Handler) Handle(ctx context.Context, r Request) (string, error) {
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

// ParseButton turns a button's action id (qm_ack, qm_snooze_4h, qm_assign)
// and value (the alert id) into a request.
func ParseButton(actionID, value, user string, src audit.Source) (Request, error) {
	r := Request{Alert: value, User: user, Source: src}
	switch {
	case actionID == "qm_ack":
		r.Kind = Ack
	case actionID == "qm_assign":
		r.Kind = Assign
	case len(actionID) > len("qm_snooze_") && actionID[:len("qm_snooze_")] == "qm_snooze_":
		spec := actionID[len("qm_snooze_"):]
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
