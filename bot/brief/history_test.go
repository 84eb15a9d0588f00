package brief_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// The streams are read back from the newest entry, page by page, and no
// further than asked.
func TestStreamHistoryPages(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	start := now.Add(-1200 * time.Minute)
	for i := range 1200 {
		rec, _ := json.Marshal(alert.Alert{ID: fmt.Sprintf("a%d", i), DetectedAt: start.Add(time.Duration(i) * time.Minute)})
		if ok, err := st.WriteAlert(ctx, fmt.Sprintf("fp%d", i), 0, rec); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	h := brief.StreamHistory{Store: st}
	got, err := h.AlertsSince(ctx, start.Add(300*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 899 || got[0].ID != "a301" || got[898].ID != "a1199" {
		t.Errorf("read %d revisions, from %s to %s; want a301 to a1199", len(got), got[0].ID, got[len(got)-1].ID)
	}

	var ids store.IDClock
	var sids []string
	var bodies [][]byte
	for i := range 1200 {
		at := start.Add(time.Duration(i) * time.Minute)
		sids = append(sids, ids.Next(at.Add(time.Second)))
		bodies = append(bodies, fmt.Appendf(nil, `{"id":"e%d","occurred_at":%q}`, i, at.Format(time.RFC3339)))
	}
	if err := st.AppendAt(ctx, sids, bodies); err != nil {
		t.Fatal(err)
	}
	detected := start.Add(1100 * time.Minute)
	for _, tt := range []struct {
		scan int
		ids  []string
		want time.Time // zero: not found
	}{
		{0, []string{"e1099", "e1050"}, start.Add(1050 * time.Minute)},
		{0, []string{"e500"}, start.Add(500 * time.Minute)}, // two pages back
		{0, []string{"e1150"}, time.Time{}},                 // arrived after the detection
		{300, []string{"e500"}, time.Time{}},                // past the scan
		{0, []string{"nope"}, time.Time{}},
	} {
		got, ok, err := brief.StreamHistory{Store: st, TriggerScan: tt.scan}.TriggerTime(ctx, tt.ids, detected)
		if err != nil || ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("TriggerTime(%v, scan %d) = %v, %v, %v; want %v", tt.ids, tt.scan, got, ok, err, tt.want)
		}
	}
}
