package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// EventField is the one field of an entry on the event stream.
const EventField = "event"

// Entry is one entry of the raw event stream.
type Entry struct {
	ID      string
	Arrived time.Time // from the entry id: when Redis appended it
	Body    []byte    // the "event" field; nil when the entry has none
}

// Append adds raw events to the event stream in one round trip. It
// implements intake.Appender.
func (s *Store) Append(ctx context.Context, events [][]byte) error {
	if len(events) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for _, ev := range events {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Events(), Values: []any{EventField, ev}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("append %d events to %s: %w", len(events), s.keys.Events(), err)
	}
	return nil
}

// AppendAt adds raw events under explicit entry ids, so the arrival time
// the consumer validates against is the given (for example simulated) time.
// Ids must increase; IDClock makes them.
func (s *Store) AppendAt(ctx context.Context, ids []string, events [][]byte) error {
	if len(ids) != len(events) {
		return fmt.Errorf("append: %d ids for %d events", len(ids), len(events))
	}
	pipe := s.rdb.Pipeline()
	for i, ev := range events {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Events(), ID: ids[i], Values: []any{EventField, ev}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("append %d events to %s: %w", len(events), s.keys.Events(), err)
	}
	return nil
}

// IDClock makes increasing stream entry ids from times that may repeat or,
// for late records, step back: such an id takes the last millisecond.
type IDClock struct {
	ms, seq int64
}

// Next returns the entry id for an entry arriving at t.
func (c *IDClock) Next(t time.Time) string {
	ms := t.UnixMilli()
	if ms > c.ms {
		c.ms, c.seq = ms, 0
	} else {
		c.seq++
	}
	return strconv.FormatInt(c.ms, 10) + "-" + strconv.FormatInt(c.seq, 10)
}

// EnsureGroup creates the consumer group on the event stream (and the
// stream) if missing, starting from the beginning so no event is skipped.
func (s *Store) EnsureGroup(ctx context.Context, group string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.keys.Events(), group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", group, s.keys.Events(), err)
	}
	return nil
}

// ReadGroup reads up to count new entries for consumer, blocking up to
// block for them. No entries and no error means the block timed out.
func (s *Store) ReadGroup(ctx context.Context, group, consumer string, count int, block time.Duration) ([]Entry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.keys.Events(), ">"},
		Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read group %s: %w", group, err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	return entries(res[0].Messages), nil
}

// Claim takes over entries that other (dead or stuck) consumers left
// pending for at least minIdle, following XAUTOCLAIM's cursor until it
// wraps to 0-0 or max entries were claimed. Entries deleted from the stream
// while pending are acknowledged away by Redis itself.
func (s *Store) Claim(ctx context.Context, group, consumer string, minIdle time.Duration, max int) ([]Entry, error) {
	var out []Entry
	start := "0-0"
	for {
		msgs, next, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s.keys.Events(), Group: group, Consumer: consumer,
			MinIdle: minIdle, Start: start, Count: 100,
		}).Result()
		if err != nil {
			return out, fmt.Errorf("autoclaim on %s: %w", s.keys.Events(), err)
		}
		out = append(out, entries(msgs)...)
		if next == "0-0" || next == "" || len(out) >= max {
			return out, nil
		}
		start = next
	}
}

// Deliveries returns how often each of the consumer's pending entries in
// [first, last] has been delivered.
func (s *Store) Deliveries(ctx context.Context, group, consumer, first, last string, count int) (map[string]int64, error) {
	res, err := s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: s.keys.Events(), Group: group, Consumer: consumer,
		Start: first, End: last, Count: int64(count),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("pending of %s: %w", consumer, err)
	}
	out := make(map[string]int64, len(res))
	for _, p := range res {
		out[p.ID] = p.RetryCount
	}
	return out, nil
}

// Ack acknowledges entries on the event stream.
func (s *Store) Ack(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XAck(ctx, s.keys.Events(), group, ids...).Err(); err != nil {
		return fmt.Errorf("ack %d entries: %w", len(ids), err)
	}
	return nil
}

// GroupInfo is what Redis says of the consumer group.
type GroupInfo struct {
	Pending int64
	Lag     int64 // entries not yet delivered to the group; -1 when Redis cannot tell
	Length  int64
}

// Group describes the consumer group on the event stream.
func (s *Store) Group(ctx context.Context, group string) (GroupInfo, error) {
	groups, err := s.rdb.XInfoGroups(ctx, s.keys.Events()).Result()
	if err != nil {
		return GroupInfo{}, fmt.Errorf("describe groups of %s: %w", s.keys.Events(), err)
	}
	n, err := s.rdb.XLen(ctx, s.keys.Events()).Result()
	if err != nil {
		return GroupInfo{}, fmt.Errorf("length of %s: %w", s.keys.Events(), err)
	}
	for _, g := range groups {
		if g.Name == group {
			return GroupInfo{Pending: g.Pending, Lag: g.Lag, Length: n}, nil
		}
	}
	return GroupInfo{}, fmt.Errorf("consumer group %s not found on %s", group, s.keys.Events())
}

// Range reads the event stream from after id (exclusive; "" or "0" for the
// start), up to count entries, for replay.
func (s *Store) Range(ctx context.Context, after string, count int64) ([]Entry, error) {
	start := "-"
	if after != "" && after != "0" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.Events(), start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("range %s: %w", s.keys.Events(), err)
	}
	return entries(msgs), nil
}

// Entry reads one entry of the event stream by id; ok is false when it is
// gone.
func (s *Store) Entry(ctx context.Context, id string) (e Entry, ok bool, err error) {
	msgs, err := s.rdb.XRangeN(ctx, s.keys.Events(), id, id, 1).Result()
	if err != nil {
		return Entry{}, false, fmt.Errorf("read entry %s: %w", id, err)
	}
	if len(msgs) == 0 {
		return Entry{}, false, nil
	}
	return entries(msgs)[0], true, nil
}

func entries(msgs []redis.XMessage) []Entry {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		e := Entry{ID: m.ID, Arrived: IDTime(m.ID)}
		if v, ok := m.Values[EventField].(string); ok {
			e.Body = []byte(v)
		}
		out = append(out, e)
	}
	return out
}

// IDTime is the append time encoded in a stream entry id.
func IDTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// ReadGroupFrom re-reads this consumer's pending entries after id (use "0"
// for all), without blocking. Redis counts each such read as a delivery.
func (s *Store) ReadGroupFrom(ctx context.Context, group, consumer string, count int, after string) ([]Entry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.keys.Events(), after},
		Count: int64(count), Block: -1,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read pending of %s: %w", consumer, err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	return entries(res[0].Messages), nil
}

// Consumers counts the consumers the group has ever had that Redis still
// lists.
func (s *Store) Consumers(ctx context.Context, group string) (int, error) {
	cs, err := s.rdb.XInfoConsumers(ctx, s.keys.Events(), group).Result()
	if err != nil {
		return 0, fmt.Errorf("list consumers of %s: %w", group, err)
	}
	return len(cs), nil
}
