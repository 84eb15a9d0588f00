package alert

import (
	"context"

	"encoding/json"
	"fmt"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"time"
)

// Store holds the current revision of each alert and writes new ones with
// compare-and-set. store.Store implements it.
type Store interface {
	Alert(ctx context.Context, fp string) (record []byte, rev int64, err error)
	WriteAlert(ctx context.Context, fp string, rev int64, record []byte) (bool, error)
}

// PendingStore remembers since when a condition has held before its alert
// fires, shared by every replica. store.Store implements it.
type PendingStore interface {
	// PendingSince records now as the first sighting of fp unless there is
	// one already, and returns the first sighting.
	PendingSince(ctx context.Context, fp string, now time.Time) (time.Time, error)
	ClearPending(ctx context.Context, fp string) error
}

// NotifyFunc is called with every revision this process wrote. Because the
// write is compare-and-set, exactly one replica is told of each revision.
type NotifyFunc func(ctx context.Context, a Alert)

// Manager turns observations into alert revisions.
type Manager struct {
	st     Store
	now    func() time.Time
	notify NotifyFunc

	// For is how long a new condition must hold before its alert fires
	// (Prometheus's `for`): one noisy event then pages nobody. While it
	// waits the alert is pending and nothing is written to the stream.
	// Zero fires at once. Setting it needs a store that is a PendingStore.
	For time.Duration
	// GroupWait holds a new alert that a group alert may stand for (see
	// Candidate.Groupable) at least this long, as Alertmanager's
	// group_wait does: the sweep that raises the group gets the time to
	// do so before the first member reaches chat, where the group then
	// mutes it. Needs a PendingStore, like For.
	GroupWait time.Duration
}

// NewManager returns a Manager. now is the detection clock.
func NewManager(st Store, now func() time.Time, notify NotifyFunc) *Manager {
	if notify == nil {
		notify = func(context.Context, Alert) {}
	}
	return &Manager{st: st, now: now, notify: notify}
}

// maxCASRetries bounds the compare-and-set loop; two replicas racing on the
// same alert settle in one retry.
const maxCASRetries = 5

// Fire records that candidate's condition holds now. It writes a revision
// when the alert is new, was resolved, or changed materially, and returns
// it; nil means nothing worth a revision changed.
func (m *Manager) Fire(ctx context.Context, c Candidate) (*Alert, error) {
	fp := Fingerprint(c.Kind, c.SKU, c.Site, c.Supplier, c.Source)
	return m.update(ctx, fp, func(cur *Alert) *Alert {
		now := m.now().UTC()
		next := Alert{
			Fingerprint: fp, Kind: c.Kind, SKU: c.SKU, Site: c.Site, Supplier: c.Supplier, Source: c.Source, Tier: c.Tier,
			DetectedAt: now, TriggerEventIDs: nonNil(c.Triggers), Score: c.Score,
			RevenueAtRisk: c.RevenueAtRisk, TimeToImpactHours: c.TimeToImpactHours,
			RecommendedAction: c.RecommendedAction, ActionKey: c.ActionKey, ResponseClass: c.ResponseClass, Owner: c.Owner,
			Evidence: c.Evidence, StockoutDate: c.StockoutDate, DaysOfSupply: c.DaysOfSupply, Planned: c.Planned, Labels: c.Labels,
		}
		if cur == nil || cur.State == Resolved {
			wait := m.For
			if c.Groupable() {
				wait = max(wait, m.GroupWait)
			}
			if !m.held(ctx, fp, now, wait) {
				return nil
			}
			next.Episode = 1
			if cur != nil {
				next.Episode = cur.Episode + 1
			}
			next.State, next.Change, next.FirstDetectedAt = Firing, Raised, now
			next.ID = ID(fp, next.Episode)
			if !c.SignalAt.IsZero() {
				at := c.SignalAt.UTC()
				next.SignalAt = &at
			}
			return &next
		}
		if cur.EscalationLevel > 0 {
			c.Owner = cur.Owner // the escalation chain owns it now
		}
		chg := material(cur, &c)
		snoozeOver := cur.State == Snoozed && cur.SnoozedUntil != nil && !now.Before(*cur.SnoozedUntil)
		if chg == "" && snoozeOver {
			chg = Woke
		}
		if chg == "" {
			return nil
		}
		next.ID, next.Episode, next.FirstDetectedAt = cur.ID, cur.Episode, cur.FirstDetectedAt
		next.State, next.AcknowledgedBy, next.Change = cur.State, cur.AcknowledgedBy, chg
		next.Note, next.Assignee, next.SnoozedUntil = cur.Note, cur.Assignee, cur.SnoozedUntil
		next.EscalationLevel, next.Owner = cur.EscalationLevel, c.Owner
		next.SignalAt, next.AcknowledgedAt, next.MitigatedAt = cur.SignalAt, cur.AcknowledgedAt, cur.MitigatedAt
		if cur.Proposal != nil && next.ActionKey == cur.ActionKey {
			// The proposal answers this action; a new action needs a new one.
			next.Proposal = cur.Proposal
		}
		switch {
		case chg == Escalated && (cur.State == Acknowledged || cur.State == Snoozed):
			// A risk that grew after it was acknowledged or snoozed needs
			// eyes again: the snooze ends early.
			next.State, next.AcknowledgedBy, next.SnoozedUntil, next.AcknowledgedAt = Firing, "", nil, nil
		case snoozeOver:
			next.State, next.SnoozedUntil = Firing, nil
		}
		return &next
	})
}

