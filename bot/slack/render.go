package slack

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/quartermaster-ops/quartermaster/bot/console"
	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// Slack's limits on what one message may hold. Text over a limit makes
// Slack refuse the whole message (invalid_blocks), so render cuts it first
// and logs the cut.
//
// Block Kit: https://docs.slack.dev/reference/block-kit/blocks
// chat.postMessage: https://docs.slack.dev/reference/methods/chat.postMessage
const (
	maxHeaderChars  = 150  // header block: plain_text, https://docs.slack.dev/reference/block-kit/blocks/header-block
	maxSectionChars = 3000 // section block text, https://docs.slack.dev/reference/block-kit/blocks/section-block
	maxFields       = 10   // fields per section block, ibid.
	maxFieldChars   = 2000 // each field's text, ibid.
	maxContextChars = 3000 // each context element's text, https://docs.slack.dev/reference/block-kit/blocks/context-block
	maxBlocks       = 50   // blocks per message, https://docs.slack.dev/reference/block-kit/blocks
	maxActions      = 25   // elements per actions block, https://docs.slack.dev/reference/block-kit/blocks/actions-block
	maxButtonChars  = 75   // a button's text, https://docs.slack.dev/reference/block-kit/block-elements/button-element
	maxValueChars   = 2000 // a button's value, ibid.
	// maxTextChars bounds the top-level text, the notification fallback.
	// Slack truncates at 40,000 characters but advises staying under
	// 4,000: https://docs.slack.dev/reference/methods/chat.postMessage#truncating
	maxTextChars = 4000
)

// Block ids, stable so that a handler can find a block in an edited message.
const (
	blockHeader  = "qm_header"
	blockFacts   = "qm_facts"
	blockSummary = "qm_summary"
	blockAction  = "qm_action"
	blockContext = "qm_context"
	blockActions = "qm_actions"
	// The proposal's status line and its buttons (propose, or approve and
	// reject), kept apart from qm_actions so each set has one primary button.
	blockProposal        = "qm_proposal"
	blockProposalActions = "qm_proposal_actions"
)

type message struct {
	blocks []slackapi.Block
	text   string // the fallback shown in notifications and by clients without Block Kit
}

// shown is what a revision displayed, kept to say what the next one changed.
type shown struct {
	tier          score.Tier
	revenue       float64
	stockout      string
	owner, action string
}

func shownOf(a alert.Alert) shown {
	return shown{tier: a.Tier, revenue: a.RevenueAtRisk, stockout: a.StockoutDate, owner: a.Owner, action: a.RecommendedAction}
}

