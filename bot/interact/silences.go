package interact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// Audit actions of silences. audit.Action is an open set; these name what
// people decided, as audit.Ack and audit.Snooze do.
const (
	AuditSilence   = "silence"
	AuditUnsilence = "unsilence"
)

// untilLayout is how replies show when something ends, as for snoozes.
const untilLayout = "Jan 02 15:04 MST"

var errNoSilences = errors.New("silences are not available here")

// silence handles `silence MATCHER... for DURATION [comment]`. The first
// bare word "for" ends the matchers: a matcher is never a bare word.
func (h *Handler) silence(ctx context.Context, user string, src audit.Source, args []string) (string, error) {
	if h.Silences == nil {
		return "", errNoSilences
	}
	role := h.Roles[user]
	if role == "" {
		return "", ErrNoRole
	}
	at := slices.Index(args, "for")
	if at < 1 || at+1 >= len(args) {
		return "", errors.New("want `silence MATCHER... for DURATION [comment]`, for example " +
			"`silence kind=stockout_risk site=DC-EAST for 4h cycle count` (`help silence` says more)")
	}
	ms, err := silence.ParseMatchers(strings.Join(args[:at], " "))
	if err != nil {
		return "", err
	}
	d, err := silence.ParseDuration(args[at+1])
	if err != nil {
		return "", err
	}
	sil, err := h.Silences.Draft(ms, d, user, strings.Join(args[at+2:], " "))
	if err != nil {
		return "", err
	}
	if _, err := h.Audit.Append(ctx, audit.Entry{Actor: user, Role: role, Action: AuditSilence,
		Target: sil.ID, Params: silenceParams(sil), Source: src}); err != nil {
		return "", fmt.Errorf("audit silence %s: %w", sil.ID, err)
	}
	if sil, err = h.Silences.Create(ctx, sil); err != nil {
		return "", err
	}
	return fmt.Sprintf("Silenced `%s` until %s (%s): matching alerts still change but are not sent to chat. `unsilence %s` ends it sooner.",
		sil.Matchers, sil.EndsAt.Format(untilLayout), sil.ID, sil.ID), nil
}

// silenceParams are the audit entry's parameters of a silence.
func silenceParams(sil silence.Silence) map[string]string {
	return map[string]string{
		"matchers": sil.Matchers.String(),
		"until":    sil.EndsAt.UTC().Format(time.RFC3339),
		"comment":  sil.Comment,
	}
}

// unsilence handles `unsilence SILENCE-ID`: the silence is read first, so
// the audit entry says what was unsilenced and nothing is audited for a
// silence that does not exist or has ended.
func (h *Handler) unsilence(ctx context.Context, user string, src audit.Source, id string) (string, error) {
	if h.Silences == nil {
		return "", errNoSilences
	}
	role := h.Roles[user]
	if role == "" {
		return "", ErrNoRole
	}
	sil, err := h.Silences.Live(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := h.Audit.Append(ctx, audit.Entry{Actor: user, Role: role, Action: AuditUnsilence,
		Target: sil.ID, Params: silenceParams(sil), Source: src}); err != nil {
		return "", fmt.Errorf("audit unsilence %s: %w", sil.ID, err)
	}
	if err := h.Silences.Expire(ctx, sil.ID, user); err != nil {
		return "", err
	}
	return fmt.Sprintf("Ended silence %s (`%s`): matching alerts reach chat again from their next change.", sil.ID, sil.Matchers), nil
}

// silences handles `silences`: one line per live silence. Anyone may
// list them, as anyone may ask for a status.
func (h *Handler) silences(ctx context.Context) (string, error) {
	if h.Silences == nil {
		return "", errNoSilences
	}
	list, err := h.Silences.List(ctx)
	if len(list) == 0 {
		if err != nil {
			return "", err
		}
		return "No active silences.", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d active silence(s):", len(list))
	for _, s := range list {
		fmt.Fprintf(&b, "\n%s  `%s`  until %s  by %s", s.ID, s.Matchers, s.EndsAt.Format(untilLayout), s.CreatedBy)
		if s.Comment != "" {
			b.WriteString("  " + s.Comment)
		}
	}
	if err != nil { // some records unreadable: show the rest, say so
		b.WriteString("\n(" + err.Error() + ")")
	}
	return b.String(), nil
}
