package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
)

const (
	// drainPoll is how often the consumer group is asked whether it is done;
	// it bounds how late the end of a run is seen.
	drainPoll = 20 * time.Millisecond
	// settlePoll and settleLimit pace and bound the wait for alerts.
	settlePoll  = 250 * time.Millisecond
	settleLimit = 2 * time.Minute
	// alertPage is how many alert stream entries are read per round trip.
	alertPage = 1000
)

// timing is when the phases of one run ended.
type timing struct {
	start    time.Time // just before the first append
	appended time.Time // the last append returned
	drained  time.Time // the group had nothing left to deliver or acknowledge
}

// appendRate is n events over the time from the first append to the last.
func (t timing) appendRate(n int) rate { return rateOf(n, t.appended.Sub(t.start)) }

// drainRate is n events over the time from the first append to the drain.
func (t timing) drainRate(n int) rate { return rateOf(n, t.drained.Sub(t.start)) }

func rateOf(n int, d time.Duration) rate {
	return rate{Seconds: d.Seconds(), EventsPerSecond: float64(n) / d.Seconds()}
}

// produceFunc appends a run's events and says when the first append began
// and the last returned.
type produceFunc func(ctx context.Context) (start, end time.Time, err error)

// groupFunc describes the consumer group being measured.
type groupFunc func(ctx context.Context) (store.GroupInfo, error)

// drive runs produce and, once it is done, polls group every drainPoll
// until the group has lag 0 and pending 0: every event was delivered and
// acknowledged. Polling only after the last append matters because the
// consumers can catch up for a moment between two pipelines. A value on
// failed (a consumer that died) ends the run with that error.
func drive(ctx context.Context, produce produceFunc, group groupFunc, failed <-chan error) (timing, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type produced struct {
		start, end time.Time
		err        error
	}
	done := make(chan produced, 1)
	go func() {
		s, e, err := produce(ctx)
		done <- produced{s, e, err}
	}()
	// The producer goroutine is waited for on every return.
	producing := true
	defer func() {
		if producing {
			cancel()
			<-done
		}
	}()

	var t timing
	var last store.GroupInfo
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if producing {
				return t, fmt.Errorf("appending: %w", ctx.Err())
			}
			return t, fmt.Errorf("waiting for the consumers (lag %d, pending %d at the last look): %w", last.Lag, last.Pending, ctx.Err())
		case err := <-failed:
			return t, err
		case p := <-done:
			producing = false
			if p.err != nil {
				return t, p.err
			}
			t.start, t.appended = p.start, p.end
		case <-tick.C:
			if producing {
				continue
			}
			g, err := group(ctx)
			if err != nil {
				return t, err
			}
			last = g
			if g.Lag == 0 && g.Pending == 0 {
				t.drained = time.Now()
				return t, nil
			}
		}
	}
}

// errSettleLimit ends a settle that ran out of time, which is no failure:
// the alerts written so far are measured.
var errSettleLimit = errors.New("settle limit reached")

// settle waits until the alert stream and the detectors have been still
// for quiet, and reports whether they were within limit.
func settle(ctx context.Context, st *store.Store, f *fleet, quiet, limit time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errSettleLimit)
	defer cancel()
	fail := func(err error) (bool, error) {
		if context.Cause(ctx) == errSettleLimit {
			return false, nil
		}
		return false, fmt.Errorf("waiting for alerts: %w", err)
	}
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	var alerts int64 = -1
	evals := -1.0
	still := time.Now()
	for {
		a, err := st.Client().XLen(ctx, st.Keys().Alerts()).Result()
		if err != nil {
			return fail(err)
		}
		m, err := f.counts(ctx, metricEvaluations)
		if err != nil {
			return fail(err)
		}
		e, ok := m[metricEvaluations]
		if !ok {
			return false, fmt.Errorf("the bots report no %s to tell when detection is done", metricEvaluations)
		}
		if a != alerts || e != evals {
			alerts, evals, still = a, e, time.Now()
		} else if time.Since(still) >= quiet {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case err := <-f.exited:
			return false, err
		case <-tick.C:
		}
	}
}

// latencyResult is what the alert stream says of one run.
type latencyResult struct {
	stats       latency
	revisions   int // entries on the alert stream
	untriggered int // revisions naming no trigger event (sweeps)
	unmatched   int // revisions whose trigger events the bench did not append
}

// alertLatency reads the whole alert stream and measures, for each revision
// with trigger events, the time from the append of its latest trigger to
// the revision's own entry. offset is the Redis clock minus this host's.
func alertLatency(ctx context.Context, st *store.Store, w *workload, offset time.Duration) (latencyResult, error) {
	var res latencyResult
	n, err := st.Client().XLen(ctx, st.Keys().Alerts()).Result()
	if err != nil {
		return res, fmt.Errorf("length of %s: %w", st.Keys().Alerts(), err)
	}
	var ms []int64
	after := ""
	// The stream is still once settled; the bound only guards against one
	// that is not.
	for range n/alertPage + 2 {
		page, err := st.AlertLog(ctx, after, alertPage)
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			res.revisions++
			var rec struct {
				Triggers []string `json:"trigger_event_ids"`
			}
			if err := json.Unmarshal(e.Record, &rec); err != nil {
				return res, fmt.Errorf("alert entry %s: %w", e.ID, err)
			}
			if len(rec.Triggers) == 0 {
				res.untriggered++
				continue
			}
			latest, ok := int64(0), false
			for _, id := range rec.Triggers {
				if i, found := w.ids[id]; found {
					latest, ok = max(latest, w.appended[i]), true
				}
			}
			if !ok {
				res.unmatched++
				continue
			}
			written := store.IDTime(e.ID).Add(-offset).UnixMilli()
			ms = append(ms, written-latest)
		}
		after = page[len(page)-1].ID
	}
	res.stats = percentiles(ms)
	return res, nil
}

// percentiles summarises latencies in milliseconds by nearest rank: the
// p-th percentile is the smallest value at least p% of them do not exceed.
func percentiles(ms []int64) latency {
	if len(ms) == 0 {
		return latency{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	rank := func(p int) int64 {
		i := (p*len(s) + 99) / 100 // ceil(p/100 * n), 1-based
		return s[max(i, 1)-1]
	}
	return latency{Count: len(s), P50: rank(50), P90: rank(90), P99: rank(99), Max: s[len(s)-1]}
}
