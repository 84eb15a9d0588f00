// Package alert keeps the lifecycle of alerts: it gives each condition a
// stable fingerprint, decides when a new observation is a change worth a
// new revision, and writes each revision once to the alert stream, even
// when several replicas observe the same change.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// Kinds of alert.
const (
	KindStockout      = "stockout_risk"
	KindShipmentDelay = "shipment_delay"
	KindSupplierSlip  = "supplier_slip"
	KindLeadTimeDrift = "lead_time_drift"
	KindDemandAnomaly = "demand_anomaly"
	KindStaleFeed     = "stale_feed"
	KindDataQuality   = "data_quality"
)

// State is where an alert is in its lifecycle.
type State string

// States of the contract.
const (
	Firing       State = "firing"
	Acknowledged State = "acknowledged"
	Snoozed      State = "snoozed"
	Resolved     State = "resolved"
)

// Change says what a revision changed; it extends the contract's record so
// consumers of qm:alerts need not diff revisions themselves.
type Change string

// Changes.
const (
	Raised      Change = "raised"
	Escalated   Change = "escalated"
	Deescalated Change = "deescalated"
	Updated     Change = "updated"
	Acknowledge Change = "acknowledged"
	SnoozedChg  Change = "snoozed"
	Woke        Change = "woke" // a snooze ended
	Assigned    Change = "assigned"
	Repeated    Change = "repeated" // still firing, unacknowledged, after the repeat interval
	Proposed    Change = "proposal" // the proposal of its action changed
	ResolvedChg Change = "resolved"
)

