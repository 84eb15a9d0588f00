package brief

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// latency measures the decision latencies of the revisions written in the
// last opt.LatencyDays (see the package documentation for each stage).
// Every stage counts an episode once, at its first revision of that stage.
func latency(ctx context.Context, h History, log []alert.Alert, now time.Time, opt Options) (Latency, error) {
	from := now.Add(-time.Duration(opt.LatencyDays) * 24 * time.Hour)
	l := Latency{Days: opt.LatencyDays}
	var ack, mitigated, recovered []float64
	var raised []alert.Alert
	seen := map[string]map[string]bool{} // stage -> episode ids counted
	first := func(stage, id string) bool {
		if seen[stage] == nil {
			seen[stage] = map[string]bool{}
		}
		if seen[stage][id] {
			return false
		}
		seen[stage][id] = true
		return true
	}
	since := func(a alert.Alert) float64 { return max(0, a.DetectedAt.Sub(a.FirstDetectedAt).Hours()) }
	for _, a := range log {
		if !a.DetectedAt.After(from) || a.DetectedAt.After(now) || a.FirstDetectedAt.IsZero() {
			continue
		}
		switch {
		case a.Change == alert.Raised:
			if len(a.TriggerEventIDs) > 0 && first("raised", a.ID) {
				raised = append(raised, a)
			}
		case a.Change == alert.Acknowledge:
			if first("ack", a.ID) {
				ack = append(ack, since(a))
			}
		case a.Change == alert.Proposed && a.Proposal != nil && (a.Proposal.State == "approved" || a.Proposal.State == "executed"):
			if first("mitigated", a.ID) {
				mitigated = append(mitigated, since(a))
			}
		case a.Change == alert.ResolvedChg:
			if !first("resolved", a.ID) {
				continue
			}
			recovered = append(recovered, since(a))
			if a.AcknowledgedBy != "" || a.MitigatedAt != nil {
				l.People++
			} else {
				l.Auto++
			}
		}
	}
	// The latest raised alerts are measured. A record carries the event
	// time behind it (signal_at); older records need a scan of the event
	// stream for their trigger events.
	slices.SortStableFunc(raised, func(x, y alert.Alert) int {
		return cmp.Compare(y.FirstDetectedAt.UnixNano(), x.FirstDetectedAt.UnixNano())
	})
	var detected []float64
	for _, a := range raised[:min(len(raised), opt.MeasureAlerts)] {
		if a.SignalAt != nil {
			detected = append(detected, max(0, a.FirstDetectedAt.Sub(*a.SignalAt).Hours()))
			continue
		}
		t, ok, err := h.TriggerTime(ctx, a.TriggerEventIDs, a.FirstDetectedAt)
		if err != nil {
			return Latency{}, err
		}
		if ok {
			detected = append(detected, max(0, a.FirstDetectedAt.Sub(t).Hours()))
		}
	}
	l.Detection = stage(detected)
	l.Acknowledgement = stage(ack)
	l.Mitigation = stage(mitigated)
	l.Recovery = stage(recovered)
	if n := l.Auto + l.People; n > 0 {
		l.AutoShare = float64(l.Auto) / float64(n)
	}
	return l, nil
}

// stage is the median of xs: the middle value, or the mean of the two
// middle values of an even count.
func stage(xs []float64) Stage {
	if len(xs) == 0 {
		return Stage{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return Stage{N: n, MedianHours: m}
}
