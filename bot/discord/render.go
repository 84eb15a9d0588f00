package discord

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/quartermaster-ops/quartermaster/bot/console"
	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// Discord's limits on what a message may carry, in characters. Discord
// rejects a message over any of them with a 400, so text is cut to fit
// first. See
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
// https://discord.com/developers/docs/resources/message#create-message (content),
// https://discord.com/developers/docs/components/reference#button and
// https://discord.com/developers/docs/resources/channel#start-thread-from-message (thread name).
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooterText       = 2048
	maxEmbedTotal       = 6000 // title, description, field names and values, footer and author together
	maxContent          = 2000
	maxButtonLabel      = 80
	maxCustomID         = 100
	maxRowButtons       = 5 // buttons per action row, https://discord.com/developers/docs/components/reference#action-row
	maxRows             = 5 // action rows per message, ibid.
	maxThreadName       = 100
)

// snoozes are the snooze buttons, shortest first.
//
// A button's custom id is "<action>:<value>" with the action ids of
// interact.Button*: Discord has no separate value field, so the value
// rides in the id. The value is the alert id, except for Approve and
// Reject, whose value is "<proposal id>|<hash>", the SHA-256 of the exact
// action the clicker saw; one interaction handler reads both platforms.
// The full hash always fits: "qm_approve:" is 11 characters, a hash 64, so
// a proposal id of up to 24 characters keeps the custom id within
// Discord's 100. A button whose id would not fit is left out and logged,
// never cut.
var snoozes = []struct{ label, action string }{
	{"Snooze 1h", interact.ButtonSnooze1h},
	{"Snooze 4h", interact.ButtonSnooze4h},
	{"Snooze 24h", interact.ButtonSnooze24h},
}

// Embed colours: red, amber and blue by tier, green once resolved.
const (
	colourCritical   = 0xD93025
	colourActionable = 0xF29900
	colourInfo       = 0x1A73E8
	colourResolved   = 0x188038
)

// renderer turns one alert revision into Discord's shapes, cutting text to
// Discord's limits and logging every cut with the alert's id.
type renderer struct {
	a   alert.Alert
	log *slog.Logger
}

func (n *Notifier) renderer(a alert.Alert) *renderer {
	return &renderer{a: a, log: n.log}
}

// cut shortens s to limit characters on a rune boundary, ending it with
// "…", and logs that it did.
func (r *renderer) cut(what string, s string, limit int) string {
	n := utf8.RuneCountInString(s)
	if n <= limit {
		return s
	}
	r.log.Warn("discord: text cut to the platform limit", "alert", r.a.ID, "part", what, "length", n, "limit", limit)
	i, kept := 0, 0
	for kept < limit-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		kept++
	}
	return s[:i] + "…"
}

// subject names what the alert is about: the position, or the supplier
// for alerts about a supplier as a whole.
func (r *renderer) subject() string {
	if r.a.SKU == "" && (r.a.Supplier != "" || r.a.Source != "") {
		return r.a.Subject()
	}
	return r.a.SKU + "@" + r.a.Site
}

func (r *renderer) title() string {
	t := fmt.Sprintf("%s · %s · %s", strings.ToUpper(string(r.a.Tier)), r.a.Kind, r.subject())
	if r.a.State == alert.Resolved {
		t = "Resolved: " + t
	}
	return t
}

func (r *renderer) colour() int {
	if r.a.State == alert.Resolved {
		return colourResolved
	}
	switch r.a.Tier {
	case score.Critical:
		return colourCritical
	case score.Actionable:
		return colourActionable
	default:
		return colourInfo
	}
}

