package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// stepClock is an injected clock that moves 1.5 s per reading, so every
// entry has its own time and the times are the same on every run.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(1500 * time.Millisecond)
	return c.t
}

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 123456789, time.UTC)

func newLog(t *testing.T) (*Log, *redis.Client) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	// A small page makes Verify cross page boundaries in every test.
	return New(rdb, prefix, Options{Now: (&stepClock{t: t0}).Now, PageSize: 4}), rdb
}

var actions = []string{Propose, Approve, Ack, Snooze, Assign, Reject, Execute}

// fill appends n entries and returns them as stored.
func fill(t *testing.T, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := range n {
		e, err := l.Append(context.Background(), Entry{
			Actor: "U" + strconv.Itoa(100+i%3), Role: "planner", Action: actions[i%len(actions)],
			Alert: "stockout:SKU9@DC1", Target: "PO-" + strconv.Itoa(i),
			Params: map[string]string{"qty": strconv.Itoa(10 * i), "until": "2026-11-21T08:00:00Z"},
			Source: Source{Platform: "slack", Channel: "C0SUPPLY", Message: fmt.Sprintf("1763625600.%06d", i)},
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func verifyOK(t *testing.T, l *Log, anchors ...string) Report {
	t.Helper()
	rep, err := l.Verify(context.Background(), anchors...)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("verify: %s", rep.Problem)
	}
	return rep
}

func TestAppendBuildsChain(t *testing.T) {
	ctx := context.Background()
	l, _ := newLog(t)
	if rep := verifyOK(t, l); rep.String() != "audit log OK: 0 entries, head 0 "+Genesis {
		t.Errorf("empty log: %s", rep)
	}
	got := fill(t, l, 10)
	prev := Genesis
	for i, e := range got {
		if e.Seq != int64(i+1) || e.Prev != prev || e.Hash != e.sum() || e.ID == "" {
			t.Errorf("entry %d: seq %d prev %.8s hash %.8s id %q; want seq %d prev %.8s", i, e.Seq, e.Prev, e.Hash, e.ID, i+1, prev)
		}
		if want := t0.Add(time.Duration(i+1) * 1500 * time.Millisecond).Truncate(time.Millisecond); !e.At.Equal(want) {
			t.Errorf("entry %d at %s, want %s from the clock, to the ms", i, e.At, want)
		}
		prev = e.Hash
	}
	rep := verifyOK(t, l)
	if want := fmt.Sprintf("audit log OK: 10 entries, head 10 %s", prev); rep.String() != want {
		t.Errorf("report %q, want %q", rep, want)
	}
	head, ok, err := l.Head(ctx)
	if err != nil || !ok || head != (Head{Seq: 10, Hash: prev}) {
		t.Errorf("head = %v, %v, %v", head, ok, err)
	}
	last, err := l.Last(ctx, 3)
	if err != nil || len(last) != 3 {
		t.Fatalf("last 3: %v, %v", last, err)
	}
	for i, e := range last {
		want := got[7+i]
		if e.Seq != want.Seq || e.Hash != want.Hash || e.ID != want.ID || !e.At.Equal(want.At) || e.Params["qty"] != want.Params["qty"] || e.Source != want.Source {
			t.Errorf("last[%d] = %+v, want %+v", i, e, want)
		}
	}
}

func TestAppendRefuses(t *testing.T) {
	ctx := context.Background()
	l, rdb := newLog(t)
	if _, err := l.Append(ctx, Entry{Action: Ack}); err == nil {
		t.Error("appended an entry without an actor")
	}
	if _, err := l.Append(ctx, Entry{Actor: "U1"}); err == nil {
		t.Error("appended an entry without an action")
	}
	fill(t, l, 2)
	// Starting a new chain over entries whose head is gone would fork
	// the log and hide the tampering.
	rdb.Del(ctx, l.HeadKey())
	if _, err := l.Append(ctx, Entry{Actor: "U1", Action: Ack}); !errors.Is(err, ErrHeadMissing) {
		t.Errorf("append without a head: %v, want ErrHeadMissing", err)
	}
}

func TestAppendRepairsUTF8(t *testing.T) {
	l, _ := newLog(t)
	e, err := l.Append(context.Background(), Entry{Actor: "U\xff1", Action: Ack, Params: map[string]string{"k\xfe": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Actor != "U\uFFFD1" || e.Params["k\uFFFD"] != "v" {
		t.Errorf("stored %q %v, want invalid bytes replaced", e.Actor, e.Params)
	}
	verifyOK(t, l)
}

// Replicas append at once through their own Logs and connections; the
// compare-and-set on the head must leave one unbroken chain with every
// entry in it once.
func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	const writers, each = 8, 30
	l, rdb := newLog(t)
	prefix := strings.TrimSuffix(l.Stream(), "audit")
	clock := &stepClock{t: t0}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			c := redis.NewClient(rdb.Options())
			defer c.Close()
			lw := New(c, prefix, Options{Now: clock.Now})
			for i := range each {
				_, err := lw.Append(context.Background(), Entry{Actor: fmt.Sprintf("W%d", w), Action: Ack, Target: strconv.Itoa(i)})
				errs <- err
			}
		})
	}
	// Verify while the writers append: it must follow the moving head,
	// never mistaking a fresh entry for tampering.
	stop := make(chan struct{})
	verified := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				verified <- nil
				return
			default:
			}
			rep, err := l.Verify(context.Background())
			if err != nil || !rep.OK() {
				verified <- fmt.Errorf("verify during appends: %v %v", err, rep.Problem)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-verified; err != nil {
		t.Error(err)
	}
	rep := verifyOK(t, l)
	if rep.Entries != writers*each || rep.Head.Seq != writers*each {
		t.Errorf("%d entries, head %d; want %d", rep.Entries, rep.Head.Seq, writers*each)
	}
	seen := map[string]bool{}
	all, err := l.Last(context.Background(), writers*each)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		k := e.Actor + "/" + e.Target
		if seen[k] {
			t.Errorf("%s appended twice", k)
		}
		seen[k] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct entries, want %d", len(seen), writers*each)
	}
}

// rewrite replaces the audit stream with entries holding the given JSON
// values at ids 1-0, 2-0, ... A Redis stream cannot change an entry in
// place, so this is how someone with write access would edit, reorder or
// insert entries: build a new stream with XADD at explicit ids and RENAME
// it over the original. Ids are not hashed, so renumbering them alone
// leaves a valid log, which TestTampering relies on.
func rewrite(t *testing.T, rdb *redis.Client, l *Log, values []string) {
	t.Helper()
	fields := make([][]any, len(values))
	for i, v := range values {
		fields[i] = []any{Field, v}
	}
	rewriteFields(t, rdb, l, fields)
}

// rewriteFields is rewrite with the stream entries' fields spelled out.
func rewriteFields(t *testing.T, rdb *redis.Client, l *Log, fields [][]any) {
	t.Helper()
	ctx := context.Background()
	tmp := "{" + l.Stream() + "}:tmp"
	for i, f := range fields {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: tmp, ID: fmt.Sprintf("%d-0", i+1), Values: f}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Rename(ctx, tmp, l.Stream()).Err(); err != nil {
		t.Fatal(err)
	}
}

// stored is the JSON of e as Append stores it.
func stored(e Entry) string { return string(e.record().canonical(true)) }

// forge changes an entry and gives it a hash that matches, as a tamperer
// who knows the format would.
func forge(e Entry) Entry {
	e.Actor = "mallory"
	e.Hash = e.sum()
	return e
}

func TestTampering(t *testing.T) {
	const n = 6
	type tamper func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string)
	cases := []struct {
		name   string
		tamper tamper
		kind   Kind
		msg    func(es []Entry) string
	}{
		{"edited field", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[2] = strings.Replace(vals[2], `"actor":"U102"`, `"actor":"U999"`, 1)
			rewrite(t, rdb, l, vals)
		}, Edited, func([]Entry) string { return "entry 3 (stream id 3-0): hash mismatch (edited)" }},
		{"edited seq", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[2] = strings.Replace(vals[2], `"seq":3`, `"seq":4`, 1)
			rewrite(t, rdb, l, vals)
		}, Edited, func([]Entry) string { return "entry at stream id 3-0 (seq 4, expected 3): hash mismatch (edited)" }},
		{"member added", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[2] = strings.Replace(vals[2], `{`, `{"approved_by":"ceo",`, 1)
			rewrite(t, rdb, l, vals)
		}, Edited, func([]Entry) string {
			return `entry 3 (stream id 3-0): unreadable: not an audit entry: json: unknown field "approved_by" (edited)`
		}},
		{"entry field removed", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			fields := make([][]any, len(vals))
			for i, v := range vals {
				fields[i] = []any{Field, v}
			}
			fields[2] = []any{"note", "nothing happened"}
			rewriteFields(t, rdb, l, fields)
		}, Edited, func([]Entry) string { return `entry 3 (stream id 3-0): unreadable: no "entry" field (edited)` }},
		{"replaced and rehashed", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[2] = stored(forge(es[2]))
			rewrite(t, rdb, l, vals)
		}, Relinked, func([]Entry) string {
			return "entry 4 (stream id 4-0): prev does not match entry 3 (entry 3 replaced, or entries deleted and renumbered)"
		}},
		{"deleted", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.XDel(context.Background(), l.Stream(), "3-0")
		}, Deleted, func([]Entry) string { return "seq jumps from 2 to 4 (deleted)" }},
		{"first deleted", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.XDel(context.Background(), l.Stream(), "1-0")
		}, Deleted, func([]Entry) string { return "log starts at entry 2 (stream id 2-0), not 1 (deleted)" }},
		{"reordered", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[2], vals[3] = vals[3], vals[2]
			rewrite(t, rdb, l, vals)
		}, Reordered, func([]Entry) string {
			return "entry 4 (stream id 3-0) comes before entry 3 (stream id 4-0) (reordered)"
		}},
		{"duplicated", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rewrite(t, rdb, l, append(vals[:3:3], append([]string{vals[1]}, vals[3:]...)...))
		}, Reordered, func([]Entry) string { return "entry 2 (stream id 4-0) comes after entry 3 (duplicated or reordered)" }},
		{"last deleted", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.XDel(context.Background(), l.Stream(), "6-0")
		}, Truncated, func([]Entry) string { return "log ends at 5 but head says 6 (truncated)" }},
		{"trimmed", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			// XTRIM keeps the newest entries: the start goes.
			rdb.XTrimMaxLen(context.Background(), l.Stream(), 4)
		}, Deleted, func([]Entry) string { return "log starts at entry 3 (stream id 3-0), not 1 (deleted)" }},
		{"stream deleted", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.Del(context.Background(), l.Stream())
		}, Truncated, func([]Entry) string { return "log is empty but head says 6 (deleted)" }},
		{"head deleted", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.Del(context.Background(), l.HeadKey())
		}, HeadMissing, func([]Entry) string { return "head missing (the log has 6 entries, last 6)" }},
		{"head rolled back", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.HSet(context.Background(), l.HeadKey(), "seq", 5, "hash", es[4].Hash)
		}, HeadMismatch, func([]Entry) string {
			return "log ends at 6 but head says 5 (entries added around the head, or head rolled back)"
		}},
		{"head seq edited", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			rdb.HSet(context.Background(), l.HeadKey(), "seq", "six")
		}, HeadMismatch, func([]Entry) string {
			return `read audit head: seq "six": head unreadable: strconv.ParseInt: parsing "six": invalid syntax (edited)`
		}},
		{"last replaced and rehashed", func(t *testing.T, rdb *redis.Client, l *Log, es []Entry, vals []string) {
			vals[5] = stored(forge(es[5]))
			rewrite(t, rdb, l, vals)
		}, HeadMismatch, func(es []Entry) string {
			return "entry 6 (stream id 6-0) does not match the head's hash " + es[5].Hash + " (log or head rewritten)"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, rdb := newLog(t)
			es := fill(t, l, n)
			vals := make([]string, n)
			for i, e := range es {
				vals[i] = stored(e)
			}
			rewrite(t, rdb, l, vals)
			verifyOK(t, l) // renumbered ids alone are no tampering
			c.tamper(t, rdb, l, es, vals)
			rep, err := l.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("tampering not detected: %s", rep)
			}
			if rep.Problem.Kind != c.kind {
				t.Errorf("kind %s, want %s (%s)", rep.Problem.Kind, c.kind, rep.Problem)
			}
			if c.msg != nil {
				if want := c.msg(es); rep.String() != want {
					t.Errorf("problem\n %q\nwant\n %q", rep, want)
				}
			}
		})
	}
}