// Alert is one revision of an alert record, as appended to qm:alerts.
type Alert struct {
	ID          string     `json:"id"`
	Fingerprint string     `json:"fingerprint"`
	Kind        string     `json:"kind"`
	Tier        score.Tier `json:"tier"`
	State       State      `json:"state"`
	Change      Change     `json:"change"`
	Revision    int64      `json:"revision"`
	Episode     int64      `json:"episode"`
	SKU         string     `json:"sku"`
	Site        string     `json:"site"`
	Supplier    string     `json:"supplier,omitempty"` // for alerts about a supplier as a whole
	Source      string     `json:"source,omitempty"`   // for alerts about an event feed (stale_feed, data_quality)
	// Labels say what else an alert is about (the supplier of a slipped
	// PO, say); unlike SKU, Site and Supplier they are not part of its
	// identity, and grouping and inhibition match on them.
	Labels          map[string]string `json:"labels,omitempty"`
	DetectedAt      time.Time         `json:"detected_at"`       // when this revision's condition was observed
	FirstDetectedAt time.Time         `json:"first_detected_at"` // when the episode began
	ResolvedAt      *time.Time        `json:"resolved_at,omitempty"`
	// SignalAt is the event time of the newest validated event behind the
	// episode when it was raised: detection latency runs from it to
	// FirstDetectedAt.
	SignalAt *time.Time `json:"signal_at,omitempty"`
	// AcknowledgedAt and MitigatedAt are when a person acknowledged the
	// episode and when an action for it was approved, for decision latency.
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	MitigatedAt    *time.Time `json:"mitigated_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	Note           string     `json:"note,omitempty"` // the acknowledgement's note; partner or user text, untrusted
	SnoozedUntil   *time.Time `json:"snoozed_until,omitempty"`
	Assignee       string     `json:"assignee,omitempty"`
	// EscalationLevel is how many steps of the escalation chain an
	// unacknowledged critical alert has climbed (0: its first owner).
	EscalationLevel   int                 `json:"escalation_level,omitempty"`
	TriggerEventIDs   []string            `json:"trigger_event_ids"`
	Score             float64             `json:"score"`
	RevenueAtRisk     float64             `json:"revenue_at_risk"`
	TimeToImpactHours float64             `json:"time_to_impact_hours"`
	RecommendedAction string              `json:"recommended_action"`
	ActionKey         string              `json:"action_key"` // the action without its quantities, e.g. "expedite SHP-7"
	ResponseClass     score.ResponseClass `json:"response_class"`
	Owner             string              `json:"owner"`
	Evidence          map[string]any      `json:"evidence"`
	StockoutDate      string              `json:"stockout_date,omitempty"`
	DaysOfSupply      *float64            `json:"days_of_supply,omitempty"`
	// Planned is the recommended action in a form people can propose and
	// approve (see bot/approve); nil when the action is advice only.
	Planned *Planned `json:"planned_action,omitempty"`
	// Proposal is the proposal made of Planned, once someone proposed it.
	Proposal *ProposalRef `json:"proposal,omitempty"`

	// Summary is the summary chat shows for the route's readers, written
	// at delivery (bot/summary); it is never stored.
	Summary string `json:"-"`
}

// Planned is an action exactly enough to approve and carry out: what kind,
// on what, and the money it commits.
type Planned struct {
	Kind   string            `json:"kind"` // expedite, transfer, reorder, ...
	Params map[string]string `json:"params"`
	Amount float64           `json:"amount"`
}

// String is the action on one line for people: its kind, then its
// parameters sorted by name ("expedite po=PO-7 qty=400 sku=SKU9").
func (p Planned) String() string {
	parts := []string{strings.ReplaceAll(p.Kind, "_", " ")}
	for _, k := range slices.Sorted(maps.Keys(p.Params)) {
		parts = append(parts, k+"="+p.Params[k])
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// ProposalRef is what an alert shows of the proposal made of its action.
type ProposalRef struct {
	ID        string   `json:"id"`
	Hash      string   `json:"hash"`  // the SHA-256 of the exact action proposed; approvals must match it
	State     string   `json:"state"` // open, approved, rejected, expired, executed
	By        string   `json:"by"`
	Needed    int      `json:"needed"`
	Approvers []string `json:"approvers,omitempty"`
}

// AwaitsApproval reports whether the alert shows an open proposal people
// may approve or reject: not once the alert is resolved, so no money is
// committed for a condition that has cleared.
func (a Alert) AwaitsApproval() bool {
	return a.Proposal != nil && a.Proposal.State == "open" && a.State != Resolved
}

// Pages reports whether this revision should page its owner in the
// alert's thread: a firing critical alert that escalated (up a tier, or
// up the escalation chain to a new owner) or is re-sent because nobody
// answered. Edits do not notify anyone, so the page is a thread reply.
func (a Alert) Pages() bool {
	return a.Tier == score.Critical && a.State == Firing && (a.Change == Escalated || a.Change == Repeated)
}

// Retells reports whether this revision's thread reply should retell the
// summary: a change that brings people back to the alert (an escalation,
// a repeat, a new episode).
func (a Alert) Retells() bool {
	return a.Summary != "" && a.State != Resolved && (a.Change == Escalated || a.Change == Repeated || a.Change == Raised)
}

// CanPropose reports whether the alert's planned action may be proposed:
// it has one, the alert is open, and no proposal of it is live (none yet,
// or the last was rejected or expired).
func (a Alert) CanPropose() bool {
	p := a.Proposal
	return a.Planned != nil && a.State != Resolved && (p == nil || p.State == "rejected" || p.State == "expired")
}

// Candidate is what a detector observed: a condition that holds now.
type Candidate struct {
	Kind              string
	SKU, Site         string
	Supplier          string // for alerts about a supplier as a whole; then SKU and Site are empty
	Source            string // for alerts about an event feed as a whole; then SKU and Site are empty
	Labels            map[string]string
	Tier              score.Tier
	Score             float64
	RevenueAtRisk     float64
	TimeToImpactHours float64
	RecommendedAction string
	ActionKey         string // what the action does and to what, without quantities that drift with every order
	ResponseClass     score.ResponseClass
	Owner             string
	Evidence          map[string]any
	StockoutDate      string
	DaysOfSupply      *float64
	Planned           *Planned
	Triggers          []string
	SignalAt          time.Time // event time of the newest event behind it; zero when unknown
}

// Subject says what the alert is about, for people: "SKU@SITE",
// "supplier SUP-1" or "feed wms-east".
func (a Alert) Subject() string {
	switch {
	case a.SKU != "" || a.Site != "":
		return a.SKU + "@" + a.Site
	case a.Supplier != "":
		return "supplier " + a.Supplier
	case a.Source != "":
		return "feed " + a.Source
	}
	return ""
}

// Groupable reports whether a group alert may stand for c: a position's
// supplier_slip, which a supplier-wide supplier_slip groups.
func (c Candidate) Groupable() bool {
	return c.Kind == KindSupplierSlip && c.Site != "" && c.Labels["supplier"] != ""
}

// Fingerprint identifies a condition: the same kind at the same place is
// the same alert across revisions, restarts and replicas. Alerts about a
// supplier rather than a position name it in more; positions' alerts pass
// none, so their fingerprints never change.
func Fingerprint(kind, sku, site string, more ...string) string {
	key := kind + "\x00" + sku + "\x00" + site
	for _, m := range more {
		if m != "" {
			key += "\x00" + m
		}
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

// ID names one episode of an alert: "qm-<fingerprint>-<episode>".
func ID(fp string, episode int64) string {
	return "qm-" + fp + "-" + strconv.FormatInt(episode, 10)
}

// ParseID returns the fingerprint and episode of an alert id.
func ParseID(id string) (fp string, episode int64, err error) {
	rest, ok := strings.CutPrefix(id, "qm-")
	fp, ep, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 || len(fp) != 16 {
		return "", 0, fmt.Errorf("alert id %q: want qm-<16 hex>-<n>", id)
	}
	episode, err = strconv.ParseInt(ep, 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("alert id %q: %w", id, err)
	}
	return fp, episode, nil
}

// RevenueTolerance and RevenueFloor bound the change in revenue at risk
// that is not a new revision: less than 10%, or less than 100 (in the
// currency of unit prices). Without them every order would re-post, and
// small alerts would churn on every few units.
const (
	RevenueTolerance = 0.10
	RevenueFloor     = 100.0
)

// material reports how a candidate differs from the current revision in a
// way people should hear about, or "" when it does not.
func material(cur *Alert, c *Candidate) Change {
	switch {
	case cur.Tier.Rank() < c.Tier.Rank():
		return Escalated
	case cur.Tier.Rank() > c.Tier.Rank():
		return Deescalated
	case cur.StockoutDate != c.StockoutDate,
		cur.ActionKey != c.ActionKey,
		cur.Owner != c.Owner,
		cur.ResponseClass != c.ResponseClass,
		relChange(cur.RevenueAtRisk, c.RevenueAtRisk) > RevenueTolerance && math.Abs(cur.RevenueAtRisk-c.RevenueAtRisk) >= RevenueFloor:
		return Updated
	}
	return ""
}

func relChange(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}