// held reports whether a new condition has held for wait. A store error
// errs on the side of firing: a page too early beats a page lost.
func (m *Manager) held(ctx context.Context, fp string, now time.Time, wait time.Duration) bool {
	ps, ok := m.st.(PendingStore)
	if wait <= 0 || !ok {
		return true
	}
	first, err := ps.PendingSince(ctx, fp, now)
	if err != nil || now.Sub(first) >= wait {
		ps.ClearPending(ctx, fp)
		return true
	}
	return false
}

// Clear records that the condition of fingerprint fp no longer holds,
// resolving the alert if it is open. triggers are the events that cleared it.
func (m *Manager) Clear(ctx context.Context, fp string, triggers []string) (*Alert, error) {
	if ps, ok := m.st.(PendingStore); ok && (m.For > 0 || m.GroupWait > 0) {
		if err := ps.ClearPending(ctx, fp); err != nil {
			return nil, err
		}
	}
	return m.update(ctx, fp, func(cur *Alert) *Alert {
		if cur == nil || cur.State == Resolved {
			return nil
		}
		next := *cur
		now := m.now().UTC()
		next.State, next.Change, next.DetectedAt, next.ResolvedAt = Resolved, ResolvedChg, now, &now
		next.TriggerEventIDs = nonNil(triggers)
		next.RevenueAtRisk, next.Score = 0, 0
		return &next
	})
}

// Acknowledge marks the alert episode id acknowledged by who, with an
// optional note. An acknowledgement of an older episode or a resolved
// alert changes nothing.
func (m *Manager) Acknowledge(ctx context.Context, id, who, note string, triggers []string) (*Alert, error) {
	return m.act(ctx, id, triggers, func(cur *Alert, now time.Time) bool {
		if cur.State == Acknowledged {
			return false
		}
		cur.State, cur.Change, cur.AcknowledgedBy, cur.Note, cur.SnoozedUntil = Acknowledged, Acknowledge, who, note, nil
		cur.AcknowledgedAt = &now
		return true
	})
}

// Snooze quiets the alert episode id until d from now: it stays open but
// pages nobody. The snooze ends early when the alert escalates.
func (m *Manager) Snooze(ctx context.Context, id, who string, d time.Duration) (*Alert, error) {
	until := m.now().UTC().Add(d)
	return m.act(ctx, id, nil, func(cur *Alert, now time.Time) bool {
		cur.State, cur.Change, cur.SnoozedUntil = Snoozed, SnoozedChg, &until
		cur.Note = "snoozed by " + who + " for " + d.String()
		return true
	})
}

// Assign gives the alert episode id to assignee.
func (m *Manager) Assign(ctx context.Context, id, assignee string) (*Alert, error) {
	return m.act(ctx, id, nil, func(cur *Alert, now time.Time) bool {
		if cur.Assignee == assignee {
			return false
		}
		cur.Assignee, cur.Change = assignee, Assigned
		return true
	})
}

// Step is one step of an escalation chain: an unacknowledged critical
// alert this long after it was first detected passes to Owner.
type Step struct {
	After time.Duration
	Owner string
}

