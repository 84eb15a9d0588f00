package interact

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// commandHelp is what /qm help says.
const commandHelp = "Commands: `status SKU@SITE`, `ack ALERT-ID [note]`, `snooze ALERT-ID 4h`, `assign ALERT-ID`, `help`."

// Command answers a chat command's text (Slack's /qm): a position's
// status, or a request about an alert, which goes through Handle and so
// through the same role check and audit as a button.
func (h *Handler) Command(ctx context.Context, platform, user, channel, text string) (string, error) {
	f := strings.Fields(text)
	if len(f) == 0 || f[0] == "help" {
		return commandHelp, nil
	}
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
	}
	return "", fmt.Errorf("unknown command %q. %s", f[0], commandHelp)
}