// Someone who can write Redis can rewrite the whole chain and the head
// consistently; only a head recorded elsewhere catches that.
func TestAnchorCatchesRewrite(t *testing.T) {
	ctx := context.Background()
	l, rdb := newLog(t)
	es := fill(t, l, 5)
	anchor, _, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyOK(t, l, anchor.Hash, strings.ToUpper(es[1].Hash))
	if len(rep.Anchors) != 2 || rep.Anchors[0] != anchor || rep.Anchors[1].Seq != 2 {
		t.Errorf("anchors found: %v", rep.Anchors)
	}

	// Forge entry 2 and rebuild every entry after it and the head.
	vals := make([]string, len(es))
	prev := Genesis
	for i, e := range es {
		if i == 1 {
			e.Actor = "mallory"
		}
		e.Prev = prev
		e.Hash = e.sum()
		prev = e.Hash
		vals[i] = stored(e)
	}
	rewrite(t, rdb, l, vals)
	rdb.HSet(ctx, l.HeadKey(), "seq", len(es), "hash", prev)

	verifyOK(t, l) // the rewrite is consistent
	rep, err = l.Verify(ctx, anchor.Hash)
	if err != nil {
		t.Fatal(err)
	}
	want := "expected head " + anchor.Hash + " is not in the log (rewritten)"
	if rep.OK() || rep.Problem.Kind != AnchorMissing || rep.String() != want {
		t.Errorf("verify with the old head: %s, want %s", rep, want)
	}
}

