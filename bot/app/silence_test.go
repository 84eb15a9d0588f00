package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// A silence made with /qm keeps matching alert changes out of chat, on
// every replica, until it is unsilenced.
func TestSilenced(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	now := time.Now().UTC()
	r := start(t, rdb, prefix, now)
	other := start(t, rdb, prefix, now) // a second replica
	ctx := context.Background()
	anomaly := alert.Alert{Kind: alert.KindDemandAnomaly, SKU: "SKU1", Site: "DC1"}
	stockout := alert.Alert{Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1"}
	reply, err := r.app.people.Command(ctx, "slack", "U1", "C1", "silence kind=demand_anomaly site=DC1 for 4h promo week")
	if err != nil || !strings.HasPrefix(reply, "Silenced") {
		t.Fatalf("silence: %q %v", reply, err)
	}
	list, err := other.app.silences.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("silences on the other replica: %v %v", list, err)
	}
	id := list[0].ID
	for _, rep := range []*running{r, other} {
		rep.app.silences.CacheFor = 0
		if got, err := rep.app.muted(ctx, anomaly); err != nil || !got {
			t.Errorf("anomaly muted = %v, %v; want true", got, err)
		}
		if got, err := rep.app.muted(ctx, stockout); err != nil || got {
			t.Errorf("stockout muted = %v, %v; want false", got, err)
		}
	}
	if _, err := other.app.people.Command(ctx, "slack", "U1", "C1", "unsilence "+id); err != nil {
		t.Fatal(err)
	}
	if got, err := r.app.muted(ctx, anomaly); err != nil || got {
		t.Errorf("anomaly muted after unsilence = %v, %v", got, err)
	}
}
