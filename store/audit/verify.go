package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Kind classifies what Verify found wrong with a log.
type Kind int

const (
	// Edited: an entry no longer matches its own hash, or is not an
	// audit entry at all.
	Edited Kind = iota + 1
	// Deleted: entries are missing from the start or the middle.
	Deleted
	// Reordered: an entry comes before one with a lower seq, or repeats.
	Reordered
	// Relinked: an entry is self-consistent but does not link to the one
	// before it: that one was replaced with a rehashed copy, or entries
	// were deleted and the rest renumbered.
	Relinked
	// Truncated: entries the head vouches for are missing from the end.
	Truncated
	// HeadMissing: the log has entries but no head.
	HeadMissing
	// HeadMismatch: the head does not describe the log's last entry.
	HeadMismatch
	// AnchorMissing: a head recorded earlier is not in the chain.
	AnchorMissing
)

var kindNames = [...]string{"", "edited", "deleted", "reordered", "relinked", "truncated", "head missing", "head mismatch", "anchor missing"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Problem is the first thing Verify found wrong.
type Problem struct {
	Kind     Kind
	Seq      int64  // the entry concerned; 0 when it is about the log as a whole
	StreamID string // its stream id, when there is one
	Message  string // what was found, naming the entry, for people
}

func (p *Problem) String() string { return p.Message }

// Report is the outcome of Verify.
type Report struct {
	Entries int64    // entries read and checked
	Head    Head     // the last entry checked
	Anchors []Head   // the anchors found, with their seqs
	Problem *Problem // the first problem, nil when the log verified
}

// OK reports whether the log verified.
func (r Report) OK() bool { return r.Problem == nil }

func (r Report) String() string {
	if r.Problem != nil {
		return r.Problem.Message
	}
	return fmt.Sprintf("audit log OK: %d entries, head %s", r.Entries, r.Head)
}

// maxRounds bounds how often Verify follows a head that moves while it
// reads; each round reads only what was appended during the last.
const maxRounds = 100

// Verify reads the whole log in pages and checks, for every entry, that
// it is readable, matches its hash, has the next seq and links to the
// entry before it; then that the last entry is the head. It reports the
// first problem found; err is only for failing to read.
//
// Each anchor is a hash recorded earlier from Head; Verify also checks
// that the chain still contains it. A hash commits to its entry's seq, so
// finding the hash anywhere in a verified chain means finding it at its
// seq.
//
// Appends may go on while Verify runs: it reads the head before the
// entries, so entries missing up to that head were cut off, and entries
// past it are followed to the head as it moves.
func (l *Log) Verify(ctx context.Context, anchors ...string) (Report, error) {
	w := walker{hash: Genesis, anchors: map[string]int64{}}
	for _, a := range anchors {
		a = strings.ToLower(a)
		w.anchors[a] = 0
		w.order = append(w.order, a)
	}
	head, ok, err := l.Head(ctx)
	if errors.Is(err, errBadHead) {
		return w.report(&Problem{Kind: HeadMismatch, Message: err.Error() + " (edited)"}), nil
	}
	if err != nil {
		return Report{}, err
	}
	for round := 0; ; round++ {
		if round == maxRounds {
			return w.report(nil), fmt.Errorf("verify %s: the log kept growing for %d rounds", l.stream, maxRounds)
		}
		p, err := l.walk(ctx, &w)
		if err != nil || p != nil {
			return w.report(p), err
		}
		switch {
		case w.seq < head.Seq && w.seq == 0:
			return w.report(&Problem{Kind: Truncated,
				Message: fmt.Sprintf("log is empty but head says %d (deleted)", head.Seq)}), nil
		case w.seq < head.Seq:
			return w.report(&Problem{Kind: Truncated, Seq: w.seq + 1,
				Message: fmt.Sprintf("log ends at %d but head says %d (truncated)", w.seq, head.Seq)}), nil
		case w.seq == head.Seq && w.hash != head.Hash:
			return w.report(&Problem{Kind: HeadMismatch, Seq: w.seq, StreamID: w.id,
				Message: fmt.Sprintf("entry %d (stream id %s) does not match the head's hash %s (log or head rewritten)", w.seq, w.id, head.Hash)}), nil
		case w.seq == head.Seq:
			return w.report(w.anchorProblem()), nil
		}
		// The log runs past the head read before it: entries were
		// appended meanwhile, or written around the append script.
		again, okAgain, err := l.Head(ctx)
		if errors.Is(err, errBadHead) {
			return w.report(&Problem{Kind: HeadMismatch, Message: err.Error() + " (edited)"}), nil
		}
		if err != nil {
			return w.report(nil), err
		}
		if again == head && okAgain == ok {
			if !ok {
				return w.report(&Problem{Kind: HeadMissing,
					Message: fmt.Sprintf("head missing (the log has %d entries, last %d)", w.n, w.seq)}), nil
			}
			return w.report(&Problem{Kind: HeadMismatch, Seq: head.Seq + 1,
				Message: fmt.Sprintf("log ends at %d but head says %d (entries added around the head, or head rolled back)", w.seq, head.Seq)}), nil
		}
		head, ok = again, okAgain
	}
}

// walker is Verify's position in the chain.
type walker struct {
	n       int64            // entries read
	seq     int64            // seq of the last good entry, 0 before the first
	hash    string           // its hash, Genesis before the first
	id      string           // its stream id, "" before the first
	anchors map[string]int64 // anchor hash -> its seq, 0 until found
	order   []string         // the anchors as given, for reports
}

func (w *walker) report(p *Problem) Report {
	r := Report{Entries: w.n, Head: Head{Seq: w.seq, Hash: w.hash}, Problem: p}
	for _, h := range w.order {
		if seq := w.anchors[h]; seq > 0 {
			r.Anchors = append(r.Anchors, Head{Seq: seq, Hash: h})
		}
	}
	return r
}

func (w *walker) anchorProblem() *Problem {
	for _, h := range w.order {
		if w.anchors[h] == 0 {
			return &Problem{Kind: AnchorMissing,
				Message: fmt.Sprintf("expected head %s is not in the log (rewritten)", h)}
		}
	}
	return nil
}

// walk checks the entries after w's position to the end of the stream.
func (l *Log) walk(ctx context.Context, w *walker) (*Problem, error) {
	for {
		msgs, err := l.page(ctx, w.id)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if p, err := l.check(ctx, w, m); p != nil || err != nil {
				return p, err
			}
		}
		if int64(len(msgs)) < l.opt.PageSize {
			return nil, nil
		}
	}
}