// The canonical form is what every hash in every log was taken over: it
// must not change, whatever Go or its encoding/json do. The golden entry
// has every kind of character the escaping treats specially.
func TestCanonicalGolden(t *testing.T) {
	e := Entry{
		Seq: 42, At: time.Date(2026, 11, 20, 8, 30, 0, 5_600_000, time.FixedZone("CET", 3600)),
		Actor: "U024BE7LH", Role: "planner", Action: Approve, Alert: "stockout:SKU-9@DC1",
		Target: `PO "4711" <expedite> & co`,
		Params: map[string]string{"qty": "500", "note": "line1\nline2\ttab\x01\u2028 café 📦 \\", "Ünit": "kg", "a": ""},
		Source: Source{Platform: "slack", Channel: "C0SUPPLY", Message: "1763625600.000100"},
		Prev:   strings.Repeat("ab", 32),
	}
	got := e.Canonical()
	sum := sha256.Sum256(got)
	gotFile := append(append(got, '\n'), hex.EncodeToString(sum[:])+"\n"...)
	path := filepath.Join("testdata", "canonical.golden")
	if *update {
		if err := os.WriteFile(path, gotFile, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(gotFile, want) {
		t.Errorf("canonical form changed:\n got %s\nwant %s", gotFile, want)
	}
	// The canonical form is JSON that reads back to the same entry.
	var r record
	if err := json.Unmarshal(got, &r); err != nil {
		t.Fatalf("canonical form is not JSON: %v", err)
	}
	back, err := r.entry("")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Canonical(), got) {
		t.Errorf("canonical form does not survive a round trip:\n%s\n%s", back.Canonical(), got)
	}
}
