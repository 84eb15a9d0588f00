// Package audit keeps the append-only, hash-chained log of every decision
// people and the bot take on alerts: acknowledgements, snoozes,
// assignments, proposals, approvals, rejections and executions, with who,
// when, what and from which chat message.
//
// The log is the Redis stream <prefix>audit, one JSON entry per stream
// entry in the field "entry" (readable with XRANGE), and a head hash
// {<prefix>audit}:head holding the seq and hash of the last entry. Each
// entry carries the hash of the one before it (prev) and its own hash over
// its canonical encoding (see Entry.Canonical), so Verify detects an entry
// edited, deleted, reordered or cut off the end.
//
// Appends are race-free across replicas: a script links the entry to the
// head only if the head has not moved since the entry was built (compare
// and set), and Append rebuilds and retries when another replica won.
//
// The chain proves the log is intact relative to its head, not against
// someone with full write access to Redis: they can rewrite every entry
// and the head together and the result verifies. To catch that, record
// the head (Head, or the last line of `quartermaster audit verify`)
// somewhere they cannot write, for example in a daily message or a ticket,
// and pass it later to Verify as an anchor: a rewritten log no longer
// contains it.
package audit

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Field is the one field of an audit stream entry.
const Field = "entry"

var (
	//go:embed lua/append.lua
	appendSrc    string
	appendScript = redis.NewScript(appendSrc)
)

// ErrContended means Append lost the race for the head to other writers
// maxAttempts times in a row; the entry was not written.
var ErrContended = errors.New("audit: too many concurrent appends")

// ErrHeadMissing means the log has entries but no head, so Append cannot
// tell where the chain ends and refuses to fork it. Verify says more.
var ErrHeadMissing = errors.New("audit: head missing")

// errBadHead means the head hash exists but its seq is not a number:
// nobody but a person editing Redis writes that.
var errBadHead = errors.New("head unreadable")

// maxAttempts bounds Append's retries. Each lost race means another entry
// was appended, so this many in a row takes that many writers at once.
const maxAttempts = 50

// Options tune a Log. The zero value works.
type Options struct {
	// Now is the clock entries are stamped with; nil means time.Now.
	Now func() time.Time
	// PageSize is how many entries Verify reads per round trip; zero
	// means 1000.
	PageSize int64
}

// Log appends to and verifies the audit log under one key prefix. It is
// safe for concurrent use, and any number of Logs (in any number of
// processes) may append to the same log.
type Log struct {
	rdb    redis.UniversalClient
	stream string
	head   string
	opt    Options
}

// New returns the audit log under prefix (for example "qm:").
func New(rdb redis.UniversalClient, prefix string, opt Options) *Log {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 1000
	}
	stream := prefix + "audit"
	// The head uses the stream's full name as its hash tag, as the alert
	// state does, so the append script's two keys share a cluster slot.
	return &Log{rdb: rdb, stream: stream, head: "{" + stream + "}:head", opt: opt}
}

// Stream is the name of the audit stream.
func (l *Log) Stream() string { return l.stream }

// HeadKey is the name of the hash that holds the chain's head.
func (l *Log) HeadKey() string { return l.head }

// Head is the end of the chain: the last entry's seq and hash. An empty
// log's head is seq 0 and Genesis.
type Head struct {
	Seq  int64
	Hash string
}

func (h Head) String() string { return fmt.Sprintf("%d %s", h.Seq, h.Hash) }

// Head reads the chain's head, so that operators can record it outside
// Redis. ok is false when there is no head: the log is empty, or the head
// was deleted (Verify tells which).
func (l *Log) Head(ctx context.Context) (h Head, ok bool, err error) {
	vals, err := l.rdb.HMGet(ctx, l.head, "seq", "hash").Result()
	if err != nil {
		return Head{}, false, fmt.Errorf("read audit head: %w", err)
	}
	seq, _ := vals[0].(string)
	hash, _ := vals[1].(string)
	if hash == "" {
		return Head{Hash: Genesis}, false, nil
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil {
		return Head{}, false, fmt.Errorf("read audit head: seq %q: %w: %w", seq, errBadHead, err)
	}
	return Head{Seq: n, Hash: hash}, true, nil
}

// Append adds e to the end of the chain and returns it as stored, with
// Seq, At, Prev, Hash and ID set. Actor and Action are required. Strings
// that are not valid UTF-8 are repaired before hashing, so the returned
// entry is what was stored.
//
// Callers append before they act on a decision (or fail the action when
// Append fails), so that nothing is done that the log does not show.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	if e.Actor == "" || e.Action == "" {
		return Entry{}, fmt.Errorf("audit: entry needs an actor and an action (actor %q, action %q)", e.Actor, e.Action)
	}
	e.At = l.opt.Now()
	e = e.clean()
	// Start from the head as it is now. A stale guess would cost a
	// round trip, not correctness: the script returns the real head.
	head, _, err := l.Head(ctx)
	if err != nil {
		return Entry{}, err
	}
	for range maxAttempts {
		e.Seq, e.Prev = head.Seq+1, head.Hash
		e.Hash = e.sum()
		r := e.record()
		res, err := appendScript.Run(ctx, l.rdb, []string{l.head, l.stream},
			e.Seq, e.Prev, e.Hash, r.canonical(true), Genesis).Slice()
		if redis.HasErrorPrefix(err, "QMAUDIT head missing") {
			return Entry{}, fmt.Errorf("append %s by %s: %w", e.Action, e.Actor, ErrHeadMissing)
		}
		if err != nil {
			return Entry{}, fmt.Errorf("append %s by %s: %w", e.Action, e.Actor, err)
		}
		if n, _ := res[0].(int64); n == 1 && len(res) == 2 {
			e.ID, _ = res[1].(string)
			return e, nil
		}
		if len(res) != 3 {
			return Entry{}, fmt.Errorf("append %s by %s: unexpected script reply %v", e.Action, e.Actor, res)
		}
		head.Seq, _ = res[1].(int64)
		head.Hash, _ = res[2].(string)
	}
	return Entry{}, fmt.Errorf("append %s by %s: %w", e.Action, e.Actor, ErrContended)
}

// Last returns the last n entries of the log, oldest first. It reads what
// is stored without checking the chain; Verify does that.
func (l *Log) Last(ctx context.Context, n int64) ([]Entry, error) {
	msgs, err := l.rdb.XRevRangeN(ctx, l.stream, "+", "-", n).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %s: %w", l.stream, err)
	}
	out := make([]Entry, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		r, err := decode(msgs[i])
		if err != nil {
			return out, fmt.Errorf("read %s: entry %s: %w", l.stream, msgs[i].ID, err)
		}
		e, err := r.entry(msgs[i].ID)
		if err != nil {
			return out, fmt.Errorf("read %s: entry %s: at %q: %w", l.stream, msgs[i].ID, r.At, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// decode reads the record of one stream entry strictly: a member the
// format does not have is an edit, not something to skip.
func decode(m redis.XMessage) (record, error) {
	s, ok := m.Values[Field].(string)
	if !ok {
		return record{}, fmt.Errorf("no %q field", Field)
	}
	var r record
	d := json.NewDecoder(strings.NewReader(s))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return record{}, fmt.Errorf("not an audit entry: %w", err)
	}
	if d.More() {
		return record{}, errors.New("not an audit entry: data after the object")
	}
	if r.V != version {
		return record{}, fmt.Errorf("unknown format version %d", r.V)
	}
	return r, nil
}
