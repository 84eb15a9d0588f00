package consume

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
)

func evFrom(source, id, typ string, at time.Time, kv ...any) []byte {
	return ev(id, typ, at, append([]any{"source", source}, kv...)...)
}

// The consumer counts every batch by source as it commits it: accepted,
// quarantined by reason, and, for records that name no source, under
// "unknown", unless a cut-off record still names its producer.
func TestConsumerCountsFeeds(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	at := t0.Add(24 * time.Hour)
	h.appendAt(t, at, master()...)
	h.appendAt(t, at.Add(time.Minute),
		evFrom("wms-east", "s1", "inventory.snapshot", at, "sku", "SKU1", "site", "DC1", "on_hand", 10),
		evFrom("wms-east", "s1", "inventory.snapshot", at, "sku", "SKU1", "site", "DC1", "on_hand", 10), // duplicate: accepted
		evFrom("wms-east", "s2", "inventory.snapshot", at, "sku", "SKU1", "site", "DC1", "on_hand", -1),
		evFrom("wms-east", "s3", "inventory.snapshot", at, "sku", "NOPE", "site", "DC1", "on_hand", 1),
		evFrom("erp", "o1", "order.created", t0.Add(time.Hour), "order", "O1", "sku", "SKU1", "site", "DC1", "qty", 5),
		[]byte(`<html>502 Bad Gateway</html>`),
		[]byte(`{"id":"s4","type":"inventory.snapshot","source":"wms-west","sku":"SKU1","on_ha`),
		[]byte(`{"id":"s5","type":"inventory.snapshot","occurred_at":"2026-11-21T08:00:00Z","source":17}`),
	)
	h.drain(t, h.consumer("c1"))

	now := at.Add(2 * time.Minute)
	got, err := h.st.FeedStats(ctx, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	type counts struct {
		accepted, quarantined int
		reasons               map[string]int
		lastEvent             time.Time
		sites                 []string
	}
	want := map[string]counts{
		"test":     {accepted: 3, reasons: map[string]int{}, lastEvent: t0},
		"wms-east": {accepted: 2, quarantined: 2, reasons: map[string]int{"negative_quantity": 1, "unknown_sku": 1}, lastEvent: at, sites: []string{"DC1"}},
		"erp":      {accepted: 1, reasons: map[string]int{}, lastEvent: t0.Add(time.Hour), sites: []string{"DC1"}},
		"wms-west": {quarantined: 1, reasons: map[string]int{"invalid_json": 1}},
		"unknown":  {quarantined: 2, reasons: map[string]int{"invalid_json": 1, "invalid_field": 1}},
	}
	seen := map[string]counts{}
	for _, s := range got {
		seen[s.Source] = counts{s.Accepted, s.Quarantined, s.ByReason, s.LastEventTime, s.Sites}
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("feeds =\n%+v\nwant\n%+v", seen, want)
	}

	recs, err := h.st.QuarantineList(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	for _, r := range recs {
		bySource[r.Source]++
	}
	if want := map[string]int{"wms-east": 2, "wms-west": 1, "unknown": 2}; !reflect.DeepEqual(bySource, want) {
		t.Errorf("quarantine records by source = %v, want %v", bySource, want)
	}
}

func TestRawSource(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"valid", `{"id":"a","source":"erp"}`, "erp"},
		{"nested values skipped", `{"daily":[1,{"source":"inner"}],"meta":{"source":"x"},"source":"wms"}`, "wms"},
		{"cut off after source", `{"id":"a","source":"tms","sku":"SK`, "tms"},
		{"cut off before source", `{"id":"a","sku":"SK`, ""},
		{"cut off inside source", `{"id":"a","source":"tm`, ""},
		{"not a string", `{"source":17}`, ""},
		{"html", `<html>502</html>`, ""},
		{"array", `[{"source":"erp"}]`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rawSource([]byte(tt.raw)); got != tt.want {
				t.Errorf("rawSource(%s) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// Entries left pending (a failed apply) count as arrivals only.
func TestFeedEntriesPending(t *testing.T) {
	at := t0.Add(time.Hour)
	b := &Batch{items: []item{
		{entry: store.Entry{ID: "1-0", Arrived: at}},
		{entry: store.Entry{ID: "1-1", Arrived: at, Body: []byte(`{"source":"erp"}`)}},
	}}
	b.items[0].ev.Source = "wms"
	got := feedEntries(b, Outcome{Failed: []string{"1-0"}, Deferred: []string{"1-1"}})
	want := []store.FeedEntry{{Source: "wms", Arrived: at}, {Source: "erp", Arrived: at}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("feedEntries = %+v, want %+v", got, want)
	}
}