// page reads up to a page of entries after stream id after ("" for the
// start).
func (l *Log) page(ctx context.Context, after string) ([]redis.XMessage, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := l.rdb.XRangeN(ctx, l.stream, start, "+", l.opt.PageSize).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %s: %w", l.stream, err)
	}
	return msgs, nil
}

// check checks one entry against the chain so far and, when it is good,
// moves w onto it. The checks run from the most to the least specific,
// so that a deletion is reported as one rather than as the broken link
// it also causes.
func (l *Log) check(ctx context.Context, w *walker, m redis.XMessage) (*Problem, error) {
	w.n++
	want := w.seq + 1
	r, err := decode(m)
	if err != nil {
		return &Problem{Kind: Edited, Seq: want, StreamID: m.ID,
			Message: fmt.Sprintf("entry %d (stream id %s): unreadable: %v (edited)", want, m.ID, err)}, nil
	}
	if r.sum() != r.Hash {
		msg := fmt.Sprintf("entry %d (stream id %s): hash mismatch (edited)", r.Seq, m.ID)
		if r.Seq != want {
			// The seq itself may be the edit: say where the entry is.
			msg = fmt.Sprintf("entry at stream id %s (seq %d, expected %d): hash mismatch (edited)", m.ID, r.Seq, want)
		}
		return &Problem{Kind: Edited, Seq: want, StreamID: m.ID, Message: msg}, nil
	}
	switch {
	case r.Seq > want:
		// A gap is a deletion unless the missing entry turns up later.
		id, found, err := l.find(ctx, m.ID, want)
		if err != nil {
			return nil, err
		}
		p := &Problem{Kind: Deleted, Seq: want, StreamID: m.ID}
		switch {
		case found:
			p.Kind = Reordered
			p.Message = fmt.Sprintf("entry %d (stream id %s) comes before entry %d (stream id %s) (reordered)", r.Seq, m.ID, want, id)
		case want == 1:
			p.Message = fmt.Sprintf("log starts at entry %d (stream id %s), not 1 (deleted)", r.Seq, m.ID)
		default:
			p.Message = fmt.Sprintf("seq jumps from %d to %d (deleted)", w.seq, r.Seq)
		}
		return p, nil
	case r.Seq < want:
		return &Problem{Kind: Reordered, Seq: r.Seq, StreamID: m.ID,
			Message: fmt.Sprintf("entry %d (stream id %s) comes after entry %d (duplicated or reordered)", r.Seq, m.ID, w.seq)}, nil
	}
	if r.Prev != w.hash {
		msg := fmt.Sprintf("entry %d (stream id %s): prev does not match entry %d (entry %d replaced, or entries deleted and renumbered)", r.Seq, m.ID, w.seq, w.seq)
		if w.seq == 0 {
			msg = fmt.Sprintf("entry 1 (stream id %s): prev is not the genesis hash (entries before it deleted and renumbered)", m.ID)
		}
		return &Problem{Kind: Relinked, Seq: r.Seq, StreamID: m.ID, Message: msg}, nil
	}
	w.seq, w.hash, w.id = r.Seq, r.Hash, m.ID
	if _, ok := w.anchors[r.Hash]; ok {
		w.anchors[r.Hash] = r.Seq
	}
	return nil, nil
}

// find looks for the entry with seq after stream id after, to tell a
// reordering from a deletion. It runs only once a log is known to be
// broken, so reading the rest of it again costs nothing that matters.
func (l *Log) find(ctx context.Context, after string, seq int64) (string, bool, error) {
	for {
		msgs, err := l.page(ctx, after)
		if err != nil {
			return "", false, err
		}
		for _, m := range msgs {
			if r, err := decode(m); err == nil && r.Seq == seq {
				return m.ID, true, nil
			}
		}
		if int64(len(msgs)) < l.opt.PageSize {
			return "", false, nil
		}
		after = msgs[len(msgs)-1].ID
	}
}
