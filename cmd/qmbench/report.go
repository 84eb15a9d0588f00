package main

import (
	"fmt"
	"strings"
)

// result is the figures of one benchmark, as printed with --json.
type result struct {
	Events    int     `json:"events"`
	Seed      uint64  `json:"seed"`
	Replicas  int     `json:"replicas"`
	BatchSize int     `json:"batch_size"`
	CPUs      int     `json:"cpus"`
	Redis     string  `json:"redis"`
	SimStart  string  `json:"sim_start"`
	Pace      float64 `json:"pace,omitempty"` // --rate: the appends to the bot were held to this many a second

	Append        rate  `json:"append"`        // the bench's appends, while the bot consumed
	Quartermaster rate  `json:"quartermaster"` // first append to lag 0 and pending 0
	Raw           *rate `json:"raw_redis,omitempty"`
	// ShareOfRaw is Quartermaster's events per second over raw Redis's.
	ShareOfRaw float64 `json:"quartermaster_share_of_raw,omitempty"`

	// What the bots made of the events, from their metrics after the drain.
	Applied     int64 `json:"applied"`
	Quarantined int64 `json:"quarantined"`
	Duplicates  int64 `json:"duplicates"`

	AlertLatency          latency `json:"alert_latency_ms"`
	AlertRevisions        int     `json:"alert_revisions"`
	AlertsWithoutTriggers int     `json:"alerts_without_triggers"`
	AlertsUnmatched       int     `json:"alerts_unmatched"`

	Seconds float64 `json:"seconds"` // the whole bench, build included, clean-up aside
}

// rate is events over the seconds a phase took.
type rate struct {
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
}

// latency summarises event-to-alert latencies in milliseconds.
type latency struct {
	Count int   `json:"count"`
	P50   int64 `json:"p50"`
	P90   int64 `json:"p90"`
	P99   int64 `json:"p99"`
	Max   int64 `json:"max"`
}

// String is the one-line summary, for example
//
//	events 200000 | append 180k/s | quartermaster 52k/s (38% of raw) | raw redis 137k/s | alert latency p50 12ms p90 40ms p99 95ms max 210ms (n=431)
func (r result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "events %d | append %s", r.Events, perSecond(r.Append.EventsPerSecond))
	if r.Pace > 0 {
		fmt.Fprintf(&b, " (paced at %s)", perSecond(r.Pace))
	}
	b.WriteString(" | quartermaster")
	if r.Replicas > 1 {
		fmt.Fprintf(&b, " x%d", r.Replicas)
	}
	fmt.Fprintf(&b, " %s", perSecond(r.Quartermaster.EventsPerSecond))
	if r.Raw != nil {
		fmt.Fprintf(&b, " (%.0f%% of raw) | raw redis %s", 100*r.ShareOfRaw, perSecond(r.Raw.EventsPerSecond))
	}
	l := r.AlertLatency
	if l.Count == 0 {
		b.WriteString(" | alert latency: no alert revisions with trigger events")
	} else {
		fmt.Fprintf(&b, " | alert latency p50 %dms p90 %dms p99 %dms max %dms (n=%d", l.P50, l.P90, l.P99, l.Max, l.Count)
	}
	if r.AlertsWithoutTriggers > 0 {
		fmt.Fprintf(&b, "; %d without triggers", r.AlertsWithoutTriggers)
	}
	if r.AlertsUnmatched > 0 {
		fmt.Fprintf(&b, "; %d with unknown triggers", r.AlertsUnmatched)
	}
	if l.Count > 0 {
		b.WriteString(")")
	}
	return b.String()
}

// perSecond writes a rate the way people quote it: 137k/s, 5.2k/s, 840/s.
func perSecond(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fk/s", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fk/s", v/1000)
	}
	return fmt.Sprintf("%.0f/s", v)
}
