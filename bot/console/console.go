// Package console is the chat adapter for a terminal: with no chat token,
// every alert change is printed as one readable line, so the demo and a
// first run are fully usable without Slack or Discord.
package console

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// Notifier prints alert changes to a writer.
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
}

// New returns a Notifier writing to w.
func New(w io.Writer) *Notifier { return &Notifier{w: w} }

// Notify prints one line for one alert change; a terminal has no message
// to edit, so every change is a new line. It implements notify.Notifier
// and is safe for concurrent use.
func (n *Notifier) Notify(_ context.Context, channel string, a alert.Alert, _ *notify.Ref) (notify.Ref, error) {
	line := Format(a)
	if a.Summary != "" {
		// The summary reads as a second, indented line of the same change.
		line += "\n    " + strings.ReplaceAll(a.Summary, "\n", "\n    ")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := fmt.Fprintln(n.w, line); err != nil {
		return notify.Ref{}, &notify.Error{Err: fmt.Errorf("console: %w", err)}
	}
	return notify.Ref{Channel: channel, Message: a.ID}, nil
}

// Format renders an alert change as one line: time, tier, change, kind, SKU-site,
// stockout date and time to impact, money at risk, action, owner, id.
func Format(a alert.Alert) string {
	var b strings.Builder
	about := a.SKU + "@" + a.Site
	if a.SKU == "" && (a.Supplier != "" || a.Source != "") {
		about = a.Subject()
	}
	fmt.Fprintf(&b, "%s  %-10s %-12s %-15s %s", a.DetectedAt.Format("Jan 02 15:04"), strings.ToUpper(string(a.Tier)), a.Change, a.Kind, about)
	if a.State == alert.Resolved {
		fmt.Fprintf(&b, "  resolved: the condition cleared  [%s]", a.ID)
		return b.String()
	}
	if a.StockoutDate != "" {
		fmt.Fprintf(&b, "  stockout %s (in %s)", a.StockoutDate, hours(a.TimeToImpactHours))
	}
	if a.DaysOfSupply != nil {
		fmt.Fprintf(&b, "  %.1f days of supply", *a.DaysOfSupply)
	}
	fmt.Fprintf(&b, "  %s at risk  -> %s  owner %s", Money(a.RevenueAtRisk), a.RecommendedAction, a.Owner)
	switch {
	case a.State == alert.Acknowledged:
		fmt.Fprintf(&b, "  (acknowledged by %s)", a.AcknowledgedBy)
	case a.State == alert.Snoozed && a.SnoozedUntil != nil:
		fmt.Fprintf(&b, "  (snoozed until %s)", a.SnoozedUntil.Format("Jan 02 15:04"))
	}
	if a.Assignee != "" {
		fmt.Fprintf(&b, "  (assigned to %s)", a.Assignee)
	}
	fmt.Fprintf(&b, "  [%s]", a.ID)
	return b.String()
}

func hours(h float64) string {
	if h < 48 {
		return strconv.FormatFloat(math.Round(h), 'f', 0, 64) + "h"
	}
	return strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + "d"
}

// Money formats an amount with thousands separators and no cents:
// 43400.5 -> "$43,401". It is notify.Money, kept here for the callers that
// render alerts.
func Money(v float64) string { return notify.Money(v) }
