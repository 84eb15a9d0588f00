package interact

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// commandHelp is what /qm help says.
const commandHelp = "Commands: `status SKU@SITE`, `ack ALERT-ID [note]`, `snooze ALERT-ID 4h`, `assign ALERT-ID`, " +
	"`silence MATCHER... for DURATION [comment]`, `silences`, `unsilence SILENCE-ID`, `ask QUESTION`, `brief`, " +
	"`help`, `help silence`."

// silenceHelp is what /qm help silence says: the one grammar of silence.
const silenceHelp = "`silence MATCHER... for DURATION [comment]` mutes in chat every alert all the matchers match, " +
	"for up to 7d; everything after the duration is the comment. " +
	"A matcher is `name=value`, `name!=value`, `name=~regex` or `name!~regex` (a regex must match the whole value; " +
	"values have no spaces), `SKU@SITE` (sku and site), or an alert id (every episode of that alert). " +
	"Names: id, fingerprint, kind, tier, sku, site, owner, state, supplier and the alert's other labels. " +
	"A duration is like 90m, 4h or 2d. Example: `silence kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2) for 4h cycle count`. " +
	"`silences` lists them; `unsilence SILENCE-ID` ends one."

// Command answers a chat command's text (Slack's /qm): a position's
// status; a request about an alert, which goes through Handle and so
// through the same role check and audit as a button; a silence, created
// or ended under the same rules; a question (ask) or the briefing (brief),
// answered for the asker's role, "" for people without one.
func (h *Handler) Command(ctx context.Context, platform, user, channel, text string) (string, error) {
	f := strings.Fields(text)
	if len(f) == 0 || f[0] == "help" {
		if len(f) > 1 && f[1] == "silence" {
			return silenceHelp, nil
		}
		return commandHelp, nil
	}
	// rest is the text after the command word, as typed.
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), f[0]))
	src := audit.Source{Platform: platform, Channel: channel}
	need := func(n int) error {
		if len(f) < n {
			return fmt.Errorf("%q needs more: %s", f[0], commandHelp)
		}
		return nil
	}
	switch f[0] {
	case "status":
		if err := need(2); err != nil {
			return "", err
		}
		if h.Status == nil {
			return "", fmt.Errorf("status is not available here")
		}
		return h.Status(ctx, f[1])
	case "ack":
		if err := need(2); err != nil {
			return "", err
		}
		return h.Handle(ctx, Request{Kind: Ack, Alert: f[1], User: user, Note: strings.Join(f[2:], " "), Source: src})
	case "snooze":
		if err := need(3); err != nil {
			return "", err
		}
		d, err := time.ParseDuration(f[2])
		if err != nil {
			return "", fmt.Errorf("snooze for %q: want a duration such as 4h", f[2])
		}
		return h.Handle(ctx, Request{Kind: Snooze, Alert: f[1], User: user, Snooze: d, Source: src})
	case "assign":
		if err := need(2); err != nil {
			return "", err
		}
		return h.Handle(ctx, Request{Kind: Assign, Alert: f[1], User: user, Source: src})
	case "silence":
		return h.silence(ctx, user, src, f[1:])
	case "silences":
		return h.silences(ctx)
	case "unsilence":
		if err := need(2); err != nil {
			return "", err
		}
		return h.unsilence(ctx, user, src, f[1])
	case "ask":
		if h.Ask == nil {
			return "", errors.New("ask is not available here")
		}
		if rest == "" {
			return "", errors.New("ask what? For example `ask which positions at DC-EAST stock out this week?`")
		}
		return h.Ask(ctx, user, h.Roles[user], rest)
	case "brief":
		if h.Brief == nil {
			return "", errors.New("brief is not available here")
		}
		return h.Brief(ctx, user, h.Roles[user])
	}
	return "", fmt.Errorf("unknown command %q. %s", f[0], commandHelp)
}