// embed renders the alert's card.
func (r *renderer) embed() *discordgo.MessageEmbed {
	a := r.a
	e := &discordgo.MessageEmbed{
		Title:     r.cut("title", r.title(), maxEmbedTitle),
		Color:     r.colour(),
		Footer:    &discordgo.MessageEmbedFooter{Text: r.cut("footer", fmt.Sprintf("%s · revision %d", a.ID, a.Revision), maxFooterText)},
		Timestamp: a.DetectedAt.UTC().Format(time.RFC3339),
	}
	if a.State == alert.Resolved {
		e.Description = "The condition cleared."
	} else if a.RecommendedAction != "" {
		e.Description = r.cut("description", a.RecommendedAction, maxEmbedDescription)
	}
	if a.Summary != "" && a.State != alert.Resolved {
		// What it means first, then what to do.
		e.Description = r.cut("description", a.Summary+"\n\n"+e.Description, maxEmbedDescription)
	}

	field := func(name, value string) {
		if value == "" {
			return
		}
		if len(e.Fields) == maxEmbedFields {
			r.log.Warn("discord: embed field dropped at the platform limit", "alert", a.ID, "field", name, "limit", maxEmbedFields)
			return
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name:   r.cut("field name", name, maxFieldName),
			Value:  r.cut("field "+name, value, maxFieldValue),
			Inline: true,
		})
	}
	field("State", r.state())
	if a.Supplier != "" && a.SKU != "" {
		field("Supplier", a.Supplier)
	}
	if a.State != alert.Resolved {
		switch {
		case a.StockoutDate != "":
			field("Stockout", fmt.Sprintf("%s (in %s)", a.StockoutDate, hours(a.TimeToImpactHours)))
		case a.TimeToImpactHours > 0:
			field("Time to impact", hours(a.TimeToImpactHours))
		}
		if a.DaysOfSupply != nil {
			field("Days of supply", strconv.FormatFloat(*a.DaysOfSupply, 'f', 1, 64))
		}
		// Supplier-wide alerts often put no money at risk yet; "$0" would
		// read as a finding.
		if a.RevenueAtRisk != 0 {
			field("Revenue at risk", console.Money(a.RevenueAtRisk))
		}
	}
	field("Owner", a.Owner)
	field("Response class", string(a.ResponseClass))
	// The planned action is what Propose would propose; once resolved it is
	// kept only as the record of a proposal made of it.
	if a.Planned != nil && (a.State != alert.Resolved || a.Proposal != nil) {
		field("Planned action", a.Planned.String()+" · "+console.Money(a.Planned.Amount))
	}
	if a.Proposal != nil {
		field("Proposal", proposalText(a.Proposal))
	}

	// Each part fits its own limit; together they may not. The description
	// is the only long part, so it gives way.
	if over := embedLength(e) - maxEmbedTotal; over > 0 {
		keep := max(utf8.RuneCountInString(e.Description)-over, 1)
		r.log.Warn("discord: embed cut to the platform's total limit", "alert", a.ID, "length", embedLength(e), "limit", maxEmbedTotal)
		e.Description = r.cut("description", e.Description, keep)
	}
	return e
}

// embedLength counts the characters Discord counts towards maxEmbedTotal.
func embedLength(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

func (r *renderer) state() string {
	if r.a.State == alert.Acknowledged && r.a.AcknowledgedBy != "" {
		return "acknowledged by " + r.a.AcknowledgedBy
	}
	return string(r.a.State)
}

// content is the text above the embed: a ping for the owner of a firing
// critical alert, nothing otherwise. The allowed mentions name exactly the
// one user or role pinged and parse nothing from the text, so a partner's
// "@everyone" in an action can never ping a channel.
func (r *renderer) content(mentions map[string]mention) (string, *discordgo.MessageAllowedMentions) {
	allowed := noMentions()
	if r.a.Tier != score.Critical || r.a.State != alert.Firing {
		return "", allowed
	}
	m, ok := mentions[r.a.Owner]
	if !ok {
		return "", allowed
	}
	allowed = m.allowed()
	// The mention leads and is short, so a cut never breaks it.
	return r.cut("content", m.text+" "+r.title(), maxContent), allowed
}

// components renders the action buttons: the alert's own in the first
// row, none once resolved, and the acknowledge button disabled once
// acknowledged; the proposal's (propose, or approve and reject) in a row of
// their own. It returns an empty list rather than nil so an edit removes
// buttons instead of leaving them.
func (r *renderer) components() []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	for _, buttons := range [][]discordgo.Button{r.alertButtons(), r.proposalButtons()} {
		var row []discordgo.MessageComponent
		for _, b := range buttons {
			// A cut custom id would name another alert or proposal, or
			// none, so a button whose id does not fit is left out rather
			// than shortened.
			if len(b.CustomID) > maxCustomID {
				r.log.Warn("discord: button left out, its custom id is over the platform limit", "alert", r.a.ID, "button", b.Label, "length", len(b.CustomID), "limit", maxCustomID)
				continue
			}
			row = append(row, b)
		}
		for len(row) > 0 {
			if len(rows) == maxRows {
				r.log.Warn("discord: buttons left out at the platform's limit on rows", "alert", r.a.ID, "buttons", len(row), "limit", maxRows)
				break
			}
			n := min(len(row), maxRowButtons)
			rows = append(rows, discordgo.ActionsRow{Components: row[:n]})
			row = row[n:]
		}
	}
	return rows
}

