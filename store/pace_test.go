package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// TestReserveSend checks that replicas sharing a store share a channel's
// pace: each reservation waits one gap longer than the one before,
// whichever replica makes it, and channels do not share slots.
func TestReserveSend(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a := store.New(rdb, prefix, 1, store.Options{})
	b := store.New(rdb, prefix, 1, store.Options{})
	ctx := context.Background()
	gap := 10 * time.Second
	for i, st := range []*store.Store{a, b, a, b} {
		wait, err := st.ReserveSend(ctx, "slack:#war-room", gap)
		if err != nil {
			t.Fatal(err)
		}
		// The calls take well under a second, so each lands near i gaps.
		if want := time.Duration(i) * gap; wait < want-time.Second || wait > want {
			t.Errorf("reservation %d waits %s, want about %s", i, wait, want)
		}
	}
	if wait, err := b.ReserveSend(ctx, "slack:#planners", gap); err != nil || wait != 0 {
		t.Errorf("another channel waits %s (%v), want 0", wait, err)
	}
	ttl, err := rdb.PTTL(ctx, a.Keys().Pace("slack:#war-room")).Result()
	if err != nil || ttl <= 0 || ttl > 4*gap+time.Second {
		t.Errorf("slot key TTL %s (%v): want it to expire soon after the last slot", ttl, err)
	}
}
