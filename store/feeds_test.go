package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func newFeedStore(t testing.TB) *store.Store {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	if err := st.LoadScripts(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func accepted(src string, arrived, occurred time.Time, site string) store.FeedEntry {
	return store.FeedEntry{Source: src, Arrived: arrived, Status: store.FeedAccepted, Occurred: occurred, Site: site}
}

func refused(src string, arrived time.Time, reason string) store.FeedEntry {
	return store.FeedEntry{Source: src, Arrived: arrived, Status: store.FeedQuarantined, Reason: reason}
}

// Two batches, written as the consumer writes them, read back exactly: the
// newest arrival and event time win whatever the order, counts add up per
// hour, and only the window's hours are counted.
func TestFeedStatsByBatch(t *testing.T) {
	st := newFeedStore(t)
	ctx := context.Background()
	h9 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	batches := [][]store.FeedEntry{
		{
			accepted("wms-east", h9.Add(-3*time.Hour), h9.Add(-4*time.Hour), "DC-EAST"), // outside a 1h window
			accepted("wms-east", h9.Add(10*time.Minute), h9.Add(5*time.Minute), "DC-EAST"),
			accepted("wms-east", h9.Add(11*time.Minute), h9.Add(-time.Hour), "DC-NORTH"),
			refused("wms-east", h9.Add(12*time.Minute), "missing_field"),
			refused("wms-east", h9.Add(13*time.Minute), "missing_field"),
			refused("wms-east", h9.Add(14*time.Minute), "negative_quantity"),
			{Source: "erp", Arrived: h9.Add(15 * time.Minute), Status: store.FeedPending},
		},
		{
			// A later batch of older events: the event time stays.
			accepted("wms-east", h9.Add(70*time.Minute), h9.Add(-2*time.Hour), "DC-EAST"),
			refused("", h9.Add(71*time.Minute), "invalid_json"),
			accepted("erp", h9.Add(72*time.Minute), h9.Add(71*time.Minute), ""),
		},
	}
	for _, b := range batches {
		if err := st.Settle(ctx, nil, b); err != nil {
			t.Fatal(err)
		}
	}
	now := h9.Add(80 * time.Minute)
	got, err := st.FeedStats(ctx, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FeedStat{
		{Source: "erp", LastArrival: h9.Add(72 * time.Minute), LastAccepted: h9.Add(72 * time.Minute), LastEventTime: h9.Add(71 * time.Minute),
			Accepted: 1, ByReason: map[string]int{}, Since: h9, UsualGap: time.Hour, FirstSeen: h9},
		{Source: "unknown", LastArrival: h9.Add(71 * time.Minute), Quarantined: 1, ByReason: map[string]int{"invalid_json": 1},
			Since: h9, FirstSeen: h9.Add(time.Hour)},
		{Source: "wms-east", LastArrival: h9.Add(70 * time.Minute), LastAccepted: h9.Add(70 * time.Minute), LastEventTime: h9.Add(5 * time.Minute),
			Accepted: 3, Quarantined: 3, ByReason: map[string]int{"missing_field": 2, "negative_quantity": 1},
			Since: h9, UsualGap: 3 * time.Hour, FirstSeen: h9.Add(-3 * time.Hour), Sites: []string{"DC-EAST", "DC-NORTH"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FeedStats =\n%s\nwant\n%s", dumpFeeds(got), dumpFeeds(want))
	}
	if share := got[2].Share(); share != 0.5 {
		t.Errorf("wms-east share = %v, want 0.5", share)
	}

	// Redelivering nothing new and reading again changes nothing: reads
	// do not write.
	again, err := st.FeedStats(ctx, now, time.Hour)
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("second read = %s, %v", dumpFeeds(again), err)
	}
}

func dumpFeeds(stats []store.FeedStat) string {
	var b strings.Builder
	for _, s := range stats {
		fmt.Fprintf(&b, "  %+v\n", s)
	}
	return b.String()
}

// The usual gap is learned from the hours a source sent in: a recurring
// silence is usual, a single outage is not once the source is a week old.
func TestFeedUsualGap(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	hoursAgo := func(hs ...int) []time.Time {
		out := make([]time.Time, len(hs))
		for i, h := range hs {
			out[i] = now.Add(-time.Duration(h)*time.Hour + 5*time.Minute)
		}
		return out
	}
	every := func(from, to, step int, skip ...int) []time.Time {
		var hs []int
	next:
		for h := from; h >= to; h -= step {
			for _, s := range skip {
				if h == s {
					continue next
				}
			}
			hs = append(hs, h)
		}
		return hoursAgo(hs...)
	}
	tests := []struct {
		name  string
		sent  []time.Time
		want  time.Duration
		first time.Time
	}{
		{"one hour only", hoursAgo(5), 0, now.Add(-5 * time.Hour)},
		{"continuous", every(48, 1, 1), time.Hour, now.Add(-48 * time.Hour)},
		{"nightly", every(20*24, 0, 24), 24 * time.Hour, now.Add(-480 * time.Hour)},
		// Three nights missed in a row: 96h once, 24h the rest.
		{"nightly with an outage", every(20*24, 0, 24, 240, 216, 192), 24 * time.Hour, now.Add(-480 * time.Hour)},
		// In its first week a source's longest silence counts as usual.
		{"young with one long gap", append(every(100, 90, 1), every(40, 30, 1)...), 50 * time.Hour, now.Add(-100 * time.Hour)},
		{"beyond the lookback is forgotten", append(hoursAgo(30*24), every(10, 0, 1)...), time.Hour, now.Add(-10 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFeedStore(t)
			ctx := context.Background()
			var batch []store.FeedEntry
			for _, at := range tt.sent {
				batch = append(batch, accepted("wms", at, at, ""))
			}
			if err := st.Settle(ctx, nil, batch); err != nil {
				t.Fatal(err)
			}
			got, err := st.FeedStats(ctx, now, time.Hour)
			if err != nil || len(got) != 1 {
				t.Fatalf("FeedStats = %v, %v", got, err)
			}
			if got[0].UsualGap != tt.want || !got[0].FirstSeen.Equal(tt.first) {
				t.Errorf("usual gap %v, first seen %v; want %v, %v", got[0].UsualGap, got[0].FirstSeen, tt.want, tt.first)
			}
		})
	}
}

// A source silent for the whole lookback drops out of the statistics.
func TestFeedStatsForgetSilentSources(t *testing.T) {
	st := newFeedStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	old := now.Add(-store.FeedLookback - time.Hour)
	if err := st.Settle(ctx, nil, []store.FeedEntry{accepted("gone", old, old, ""), accepted("here", now, now, "")}); err != nil {
		t.Fatal(err)
	}
	got, err := st.FeedStats(ctx, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Source != "here" {
		t.Errorf("sources = %s, want only here", dumpFeeds(got))
	}
}

func TestFeedStatsWindow(t *testing.T) {
	st := newFeedStore(t)
	for _, w := range []time.Duration{0, -time.Hour, store.MaxFeedWindow + time.Hour} {
		if _, err := st.FeedStats(context.Background(), time.Now(), w); err == nil || !strings.Contains(err.Error(), "window") {
			t.Errorf("window %v: err = %v, want a window error", w, err)
		}
	}
}

// Settle writes quarantine records and counts in one go; when Redis lost
// its scripts it retries the records only, so nothing is counted twice.
func TestSettleAfterScriptFlush(t *testing.T) {
	st := newFeedStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if err := st.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	recs := []store.Quarantined{{Entry: "1-0", Reason: "missing_field", Raw: []byte(`{"source":"erp"}`), At: now, Consumer: "c1", Source: "erp"}}
	if err := st.Settle(ctx, recs, []store.FeedEntry{refused("erp", now, "missing_field")}); err != nil {
		t.Fatal(err)
	}
	q, err := st.QuarantineList(ctx, "", 10)
	if err != nil || len(q) != 1 || q[0].Source != "erp" || q[0].Reason != "missing_field" {
		t.Fatalf("quarantine = %+v, %v", q, err)
	}
	got, err := st.FeedStats(ctx, now, time.Hour)
	if err != nil || len(got) != 1 || got[0].Quarantined != 1 {
		t.Errorf("stats = %s, %v; want erp counted once", dumpFeeds(got), err)
	}
}

func TestFeedSource(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	tests := []struct{ in, want string }{
		{"wms-east", "wms-east"},
		{"  erp ", "erp"},
		{"", store.UnknownSource},
		{" \t", store.UnknownSource},
		{"wms\neast", "wms?east"},
		{"bad\xffutf8", "bad?utf8"},
		{long, strings.Repeat("é", 32)},
	}
	for _, tt := range tests {
		if got := store.FeedSource(tt.in); got != tt.want {
			t.Errorf("FeedSource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkFeedSettle measures what the feed statistics add to a batch of
// 500 entries from four sources, 25 of them refused: "quarantine" is what
// commit wrote before, "settle" the same with the statistics of all 500
// entries, and "clean" a batch with nothing refused, which now costs a
// round trip it did not.
func BenchmarkFeedSettle(b *testing.B) {
	st := newFeedStore(b)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	sources := []string{"erp", "wms-east", "wms-west", "tms"}
	sites := []string{"DC-1", "DC-2", "DC-3", "DC-4", "DC-5"}
	var fs, clean []store.FeedEntry
	for j := range 500 {
		src := sources[j%len(sources)]
		ok := accepted(src, at.Add(time.Duration(j)*time.Millisecond), at, sites[j%len(sites)])
		clean = append(clean, ok)
		if j%20 == 0 {
			ok = refused(src, ok.Arrived, "missing_field")
		}
		fs = append(fs, ok)
	}
	recs := make([]store.Quarantined, 25)
	batch := 0
	quarantined := func() []store.Quarantined {
		batch++
		for j := range recs {
			recs[j] = store.Quarantined{Entry: strconv.Itoa(batch) + "-" + strconv.Itoa(j), Reason: "missing_field",
				Raw: []byte(`{"id":"x"}`), At: at, Source: sources[j%len(sources)]}
		}
		return recs
	}
	b.Run("quarantine", func(b *testing.B) {
		for b.Loop() {
			if err := st.Quarantine(ctx, quarantined()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("settle", func(b *testing.B) {
		for b.Loop() {
			if err := st.Settle(ctx, quarantined(), fs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("clean", func(b *testing.B) {
		for b.Loop() {
			if err := st.Settle(ctx, nil, clean); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFeedStats(b *testing.B) {
	st := newFeedStore(b)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var fs []store.FeedEntry
	for h := range 21 * 24 {
		at := now.Add(-time.Duration(h) * time.Hour)
		for _, src := range []string{"erp", "wms-east", "wms-west", "tms", "supplier-portal"} {
			fs = append(fs, accepted(src, at, at, "DC-1"), refused(src, at, "missing_field"))
		}
	}
	if err := st.Settle(ctx, nil, fs); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.FeedStats(ctx, now, 3*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
