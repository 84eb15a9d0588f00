package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/sim"
	"github.com/quartermaster-ops/quartermaster/store"
)

const (
	day  = 24 * time.Hour
	week = 7 * day

	// appendBatch is how many events go in one pipeline of XADDs, for the
	// bot and the raw baseline alike.
	appendBatch = 1000
	// simStep is how far each Advance moves the simulation; any step gives
	// the same records, this one keeps the overshoot past N small.
	simStep = 6 * time.Hour
	// maxSimSpan bounds how far the simulation may run to produce N events:
	// the default network makes about 5000 a day.
	maxSimSpan = 10 * 365 * day
	// placeTries bounds the attempts to place the simulation in time.
	placeTries = 3
)

// workload is one run's events, generated before any timing starts so the
// simulation's own cost is not measured.
type workload struct {
	bodies      [][]byte
	ids         map[string]int // event id -> index of its first occurrence (a resent duplicate is ignored by the bot)
	appended    []int64        // per event, the Unix millisecond of its entry id; set by appendTo
	simStart    time.Time
	lastArrival time.Time // simulated arrival of the last event
}

// generate draws n events from the simulation seeded with seed, placed in
// time so that every event arrived before now and the last within the week
// before now's day.
//
// Where it is placed matters: the bot forecasts demand from the days before
// the wall-clock today, so events from long ago would leave it nothing to
// alert on, and events from the future would be quarantined. The
// simulation's output relative to its start does not change when the start
// moves by whole weeks (its only calendar is the weekday), so generate first
// runs it from today to learn how far after its start the n-th event
// arrives, then moves the start back by that much rounded up to whole weeks.
func generate(ctx context.Context, seed uint64, n int, now time.Time) (*workload, error) {
	today := now.UTC().Truncate(day)
	recs, err := simulate(ctx, seed, today, n, today.Add(maxSimSpan))
	if err != nil {
		return nil, err
	}
	if len(recs) < n {
		return nil, fmt.Errorf("simulation: %d events in %s, want %d", len(recs), maxSimSpan, n)
	}
	span := recs[n-1].At.Sub(today)
	weeks := int(math.Ceil(float64(span) / float64(week))) // negative when n is within the history
	start := today.Add(-time.Duration(weeks) * week)
	for try := 0; start != today && try < placeTries; try++ {
		recs, err = simulate(ctx, seed, start, n, now)
		if err != nil {
			return nil, err
		}
		if len(recs) == n {
			break
		}
		start = start.Add(-week)
	}
	if len(recs) < n {
		return nil, fmt.Errorf("simulation: only %d of %d events arrive before now", len(recs), n)
	}
	w := &workload{
		bodies: make([][]byte, n), ids: make(map[string]int, n), appended: make([]int64, n),
		simStart: start, lastArrival: recs[n-1].At,
	}
	for i, r := range recs {
		w.bodies[i] = r.Body
		var ev struct {
			ID string `json:"id"`
		}
		// The broken feed's bodies are not all JSON; they trigger nothing.
		if json.Unmarshal(r.Body, &ev) != nil || ev.ID == "" {
			continue
		}
		if _, dup := w.ids[ev.ID]; !dup {
			w.ids[ev.ID] = i
		}
	}
	return w, nil
}

// simulate returns the first n records of the simulation starting at start
// (its master data and history, then live days), or fewer if fewer arrive
// by limit.
func simulate(ctx context.Context, seed uint64, start time.Time, n int, limit time.Time) ([]sim.Record, error) {
	s := sim.New(sim.Config{Seed: seed, Start: start})
	recs := s.Backfill()
	for t := s.Start(); len(recs) < n && t.Before(limit); {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("simulation: %w", err)
		}
		t = t.Add(simStep)
		if t.After(limit) {
			t = limit
		}
		recs = append(recs, s.Advance(t)...)
	}
	recs = recs[:min(n, len(recs))]
	// Records come in arrival order. Only history can arrive after the
	// limit, when the start itself lies beyond it.
	for len(recs) > 0 && recs[len(recs)-1].At.After(limit) {
		recs = recs[:len(recs)-1]
	}
	return recs, nil
}

// appendTo appends the events to the bot's stream in pipelines of
// appendBatch, each entry id stamped with the wall clock at its append, and
// records those times. With pace above 0 it appends at most pace events a
// second. It returns when the first append began and the last returned.
func (w *workload) appendTo(ctx context.Context, st *store.Store, pace float64) (start, end time.Time, err error) {
	var clock store.IDClock
	ids := make([]string, appendBatch)
	start = time.Now()
	for i := 0; i < len(w.bodies); i += appendBatch {
		j := min(i+appendBatch, len(w.bodies))
		for k := i; k < j; k++ {
			id := clock.Next(time.Now())
			ids[k-i] = id
			w.appended[k] = store.IDTime(id).UnixMilli()
		}
		if err := st.AppendAt(ctx, ids[:j-i], w.bodies[i:j]); err != nil {
			return start, time.Now(), err
		}
		if pace > 0 && j < len(w.bodies) {
			due := start.Add(time.Duration(float64(j) / pace * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
					return start, time.Now(), ctx.Err()
				case <-time.After(d):
				}
			}
		}
	}
	return start, time.Now(), nil
}
