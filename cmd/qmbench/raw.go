package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store"
)

// The raw baseline's shape: what a consumer group with no Quartermaster
// behind it does for each event.
const (
	rawGroup = "qmbench"
	rawCount = 500                    // XREADGROUP COUNT
	rawBlock = 100 * time.Millisecond // short, so a consumer sees its context end soon
	rawKeys  = 1024                   // hashes the HSETs spread over, like positions
)

// benchRaw pushes the events through plain Redis under prefix: XADD
// pipelines of appendBatch into a fresh stream, and consumers that each
// XREADGROUP up to rawCount entries, write two HSET per entry in one
// pipeline and XACK them. It measures the run the same way as the bot's.
func benchRaw(ctx context.Context, rdb *redis.Client, prefix string, bodies [][]byte, consumers int) (timing, error) {
	// A Store over its own prefix gives the raw run the same stream
	// appends and the same XINFO GROUPS view as the bot's run.
	st := store.New(rdb, prefix, 1, store.Options{})
	if err := st.EnsureGroup(ctx, rawGroup); err != nil {
		return timing{}, err
	}
	cctx, stop := context.WithCancel(ctx)
	failed := make(chan error, consumers)
	var wg sync.WaitGroup
	for i := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rawConsume(cctx, rdb, st.Keys().Events(), prefix, "raw-"+strconv.Itoa(i+1)); err != nil {
				failed <- err
			}
		}()
	}
	t, err := drive(ctx, func(ctx context.Context) (time.Time, time.Time, error) {
		start := time.Now()
		for i := 0; i < len(bodies); i += appendBatch {
			if err := st.Append(ctx, bodies[i:min(i+appendBatch, len(bodies))]); err != nil {
				return start, time.Now(), err
			}
		}
		return start, time.Now(), nil
	}, func(ctx context.Context) (store.GroupInfo, error) { return st.Group(ctx, rawGroup) }, failed)
	stop()
	wg.Wait()
	return t, err
}

// rawConsume is one raw consumer; it returns nil when ctx ends.
func rawConsume(ctx context.Context, rdb *redis.Client, stream, prefix, name string) error {
	for ctx.Err() == nil {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: rawGroup, Consumer: name, Streams: []string{stream, ">"}, Count: rawCount, Block: rawBlock,
		}).Result()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, redis.Nil) {
			continue // the block timed out
		}
		if err != nil {
			return fmt.Errorf("%s: read group: %w", name, err)
		}
		if len(res) == 0 || len(res[0].Messages) == 0 {
			continue
		}
		msgs := res[0].Messages
		ids := make([]string, len(msgs))
		pipe := rdb.Pipeline()
		for i, m := range msgs {
			ids[i] = m.ID
			k := strconv.FormatUint(uint64(slot(m.ID)), 10)
			pipe.HSet(ctx, prefix+"pos:"+k, "event", m.Values[store.EventField])
			pipe.HSet(ctx, prefix+"idx:"+k, "last", m.ID)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: write %d entries: %w", name, len(msgs), err)
		}
		if err := rdb.XAck(ctx, stream, rawGroup, ids...).Err(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: ack %d entries: %w", name, len(msgs), err)
		}
	}
	return nil
}

// slot spreads entries over rawKeys hashes.
func slot(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32() % rawKeys
}
