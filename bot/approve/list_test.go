package approve

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/store/audit"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestOpenListsWaitingProposalsWithAge(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	propose := func(amount float64) Proposal {
		t.Helper()
		p, err := f.book.Propose(ctx, "UPLAN", expedite(amount), src)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(10 * time.Minute)
		return p
	}
	p1, p2, p3, p4 := propose(100), propose(200), propose(300), propose(400)
	if _, err := f.book.Approve(ctx, p2.ID, "UBUY", p2.Hash, src); err != nil {
		t.Fatal(err)
	}
	if _, err := f.book.Reject(ctx, p3.ID, "UFIN", "not now", src); err != nil {
		t.Fatal(err)
	}

	type row struct {
		id  string
		age time.Duration
	}
	list := func() []row {
		t.Helper()
		open, err := f.book.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for _, p := range open {
			if p.State != Open {
				t.Errorf("%s listed in state %s", p.ID, p.State)
			}
			out = append(out, row{p.ID, p.Age})
		}
		return out
	}
	// The clock stands at t0+40m: P1 waited 40 minutes, P4 10.
	if got, want := list(), []row{{p1.ID, 40 * time.Minute}, {p4.ID, 10 * time.Minute}}; !slices.Equal(got, want) {
		t.Errorf("open at t0+40m = %v, want %v", got, want)
	}
	// Past P1's hour it has expired: nobody can approve it any more.
	f.clock.Add(25 * time.Minute)
	if got, want := list(), []row{{p4.ID, 35 * time.Minute}}; !slices.Equal(got, want) {
		t.Errorf("open at t0+65m = %v, want %v", got, want)
	}
}

// A prefix with glob characters lists its own proposals only.
func TestOpenMatchesItsPrefixOnly(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	book := func(p string) *Book {
		var n atomic.Int64
		return New(rdb, p, audit.New(rdb, p, audit.Options{Now: func() time.Time { return t0 }}), Options{
			Policy: policy, Roles: roles, Now: func() time.Time { return t0 },
			IDs: func() string { return p + strconv.FormatInt(n.Add(1), 10) },
		})
	}
	star, plain := book(prefix+"*:"), book(prefix+"a:")
	if _, err := plain.Propose(ctx, "UPLAN", expedite(10), src); err != nil {
		t.Fatal(err)
	}
	if open, err := star.Open(ctx); err != nil || len(open) != 0 {
		t.Errorf("book %q lists %v (err %v), want none", prefix+"*:", open, err)
	}
	if open, err := plain.Open(ctx); err != nil || len(open) != 1 {
		t.Errorf("book %q lists %d proposals (err %v), want 1", prefix+"a:", len(open), err)
	}
}
