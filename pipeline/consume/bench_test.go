package consume

import (
	"context"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/sim"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// BenchmarkProcess measures the consumer's work per event on a real Redis:
// decode, resolve and apply batches of 500 simulated events (the network's
// master data is applied first, outside the timing).
func BenchmarkProcess(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	st := store.New(rdb, prefix, 1, store.Options{})
	ctx := context.Background()
	if err := st.LoadScripts(ctx); err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.Config{Seed: 1})
	recs := s.Backfill()
	recs = append(recs, s.Advance(s.Start().Add(72*time.Hour))...)
	var ids store.IDClock
	entries := make([]store.Entry, len(recs))
	for i, r := range recs {
		id := ids.Next(r.At)
		entries[i] = store.Entry{ID: id, Arrived: store.IDTime(id), Body: r.Body}
	}
	p := NewProcessor(st, "bench", time.Now)
	// Master data and references first, so the timed batches resolve.
	if _, err := p.Process(ctx, entries[:1000]); err != nil {
		b.Fatal(err)
	}
	work := entries[1000:]
	const batch = 500
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		start := (i * batch) % (len(work) - batch)
		// Fresh generations keep every batch new work, not duplicates.
		if start == 0 && i > 0 {
			b.StopTimer()
			p = NewProcessor(st.WithGeneration(i+1), "bench", time.Now)
			p.Process(ctx, entries[:1000])
			b.StartTimer()
		}
		if _, err := p.Process(ctx, work[start:start+batch]); err != nil {
			b.Fatal(err)
		}
		events += batch
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
