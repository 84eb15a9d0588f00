package sim

import (
	"testing"
	"time"
)

// BenchmarkAdvanceDay measures one simulated day of the default network.
func BenchmarkAdvanceDay(b *testing.B) {
	s := New(Config{Seed: 1})
	s.Backfill()
	until := s.Start()
	records := 0
	for b.Loop() {
		until = until.Add(24 * time.Hour)
		records += len(s.Advance(until))
	}
	b.ReportMetric(float64(records)/float64(b.N), "records/day")
}

// BenchmarkBackfill measures New and Backfill of the default network.
func BenchmarkBackfill(b *testing.B) {
	for b.Loop() {
		New(Config{Seed: 1}).Backfill()
	}
}
