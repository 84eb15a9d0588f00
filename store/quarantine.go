package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Quarantined is one refused event on the quarantine stream.
type Quarantined struct {
	ID       string    // the quarantine entry id (set when read)
	Entry    string    // the source entry id on the event stream
	Reason   string    // an event.Reason code
	Field    string    // the offending field, if any
	Detail   string    // a human explanation
	Raw      []byte    // the raw event as received
	At       time.Time // when it was quarantined
	Consumer string    // which consumer refused it
	Source   string    // the producer, as far as the record names one (see FeedSource)
}

// Quarantine appends records to the quarantine stream, each at most once
// per source entry, in one round trip. Settle does the same and counts the
// batch's feed statistics with it.
func (s *Store) Quarantine(ctx context.Context, recs []Quarantined) error {
	return s.Settle(ctx, recs, nil)
}

func (s *Store) quarantine(ctx context.Context, recs []Quarantined) error {
	if len(recs) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	s.queueQuarantine(ctx, pipe, recs)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("quarantine %d events: %w", len(recs), err)
	}
	return nil
}

func (s *Store) queueQuarantine(ctx context.Context, pipe redis.Pipeliner, recs []Quarantined) {
	for _, q := range recs {
		quarantineScript.EvalSha(ctx, pipe, []string{s.keys.Quarantine(), s.keys.QuarantineSeen()},
			q.Entry, s.opt.QuarantineMaxLen,
			"event", q.Raw, "reason", q.Reason, "field", q.Field, "detail", q.Detail,
			"entry", q.Entry, "at", q.At.UTC().Format(time.RFC3339Nano), "consumer", q.Consumer, "source", q.Source)
	}
}

// QuarantineList reads up to count quarantine records after id ("" for
// the start).
func (s *Store) QuarantineList(ctx context.Context, after string, count int64) ([]Quarantined, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.Quarantine(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.keys.Quarantine(), err)
	}
	out := make([]Quarantined, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		at, _ := time.Parse(time.RFC3339Nano, str("at"))
		out = append(out, Quarantined{ID: m.ID, Entry: str("entry"), Reason: str("reason"), Field: str("field"),
			Detail: str("detail"), Raw: []byte(str("event")), At: at, Consumer: str("consumer"), Source: str("source")})
	}
	return out, nil
}

// Replayed reports which quarantine entries were already re-submitted.
func (s *Store) Replayed(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	res, err := s.rdb.SMIsMember(ctx, s.keys.QuarantineReplayed(), toAny(ids)...).Result()
	if err != nil {
		return nil, fmt.Errorf("read replayed quarantine entries: %w", err)
	}
	for i, ok := range res {
		out[ids[i]] = ok
	}
	return out, nil
}

// Resubmit appends a quarantined event to the event stream again, then
// marks it replayed. The two keys live on different cluster slots, so this
// is not one transaction: if marking fails the event may be re-submitted
// twice later, and the consumer drops the second copy by its event id.
func (s *Store) Resubmit(ctx context.Context, q Quarantined) error {
	if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Events(), Values: []any{EventField, q.Raw}}).Err(); err != nil {
		return fmt.Errorf("re-submit quarantined %s: %w", q.ID, err)
	}
	if err := s.rdb.SAdd(ctx, s.keys.QuarantineReplayed(), q.ID).Err(); err != nil {
		return fmt.Errorf("mark quarantined %s replayed: %w", q.ID, err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