// render builds the message for one revision of an alert as of now.
func (n *Notifier) render(a alert.Alert, now time.Time) message {
	resolved := a.State == alert.Resolved
	header := fmt.Sprintf("%s %s: %s", emoji(a), kindTitle(a.Kind), subject(a))
	if resolved {
		header = fmt.Sprintf("%s Resolved: %s %s", emoji(a), kindTitle(a.Kind), subject(a))
	}
	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(plain(n.truncate(a.ID, "header", header, maxHeaderChars)), slackapi.HeaderBlockOptionBlockID(blockHeader)),
	}

	var fields []*slackapi.TextBlockObject
	field := func(label, value string) {
		fields = append(fields, mrkdwn(n.truncate(a.ID, "field "+label, "*"+label+"*\n"+value, maxFieldChars)))
	}
	field("Tier", title(string(a.Tier)))
	field("State", stateText(a))
	if !resolved {
		switch {
		case a.StockoutDate != "":
			field("Stockout", fmt.Sprintf("%s (%s)", escape(a.StockoutDate), impact(a, now)))
		case a.TimeToImpactHours > 0:
			field("Time to impact", impact(a, now))
		}
	}
	if a.DaysOfSupply != nil && !resolved {
		field("Days of supply", strconv.FormatFloat(*a.DaysOfSupply, 'f', 1, 64))
	}
	field("Revenue at risk", console.Money(a.RevenueAtRisk))
	field("Owner", n.owner(a))
	if a.ResponseClass != "" {
		field("Response", strings.ReplaceAll(string(a.ResponseClass), "_", " "))
	}
	// The planned action is what Propose would propose; once resolved it is
	// kept only as the record of a proposal made of it.
	if a.Planned != nil && (!resolved || a.Proposal != nil) {
		field("Planned action", escapeLine(a.Planned.String())+" · "+console.Money(a.Planned.Amount))
	}
	if len(fields) > maxFields {
		n.log.Warn("slack section fields dropped", "alert", a.ID, "fields", len(fields), "limit", maxFields)
		fields = fields[:maxFields]
	}
	if a.Summary != "" && !resolved {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(n.truncate(a.ID, "summary", escape(a.Summary), maxSectionChars)), nil, nil, slackapi.SectionBlockOptionBlockID(blockSummary)))
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil, slackapi.SectionBlockOptionBlockID(blockFacts)))

	action := "*Recommended action*\n" + escape(a.RecommendedAction)
	if resolved {
		action = "_The condition cleared; nothing to do._"
	}
	if resolved || a.RecommendedAction != "" {
		blocks = append(blocks, slackapi.NewSectionBlock(mrkdwn(n.truncate(a.ID, "recommended action", action, maxSectionChars)), nil, nil, slackapi.SectionBlockOptionBlockID(blockAction)))
	}
	if a.Proposal != nil {
		blocks = append(blocks, slackapi.NewContextBlock(blockProposal, mrkdwn(n.truncate(a.ID, "proposal", proposalText(a.Proposal), maxContextChars))))
	}
	if buttons := n.proposalButtons(a); len(buttons) > 0 {
		blocks = append(blocks, n.actions(a.ID, blockProposalActions, buttons))
	}

	ctx := fmt.Sprintf("`%s` · revision %d · detected %s", escape(a.ID), a.Revision, date(a.DetectedAt))
	if resolved && a.ResolvedAt != nil {
		ctx += " · resolved " + date(*a.ResolvedAt)
	}
	elems := []slackapi.MixedElement{mrkdwn(n.truncate(a.ID, "context", ctx, maxContextChars))}
	if ev := evidence(a.Evidence); ev != "" && !resolved {
		elems = append(elems, mrkdwn(n.truncate(a.ID, "evidence", ev, maxContextChars)))
	}
	blocks = append(blocks, slackapi.NewContextBlock(blockContext, elems...))

	// A resolved alert has nothing left to press; an acknowledged one has
	// nothing left to acknowledge.
	if !resolved {
		var buttons []slackapi.BlockElement
		if a.State != alert.Acknowledged {
			buttons = append(buttons, button(interact.ButtonAck, a.ID, "Acknowledge").WithStyle(slackapi.StylePrimary))
		}
		buttons = append(buttons,
			button(interact.ButtonSnooze1h, a.ID, "Snooze 1h"),
			button(interact.ButtonSnooze4h, a.ID, "Snooze 4h"),
			button(interact.ButtonSnooze24h, a.ID, "Snooze 24h"),
			button(interact.ButtonAssign, a.ID, "Assign to me"),
		)
		blocks = append(blocks, n.actions(a.ID, blockActions, buttons))
	}
	if len(blocks) > maxBlocks {
		n.log.Warn("slack blocks dropped", "alert", a.ID, "blocks", len(blocks), "limit", maxBlocks)
		blocks = blocks[:maxBlocks]
	}
	return message{blocks: blocks, text: n.truncate(a.ID, "text", n.fallback(a, now), maxTextChars)}
}

// proposalButtons are the buttons of the proposal flow: Propose while the
// planned action has no live proposal (none yet, or the last one was
// rejected or expired) and the alert is open; Approve and Reject while a
// proposal is open and the alert is not resolved (no money for a cleared
// condition). Approve and Reject carry the proposal's hash, so a click
// approves exactly the action this message showed.
func (n *Notifier) proposalButtons(a alert.Alert) []slackapi.BlockElement {
	p := a.Proposal
	switch {
	case a.AwaitsApproval():
		value := p.ID + "|" + p.Hash
		if p.ID == "" || p.Hash == "" || len(value) > maxValueChars {
			// A cut value would name another proposal or none.
			n.log.Warn("slack approve and reject buttons left out: bad proposal id or hash", "alert", a.ID, "proposal", p.ID, "length", len(value), "limit", maxValueChars)
			return nil
		}
		return []slackapi.BlockElement{
			button(interact.ButtonApprove, value, "Approve").WithStyle(slackapi.StylePrimary),
			button(interact.ButtonReject, value, "Reject").WithStyle(slackapi.StyleDanger),
		}
	case a.CanPropose():
		label := n.truncate(a.ID, "propose button", "Propose: "+a.Planned.String(), maxButtonChars)
		return []slackapi.BlockElement{button(interact.ButtonPropose, a.ID, label).WithStyle(slackapi.StylePrimary)}
	}
	return nil
}

// actions is an actions block, cut to Slack's limit on its elements.
func (n *Notifier) actions(alertID, blockID string, buttons []slackapi.BlockElement) *slackapi.ActionBlock {
	if len(buttons) > maxActions {
		n.log.Warn("slack buttons dropped", "alert", alertID, "block", blockID, "buttons", len(buttons), "limit", maxActions)
		buttons = buttons[:maxActions]
	}
	return slackapi.NewActionBlock(blockID, buttons...)
}

