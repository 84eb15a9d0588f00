package silence_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// clock is a settable clock shared by the stores of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)} }

// ids numbers silences s-1, s-2, ...
func ids() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("s-%d", n.Add(1)) }
}

func mustParse(t *testing.T, s string) silence.Matchers {
	t.Helper()
	ms, err := silence.ParseMatchers(s)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

var (
	eastStockout = alert.Alert{ID: "qm-00000000000000e1-1", Fingerprint: "00000000000000e1", Kind: alert.KindStockout,
		Tier: score.Actionable, State: alert.Firing, SKU: "SKU-1", Site: "DC-EAST"}
	westStockout = alert.Alert{ID: "qm-00000000000000e2-1", Fingerprint: "00000000000000e2", Kind: alert.KindStockout,
		Tier: score.Critical, State: alert.Firing, SKU: "SKU-1", Site: "DC-WEST"}
)

func TestStore(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	clk := newClock()
	st := silence.New(rdb, prefix, clk.Now, ids())

	sil, err := st.Create(ctx, silence.Silence{Matchers: mustParse(t, "kind=stockout_risk site=DC-EAST"),
		EndsAt: clk.Now().Add(4 * time.Hour), CreatedBy: "U1", Comment: "cycle count"})
	if err != nil {
		t.Fatal(err)
	}
	if sil.ID != "s-1" || !sil.StartsAt.Equal(clk.Now()) || sil.CreatedBy != "U1" {
		t.Errorf("created %+v", sil)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "s-1" || list[0].Comment != "cycle count" ||
		list[0].Matchers.String() != "kind=stockout_risk site=DC-EAST" || !list[0].EndsAt.Equal(sil.EndsAt) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if id, ok, err := st.Match(ctx, eastStockout); err != nil || !ok || id != "s-1" {
		t.Errorf("Match(east) = %q %v %v, want s-1", id, ok, err)
	}
	if id, ok, err := st.Match(ctx, westStockout); err != nil || ok {
		t.Errorf("Match(west) = %q %v %v, want no match", id, ok, err)
	}

	// Keys carry TTLs: the record until its end plus the retention, the
	// index at least as long.
	recTTL := rdb.PTTL(ctx, st.RecordKey("s-1")).Val()
	if want := 4*time.Hour + silence.Retention; recTTL <= want-time.Minute || recTTL > want {
		t.Errorf("record TTL %v, want about %v", recTTL, want)
	}
	if idxTTL := rdb.PTTL(ctx, st.IndexKey()).Val(); idxTTL < recTTL-time.Minute {
		t.Errorf("index TTL %v, shorter than the record's %v", idxTTL, recTTL)
	}
	if !strings.HasPrefix(st.IndexKey(), "{"+prefix) || !strings.HasPrefix(st.RecordKey("s-1"), st.IndexKey()+":") {
		t.Errorf("keys %s %s not under prefix %s on one slot", st.IndexKey(), st.RecordKey("s-1"), prefix)
	}

	// A longer silence extends the index's TTL; a shorter one does not
	// cut it.
	long, err := st.Create(ctx, silence.Silence{Matchers: mustParse(t, "site=DC-WEST"), EndsAt: clk.Now().Add(silence.MaxDuration), CreatedBy: "U2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, silence.Silence{Matchers: mustParse(t, "site=DC-NORTH"), EndsAt: clk.Now().Add(time.Minute), CreatedBy: "U2"}); err != nil {
		t.Fatal(err)
	}
	if idxTTL := rdb.PTTL(ctx, st.IndexKey()).Val(); idxTTL < silence.MaxDuration+silence.Retention-time.Minute {
		t.Errorf("index TTL %v after a 7-day silence", idxTTL)
	}
	if list, _ := st.List(ctx); len(list) != 3 || list[0].ID != "s-3" || list[2].ID != long.ID {
		t.Errorf("List, soonest end first = %v", list)
	}

	// The clock passes the first silence's end: it no longer matches, even
	// from the cache, and is no longer listed, but Get still finds it.
	clk.Add(4*time.Hour - time.Second)
	if _, ok, _ := st.Match(ctx, eastStockout); !ok {
		t.Fatal("east not silenced a second before the end")
	}
	clk.Add(time.Second) // within CacheFor: Match answers from its cache
	if id, ok, err := st.Match(ctx, eastStockout); err != nil || ok {
		t.Errorf("Match(east) after the end = %q %v %v", id, ok, err)
	}
	list, err = st.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != long.ID {
		t.Errorf("List after two ended = %v, %v", list, err)
	}
	if got, err := st.Get(ctx, "s-1"); err != nil || !got.EndsAt.Equal(sil.EndsAt) {
		t.Errorf("Get(s-1) after its end = %+v, %v", got, err)
	}
	if err := st.Expire(ctx, "s-1", "U3"); !errors.Is(err, silence.ErrEnded) {
		t.Errorf("Expire of an ended silence: %v, want ErrEnded", err)
	}

	// Expire ends a live one at once, on this store, and keeps the record
	// for the retention with who ended it.
	if _, ok, _ := st.Match(ctx, westStockout); !ok {
		t.Fatal("west not silenced before Expire")
	}
	clk.Add(time.Second)
	if err := st.Expire(ctx, long.ID, "U3"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := st.Match(ctx, westStockout); err != nil || ok {
		t.Errorf("Match(west) after Expire = %q %v %v", id, ok, err)
	}
	got, err := st.Get(ctx, long.ID)
	if err != nil || got.ExpiredBy != "U3" || !got.EndsAt.Equal(clk.Now()) {
		t.Errorf("Get after Expire = %+v, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, st.RecordKey(long.ID)).Val(); ttl <= silence.Retention-time.Minute || ttl > silence.Retention {
		t.Errorf("expired record TTL %v, want about %v", ttl, silence.Retention)
	}
	if n := rdb.ZCard(ctx, st.IndexKey()).Val(); n != 0 {
		t.Errorf("index holds %d ids after every silence ended", n)
	}
	if list, err := st.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v; want none", list, err)
	}
	if err := st.Expire(ctx, "s-404", "U3"); !errors.Is(err, silence.ErrNotFound) {
		t.Errorf("Expire(s-404): %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "s 1", "s-1*", "{x}", strings.Repeat("a", 65)} {
		if err := st.Expire(ctx, bad, "U3"); err == nil || errors.Is(err, silence.ErrNotFound) {
			t.Errorf("Expire(%q): %v, want a bad id", bad, err)
		}
	}
	if err := st.Expire(ctx, "s-3", ""); err == nil {
		t.Error("Expire with no one expiring it")
	}
}

func TestCreateRefuses(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	clk := newClock()
	st := silence.New(rdb, prefix, clk.Now, func() string { return "s-same" })
	now := clk.Now()
	ok := silence.Silence{Matchers: mustParse(t, "site=DC-EAST"), EndsAt: now.Add(time.Hour), CreatedBy: "U1"}
	tests := []struct {
		name string
		edit func(*silence.Silence)
		err  string
	}{
		{"no matchers", func(s *silence.Silence) { s.Matchers = nil }, "no matchers"},
		{"only negative", func(s *silence.Silence) { s.Matchers = mustParse(t, "tier!=critical") }, "could silence every alert"},
		{"matches empty", func(s *silence.Silence) { s.Matchers = mustParse(t, "tire!=critical site=~.*") }, "could silence every alert"},
		{"too long", func(s *silence.Silence) { s.EndsAt = now.Add(silence.MaxDuration + time.Second) }, "at most"},
		{"ended", func(s *silence.Silence) { s.EndsAt = now }, "not after it starts"},
		{"ends before start", func(s *silence.Silence) {
			s.StartsAt, s.EndsAt = now.Add(2*time.Hour), now.Add(time.Hour)
		}, "not after it starts"},
		{"nobody", func(s *silence.Silence) { s.CreatedBy = "" }, "created_by"},
		{"bad id", func(s *silence.Silence) { s.ID = "s 1" }, "silence id"},
		{"long comment", func(s *silence.Silence) { s.Comment = strings.Repeat("x", 501) }, "comment"},
		{"literal bad regex", func(s *silence.Silence) {
			s.Matchers = silence.Matchers{{Name: "site", Op: silence.MatchRegexp, Value: "(("}}
		}, "bad regex"},
		{"literal bad op", func(s *silence.Silence) {
			s.Matchers = silence.Matchers{{Name: "site", Op: "==", Value: "x"}}
		}, "unknown operator"},
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		if got, err := st.Create(ctx, s); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: Create = %+v, %v; want error with %q", tt.name, got, err, tt.err)
		}
	}
	if n := rdb.Exists(ctx, st.IndexKey(), st.RecordKey("s-same")).Val(); n != 0 {
		t.Fatalf("refused silences left %d keys", n)
	}
	if _, err := st.Create(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, ok); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second silence with the same id: %v", err)
	}
	if _, err := st.Draft(mustParse(t, "site=DC-EAST"), 8*24*time.Hour, "U1", ""); err == nil {
		t.Error("Draft accepted 8 days")
	}
	d, err := st.Draft(mustParse(t, "site=DC-EAST"), time.Hour, "U1", "why")
	if err != nil || d.ID != "s-same" || !d.EndsAt.Equal(now.Add(time.Hour)) {
		t.Errorf("Draft = %+v, %v", d, err)
	}
}

// counter counts the commands a client sends, pipelines included.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// Two replicas share silences through Redis: one creates, the other
// matches; one expires, the other stops matching once its cache is due.
func TestReplicas(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	clk := newClock()
	var cnt counter
	rdb.AddHook(&cnt)
	a := silence.New(rdb, prefix, clk.Now, ids())
	b := silence.New(rdb, prefix, clk.Now, nil)

	if _, ok, err := b.Match(ctx, eastStockout); err != nil || ok {
		t.Fatalf("b matched before any silence: %v %v", ok, err)
	}
	sil, err := a.Create(ctx, silence.Silence{Matchers: mustParse(t, "SKU-1@DC-EAST"), EndsAt: clk.Now().Add(time.Hour), CreatedBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	// b read the empty set a moment ago; within CacheFor it still uses it.
	if _, ok, _ := b.Match(ctx, eastStockout); ok {
		t.Error("b matched from a stale cache: the test's premise is wrong")
	}
	clk.Add(silence.DefaultCacheFor)
	if id, ok, err := b.Match(ctx, eastStockout); err != nil || !ok || id != sil.ID {
		t.Errorf("b.Match = %q %v %v, want %s", id, ok, err, sil.ID)
	}
	if list, err := b.List(ctx); err != nil || len(list) != 1 || list[0].ID != sil.ID {
		t.Errorf("b.List = %v, %v", list, err)
	}

	// Within CacheFor, Match costs no round trip at all.
	before := cnt.n.Load()
	for range 1000 {
		if _, ok, err := b.Match(ctx, eastStockout); err != nil || !ok {
			t.Fatal("cached match lost")
		}
	}
	if n := cnt.n.Load() - before; n != 0 {
		t.Errorf("1000 cached matches sent %d commands", n)
	}
	// A refresh reads the index, then the records in one MGET.
	clk.Add(silence.DefaultCacheFor)
	before = cnt.n.Load()
	b.Match(ctx, westStockout)
	if n := cnt.n.Load() - before; n != 2 {
		t.Errorf("a refreshing match sent %d commands, want 2", n)
	}

	// b ends a's silence: b stops at once, a once its cache is due.
	if _, ok, _ := a.Match(ctx, eastStockout); !ok {
		t.Fatal("a does not see its own silence")
	}
	if err := b.Expire(ctx, sil.ID, "U2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Match(ctx, eastStockout); ok {
		t.Error("b still matches the silence it expired")
	}
	clk.Add(silence.DefaultCacheFor)
	if _, ok, _ := a.Match(ctx, eastStockout); ok {
		t.Error("a still matches b's expired silence after CacheFor")
	}
	if got, err := a.Get(ctx, sil.ID); err != nil || got.ExpiredBy != "U2" {
		t.Errorf("a.Get = %+v, %v", got, err)
	}
	// The default ids are "s-" and 12 hex digits.
	s2, err := b.Create(ctx, silence.Silence{Matchers: mustParse(t, "kind=demand_anomaly"), EndsAt: clk.Now().Add(time.Hour), CreatedBy: "U2"})
	if err != nil || len(s2.ID) != 14 || !strings.HasPrefix(s2.ID, "s-") {
		t.Errorf("default id %q, %v", s2.ID, err)
	}
}

// With CacheFor zero every Match reads Redis, so another replica's
// silence takes effect at once.
func TestNoCache(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	clk := newClock()
	a, b := silence.New(rdb, prefix, clk.Now, ids()), silence.New(rdb, prefix, clk.Now, nil)
	b.CacheFor = 0
	b.Match(ctx, eastStockout)
	if _, err := a.Create(ctx, silence.Silence{Matchers: mustParse(t, "site=DC-EAST"), EndsAt: clk.Now().Add(time.Hour), CreatedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := b.Match(ctx, eastStockout); err != nil || !ok {
		t.Errorf("uncached b.Match = %v, %v", ok, err)
	}
}

// A record that cannot be decoded is reported by List and skipped by
// Match, so the other silences keep working.
func TestUnreadableRecord(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	clk := newClock()
	st := silence.New(rdb, prefix, clk.Now, ids())
	if _, err := st.Create(ctx, silence.Silence{Matchers: mustParse(t, "site=DC-EAST"), EndsAt: clk.Now().Add(time.Hour), CreatedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	rdb.Set(ctx, st.RecordKey("s-bad"), `{"matchers":["site>x"]}`, time.Hour)
	rdb.ZAdd(ctx, st.IndexKey(), redis.Z{Score: float64(clk.Now().Add(2 * time.Hour).UnixMilli()), Member: "s-bad"})
	list, err := st.List(ctx)
	if err == nil || len(list) != 1 || list[0].ID != "s-1" {
		t.Errorf("List = %v, %v; want s-1 and an error", list, err)
	}
	clk.Add(time.Minute)
	if id, ok, err := st.Match(ctx, eastStockout); err != nil || !ok || id != "s-1" {
		t.Errorf("Match = %q %v %v", id, ok, err)
	}
}
