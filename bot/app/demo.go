package app

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/sim"
	"github.com/quartermaster-ops/quartermaster/store"
)

// SimClock is the demo's simulated clock: it starts at the simulation's
// start and runs Speed times faster than the wall clock.
type SimClock struct {
	ms atomic.Int64
}

// NewSimClock returns a clock standing at t.
func NewSimClock(t time.Time) *SimClock {
	c := &SimClock{}
	c.ms.Store(t.UnixMilli())
	return c
}

// Now is the simulated time.
func (c *SimClock) Now() time.Time { return time.UnixMilli(c.ms.Load()).UTC() }

func (c *SimClock) advance(d time.Duration) time.Time {
	return time.UnixMilli(c.ms.Add(d.Milliseconds())).UTC()
}

// Producer feeds a simulation into the event stream at accelerated time.
// Each record is appended under an entry id of its simulated arrival time,
// so validation judges "future" events against simulated time.
type Producer struct {
	Sim   *sim.Sim
	Clock *SimClock
	Store *store.Store
	Speed float64       // simulated seconds per real second
	Tick  time.Duration // how often to advance; 100ms when zero
	ids   store.IDClock
}

// Backfill appends the simulation's master data and history.
func (p *Producer) Backfill(ctx context.Context) (int, error) {
	recs := p.Sim.Backfill()
	return len(recs), p.append(ctx, recs)
}

// Run advances the simulation with the clock until ctx ends.
func (p *Producer) Run(ctx context.Context) error {
	tick := p.Tick
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			now := p.Clock.advance(time.Duration(float64(tick) * p.Speed))
			if err := p.append(ctx, p.Sim.Advance(now)); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("demo producer: %w", err)
			}
		}
	}
}

func (p *Producer) append(ctx context.Context, recs []sim.Record) error {
	const batch = 1000
	for len(recs) > 0 {
		n := min(batch, len(recs))
		ids := make([]string, n)
		bodies := make([][]byte, n)
		for i, r := range recs[:n] {
			ids[i] = p.ids.Next(r.At)
			bodies[i] = r.Body
		}
		if err := p.Store.AppendAt(ctx, ids, bodies); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// Banner describes the simulation for the demo's first lines.
func Banner(w io.Writer, s *sim.Sim, speed float64) {
	fmt.Fprintf(w, "simulation: starts %s, %g simulated hours per second\n", s.Start().Format(time.DateOnly), speed/3600)
	for _, d := range s.Scenario() {
		fmt.Fprintf(w, "  scheduled %s  %-13s %s\n", d.At.Format("Jan 02 15:04"), d.Kind, d.Detail)
	}
}