// alertButtons are the alert's own buttons: acknowledge, snooze, assign.
func (r *renderer) alertButtons() []discordgo.Button {
	a := r.a
	if a.State == alert.Resolved {
		return nil
	}
	ack := discordgo.Button{Label: "Acknowledge", Style: discordgo.PrimaryButton, CustomID: interact.ButtonAck + ":" + a.ID}
	if a.State == alert.Acknowledged {
		ack.Disabled = true
		ack.Style = discordgo.SecondaryButton
		ack.Label = "Acknowledged"
		if a.AcknowledgedBy != "" {
			ack.Label = r.cut("button label", "Acknowledged by "+a.AcknowledgedBy, maxButtonLabel)
		}
	}
	buttons := []discordgo.Button{ack}
	for _, s := range snoozes {
		buttons = append(buttons, discordgo.Button{Label: s.label, Style: discordgo.SecondaryButton, CustomID: s.action + ":" + a.ID})
	}
	return append(buttons, discordgo.Button{Label: "Assign to me", Style: discordgo.SecondaryButton, CustomID: interact.ButtonAssign + ":" + a.ID})
}

// proposalButtons are the buttons of the proposal flow: Propose while the
// planned action has no live proposal (none yet, or the last one was
// rejected or expired) and the alert is open; Approve and Reject while a
// proposal is open and the alert is not resolved (no money for a cleared
// condition). Approve and Reject carry the proposal's hash, so a click
// approves exactly the action this message showed.
func (r *renderer) proposalButtons() []discordgo.Button {
	a, p := r.a, r.a.Proposal
	switch {
	case a.AwaitsApproval():
		if p.ID == "" || p.Hash == "" {
			r.log.Warn("discord: approve and reject buttons left out, the proposal has no id or hash", "alert", a.ID, "proposal", p.ID)
			return nil
		}
		value := p.ID + "|" + p.Hash
		return []discordgo.Button{
			{Label: "Approve", Style: discordgo.SuccessButton, CustomID: interact.ButtonApprove + ":" + value},
			{Label: "Reject", Style: discordgo.DangerButton, CustomID: interact.ButtonReject + ":" + value},
		}
	case a.CanPropose():
		label := r.cut("button label", "Propose: "+a.Planned.String(), maxButtonLabel)
		return []discordgo.Button{{Label: label, Style: discordgo.PrimaryButton, CustomID: interact.ButtonPropose + ":" + a.ID}}
	}
	return nil
}

// proposalText says where a proposal stands: "p1: open, proposed by U1,
// approved by U2 (1 of 2)".
func proposalText(p *alert.ProposalRef) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", p.ID, p.State)
	if p.By != "" {
		b.WriteString(", proposed by " + p.By)
	}
	by := "no one yet"
	if len(p.Approvers) > 0 {
		by = strings.Join(p.Approvers, ", ")
	}
	b.WriteString(", approved by " + by)
	if p.Needed > 0 {
		fmt.Fprintf(&b, " (%d of %d)", len(p.Approvers), p.Needed)
	}
	return b.String()
}

// threadName names the history thread after the alert, so it can be found
// by the id people quote.
func (r *renderer) threadName() string {
	return r.cut("thread name", r.a.ID, maxThreadName)
}

// changeLine is the thread reply for one revision: what changed and the
// alert's figures after the change.
func (r *renderer) changeLine() string {
	a := r.a
	var b strings.Builder
	fmt.Fprintf(&b, "Revision %d: %s", a.Revision, r.change())
	switch {
	case a.Change == alert.Proposed && a.Proposal != nil:
		fmt.Fprintf(&b, " · %s", proposalText(a.Proposal))
	case a.State == alert.Resolved:
		b.WriteString(", the condition cleared")
	case a.State == alert.Acknowledged:
		if a.AcknowledgedBy != "" {
			fmt.Fprintf(&b, " by %s", a.AcknowledgedBy)
		}
	default:
		fmt.Fprintf(&b, " · %s", strings.ToUpper(string(a.Tier)))
		if a.StockoutDate != "" {
			fmt.Fprintf(&b, " · stockout %s (in %s)", a.StockoutDate, hours(a.TimeToImpactHours))
		}
		fmt.Fprintf(&b, " · %s at risk", console.Money(a.RevenueAtRisk))
		if a.RecommendedAction != "" {
			fmt.Fprintf(&b, " · %s", a.RecommendedAction)
		}
		fmt.Fprintf(&b, " · owner %s", a.Owner)
	}
	return r.cut("thread reply", b.String(), maxContent)
}

// change names the revision's change, falling back on its state for
// records written before changes were recorded.
func (r *renderer) change() string {
	switch {
	case r.a.Change == alert.Deescalated:
		return "de-escalated to " + string(r.a.Tier)
	case r.a.Change == alert.Escalated:
		return "escalated to " + string(r.a.Tier)
	case r.a.Change != "":
		return string(r.a.Change)
	default:
		return string(r.a.State)
	}
}

// hours formats a time to impact as the console does: hours under two
// days, days with one decimal after.
func hours(h float64) string {
	if h < 48 {
		return strconv.FormatFloat(math.Round(h), 'f', 0, 64) + "h"
	}
	return strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + "d"
}
