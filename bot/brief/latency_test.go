package brief

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// noScan fails any scan of the event stream: records that carry
// signal_at must not need one.
type noScan struct{}

func (noScan) AlertsSince(context.Context, time.Time) ([]alert.Alert, error) { return nil, nil }
func (noScan) TriggerTime(context.Context, []string, time.Time) (time.Time, bool, error) {
	return time.Time{}, false, errors.New("scanned the event stream")
}

// TestLatencyFromRecords measures every stage from the times alert records
// carry, and counts an alert resolved after an approved action as
// resolved by people.
func TestLatencyFromRecords(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	first := now.Add(-10 * time.Hour)
	at := func(h float64) time.Time { return first.Add(time.Duration(h * float64(time.Hour))) }
	signal := first.Add(-30 * time.Minute)
	approved := at(3)
	log := []alert.Alert{
		{ID: "a-1", Change: alert.Raised, FirstDetectedAt: first, DetectedAt: first, SignalAt: &signal, TriggerEventIDs: []string{"e1"}},
		{ID: "a-1", Change: alert.Acknowledge, FirstDetectedAt: first, DetectedAt: at(1), AcknowledgedBy: "ana"},
		{ID: "a-1", Change: alert.Proposed, FirstDetectedAt: first, DetectedAt: at(3), MitigatedAt: &approved,
			Proposal: &alert.ProposalRef{ID: "p1", State: "approved"}},
		{ID: "a-1", Change: alert.ResolvedChg, FirstDetectedAt: first, DetectedAt: at(6), MitigatedAt: &approved},
		{ID: "b-1", Change: alert.ResolvedChg, FirstDetectedAt: first, DetectedAt: at(2)},
	}
	l, err := latency(context.Background(), noScan{}, log, now, Options{LatencyDays: 7, MeasureAlerts: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  Stage
		want float64
	}{{"detection", l.Detection, 0.5}, {"acknowledgement", l.Acknowledgement, 1}, {"mitigation", l.Mitigation, 3}} {
		if c.got.N != 1 || c.got.MedianHours != c.want {
			t.Errorf("%s = %+v, want one at %gh", c.name, c.got, c.want)
		}
	}
	if l.Recovery.N != 2 || l.People != 1 || l.Auto != 1 || l.AutoShare != 0.5 {
		t.Errorf("recovery %+v, people %d, auto %d, share %g; want 2, 1, 1, 0.5", l.Recovery, l.People, l.Auto, l.AutoShare)
	}
}