// proposalText says where a proposal stands: "Proposal p1: open, proposed
// by U1, approved by U2 (1 of 2)".
func proposalText(p *alert.ProposalRef) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Proposal `%s`: %s", escapeLine(p.ID), escapeLine(p.State))
	if p.By != "" {
		b.WriteString(", proposed by " + escapeLine(p.By))
	}
	by := "no one yet"
	if len(p.Approvers) > 0 {
		names := make([]string, len(p.Approvers))
		for i, s := range p.Approvers {
			names[i] = escapeLine(s)
		}
		by = strings.Join(names, ", ")
	}
	b.WriteString(", approved by " + by)
	if p.Needed > 0 {
		fmt.Fprintf(&b, " (%d of %d)", len(p.Approvers), p.Needed)
	}
	return b.String()
}

// fallback is the message's plain text: what a phone notification shows.
// For a critical alert it starts with the owner's mention, the only place
// a new message pages anyone (the Owner field repeats it for the reader).
func (n *Notifier) fallback(a alert.Alert, now time.Time) string {
	if a.State == alert.Resolved {
		return fmt.Sprintf("Resolved: %s %s [%s]", kindTitle(a.Kind), escape(subject(a)), escape(a.ID))
	}
	var b strings.Builder
	if m, ok := n.mentions[a.Owner]; ok && a.Tier == score.Critical {
		b.WriteString(m + " ")
	}
	fmt.Fprintf(&b, "%s %s: %s", strings.ToUpper(string(a.Tier)), kindTitle(a.Kind), escape(subject(a)))
	if a.StockoutDate != "" {
		fmt.Fprintf(&b, ", stockout %s (%s)", escape(a.StockoutDate), impact(a, now))
	}
	fmt.Fprintf(&b, ", %s at risk", console.Money(a.RevenueAtRisk))
	if a.RecommendedAction != "" {
		fmt.Fprintf(&b, ". %s", escapeLine(a.RecommendedAction))
	}
	if a.State == alert.Acknowledged {
		fmt.Fprintf(&b, " (acknowledged by %s)", escapeLine(a.AcknowledgedBy))
	}
	fmt.Fprintf(&b, " [%s]", escape(a.ID))
	return b.String()
}

// owner names the alert's owner; for a critical alert with a mapping it
// is the mention itself, so the reader sees who was paged.
func (n *Notifier) owner(a alert.Alert) string {
	name := escapeLine(a.Owner)
	if name == "" {
		name = "unassigned"
	}
	if m, ok := n.mentions[a.Owner]; ok && a.Tier == score.Critical && a.State != alert.Resolved {
		return m + " (" + name + ")"
	}
	return name
}