// Review moves unacknowledged critical alerts up the escalation chain and
// re-sends those still firing after repeat (0: never), so a page nobody
// answered is not forgotten. Alerts are read from the state hash; each
// change is an ordinary revision, written once across replicas.
func (m *Manager) Review(ctx context.Context, current map[string][]byte, chain []Step, repeat time.Duration) error {
	now := m.now().UTC()
	for fp, raw := range current {
		var a Alert
		if err := json.Unmarshal(raw, &a); err != nil || a.State != Firing || a.Tier != score.Critical {
			continue
		}
		_, err := m.update(ctx, fp, func(cur *Alert) *Alert {
			if cur == nil || cur.State != Firing || cur.Tier != score.Critical || cur.ID != a.ID {
				return nil
			}
			next := *cur
			level := cur.EscalationLevel
			for level < len(chain) && now.Sub(cur.FirstDetectedAt) >= chain[level].After {
				level++
			}
			switch {
			case level > cur.EscalationLevel:
				next.EscalationLevel, next.Owner, next.Change = level, chain[level-1].Owner, Escalated
			case repeat > 0 && now.Sub(cur.DetectedAt) >= repeat:
				next.Change = Repeated
			default:
				return nil
			}
			next.DetectedAt = now
			next.TriggerEventIDs = []string{}
			return &next
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Get reads the current revision of alert episode id; nil when the
// episode is over or unknown.
func (m *Manager) Get(ctx context.Context, id string) (*Alert, error) {
	fp, episode, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	raw, _, err := m.st.Alert(ctx, fp)
	if err != nil || raw == nil {
		return nil, err
	}
	var a Alert
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("decode alert %s: %w", fp, err)
	}
	if a.Episode != episode {
		return nil, nil
	}
	return &a, nil
}

// SetProposal shows on alert id the state of the proposal made of its
// action.
func (m *Manager) SetProposal(ctx context.Context, id string, p ProposalRef) (*Alert, error) {
	return m.act(ctx, id, nil, func(cur *Alert, now time.Time) bool {
		if cur.Proposal != nil && cur.Proposal.ID == p.ID && cur.Proposal.State == p.State && len(cur.Proposal.Approvers) == len(p.Approvers) {
			return false
		}
		cur.Proposal, cur.Change = &p, Proposed
		if cur.MitigatedAt == nil && (p.State == "approved" || p.State == "executed") {
			cur.MitigatedAt = &now
		}
		return true
	})
}

// act applies a person's change to the open episode id; change reports
// whether anything changed.
func (m *Manager) act(ctx context.Context, id string, triggers []string, change func(next *Alert, now time.Time) bool) (*Alert, error) {
	fp, episode, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	return m.update(ctx, fp, func(cur *Alert) *Alert {
		if cur == nil || cur.Episode != episode || cur.State == Resolved {
			return nil
		}
		next := *cur
		now := m.now().UTC()
		if !change(&next, now) {
			return nil
		}
		next.DetectedAt = now
		next.TriggerEventIDs = nonNil(triggers)
		return &next
	})
}

// update reads the current revision, asks decide for the next one and
// writes it with compare-and-set, retrying when another writer won.
func (m *Manager) update(ctx context.Context, fp string, decide func(cur *Alert) *Alert) (*Alert, error) {
	for range maxCASRetries {
		raw, rev, err := m.st.Alert(ctx, fp)
		if err != nil {
			return nil, err
		}
		var cur *Alert
		if raw != nil {
			cur = new(Alert)
			if err := json.Unmarshal(raw, cur); err != nil {
				return nil, fmt.Errorf("decode alert %s: %w", fp, err)
			}
		}
		next := decide(cur)
		if next == nil {
			return nil, nil
		}
		next.Revision = rev + 1
		rec, err := json.Marshal(next)
		if err != nil {
			return nil, fmt.Errorf("encode alert %s: %w", fp, err)
		}
		ok, err := m.st.WriteAlert(ctx, fp, rev, rec)
		if err != nil {
			return nil, err
		}
		if ok {
			m.notify(ctx, *next)
			return next, nil
		}
	}
	return nil, fmt.Errorf("alert %s: revision kept moving after %d tries", fp, maxCASRetries)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
