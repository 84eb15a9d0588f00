package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// TestDigestQueue checks that a digest takes the queue whole, once, and
// that changes put back come first in their order.
func TestDigestQueue(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	ctx := context.Background()
	strs := func(b [][]byte) []string {
		out := make([]string, len(b))
		for i := range b {
			out[i] = string(b[i])
		}
		return out
	}
	for _, r := range []string{"a", "b", "c"} {
		if err := st.QueueDigest(ctx, "slack:#x", []byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.TakeDigest(ctx, "slack:#x")
	if err != nil || !slices.Equal(strs(got), []string{"a", "b", "c"}) {
		t.Fatalf("take = %q %v, want a b c", strs(got), err)
	}
	if again, _ := st.TakeDigest(ctx, "slack:#x"); len(again) != 0 {
		t.Errorf("second take = %q, want nothing", strs(again))
	}
	st.QueueDigest(ctx, "slack:#x", []byte("d"))
	if err := st.RequeueDigest(ctx, "slack:#x", got); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.TakeDigest(ctx, "slack:#x"); !slices.Equal(strs(got), []string{"a", "b", "c", "d"}) {
		t.Errorf("after requeue = %q, want a b c d", strs(got))
	}
}