// replyText says in one line what a revision changed, for the thread. It
// mentions no one: a thread reply that paged people on every update would
// teach them to mute the channel. Notify adds the owner's mention to the
// few that page (alert.Alert.Pages).
func replyText(a alert.Alert, was *shown, now time.Time) string {
	switch {
	case a.State == alert.Resolved:
		if a.ResolvedAt != nil {
			return "Resolved: the condition cleared at " + a.ResolvedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		return "Resolved: the condition cleared"
	case a.Change == alert.Acknowledge || a.State == alert.Acknowledged && a.Change == "":
		by := escapeLine(a.AcknowledgedBy)
		if by == "" {
			by = "someone"
		}
		return "Acknowledged by " + by
	case a.Change == alert.Proposed && a.Proposal != nil:
		return proposalText(a.Proposal)
	case a.State == alert.Snoozed:
		return "Snoozed"
	}

	var lead string
	switch a.Change {
	case alert.Escalated:
		lead = "Escalated to " + string(a.Tier)
	case alert.Deescalated:
		lead = "De-escalated to " + string(a.Tier)
	case alert.Raised:
		lead = "Raised again as " + string(a.Tier)
	case alert.Repeated:
		lead = "Still firing, unacknowledged"
	default:
		lead = "Updated"
	}
	parts := []string{"revenue at risk " + console.Money(a.RevenueAtRisk)}
	if was != nil && console.Money(was.revenue) != console.Money(a.RevenueAtRisk) {
		parts[0] += " (was " + console.Money(was.revenue) + ")"
	}
	if a.StockoutDate != "" {
		s := "stockout " + escape(a.StockoutDate)
		if was != nil && was.stockout != "" && was.stockout != a.StockoutDate {
			s += " (was " + escape(was.stockout) + ")"
		}
		parts = append(parts, s)
	} else if was != nil && was.stockout != "" {
		parts = append(parts, "no stockout projected (was "+escape(was.stockout)+")")
	}
	if was != nil && was.owner != a.Owner {
		parts = append(parts, "owner "+escapeLine(a.Owner)+" (was "+escapeLine(was.owner)+")")
	}
	if was != nil && was.action != a.RecommendedAction && a.RecommendedAction != "" {
		parts = append(parts, "action: "+escapeLine(a.RecommendedAction))
	}
	return lead + ": " + strings.Join(parts, ", ")
}

// truncate cuts s to at most limit characters on a rune boundary, ending
// in "…", and logs the cut with the alert id: a cut is never silent.
func (n *Notifier) truncate(alertID, what, s string, limit int) string {
	count := utf8.RuneCountInString(s)
	if count <= limit {
		return s
	}
	n.log.Warn("slack text truncated to the platform limit", "alert", alertID, "part", what, "chars", count, "limit", limit)
	cut := 0
	for i := range s {
		if cut == limit-1 {
			return s[:i] + "…"
		}
		cut++
	}
	return s // unreachable: count > limit
}

// evidence lists the scalar metrics behind an alert, by name, so a reader
// can check the figures without opening another tool. Nested values are
// left to the console and the alert stream.
func evidence(ev map[string]any) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(ev)) {
		switch v := ev[k].(type) {
		case float64:
			parts = append(parts, escape(k)+" "+strconv.FormatFloat(v, 'f', -1, 64))
		case int, int64, bool:
			parts = append(parts, fmt.Sprintf("%s %v", escape(k), v))
		case string:
			parts = append(parts, escape(k)+" "+escapeLine(v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Evidence: " + strings.Join(parts, " · ")
}

func emoji(a alert.Alert) string {
	if a.State == alert.Resolved {
		return ":white_check_mark:"
	}
	switch a.Tier {
	case score.Critical:
		return ":rotating_light:"
	case score.Actionable:
		return ":warning:"
	}
	return ":information_source:"
}

// subject is what the alert is about: a position, or a supplier as a whole.
func subject(a alert.Alert) string {
	pos := a.SKU + "@" + a.Site
	switch {
	case a.SKU == "" && a.Site == "" && a.Source != "":
		return "feed " + a.Source
	case a.SKU == "" && a.Site == "":
		return a.Supplier
	case a.Supplier != "":
		return pos + " (" + a.Supplier + ")"
	}
	return pos
}

func stateText(a alert.Alert) string {
	switch a.State {
	case alert.Acknowledged:
		if a.AcknowledgedBy != "" {
			return "Acknowledged by " + escapeLine(a.AcknowledgedBy)
		}
	case alert.Resolved:
		if a.ResolvedAt != nil {
			return "Resolved " + date(*a.ResolvedAt)
		}
	}
	return title(string(a.State))
}

// impact is the time left before the alert's impact as of now: detection
// plus time to impact, so a message rendered later counts from then.
func impact(a alert.Alert, now time.Time) string {
	h := a.TimeToImpactHours
	if !a.DetectedAt.IsZero() && !now.IsZero() {
		at := a.DetectedAt.Add(time.Duration(h * float64(time.Hour)))
		h = at.Sub(now).Hours()
	}
	if h <= 0 {
		return "now"
	}
	if h < 48 {
		return "in " + strconv.FormatFloat(math.Round(h), 'f', 0, 64) + "h"
	}
	return "in " + strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + "d"
}

// date shows t in each reader's own time zone, with UTC as the fallback
// for clients that cannot: https://docs.slack.dev/messaging/formatting-message-text#date-formatting
func date(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func kindTitle(kind string) string { return title(strings.ReplaceAll(kind, "_", " ")) }

func title(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[size:]
}

// escape makes partner text (supplier names, reasons inside actions) inert
// in mrkdwn: with &, < and > escaped it cannot form a link or a mention
// such as <!channel>. https://docs.slack.dev/messaging/formatting-message-text#escaping
func escape(s string) string { return slackutilsx.EscapeMessage(s) }

// escapeLine is escape for text that must stay on one line.
func escapeLine(s string) string {
	return strings.Join(strings.Fields(escape(s)), " ")
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

// button is one of the message's buttons: its action id is one of
// interact.Button*, which the interaction handler dispatches on, and its
// value the alert id, except Approve's and Reject's: "<proposal id>|<hash>",
// the hash of the exact action the clicker saw, so an approval can never
// apply to a changed action.
func button(actionID, alertID, text string) *slackapi.ButtonBlockElement {
	return slackapi.NewButtonBlockElement(actionID, alertID, plain(text))
}
