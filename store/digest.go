package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DigestQueue is the list of alert changes waiting for route's next
// digest.
func (k Keys) DigestQueue(route string) string { return "{" + k.Alerts() + "}:digest:" + route }

// takeScript reads and empties a list in one step, so each queued change
// goes into exactly one digest whichever replica takes it.
var takeScript = redis.NewScript(`
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
`)

// QueueDigest appends an alert change (its record) to route's digest queue.
func (s *Store) QueueDigest(ctx context.Context, route string, rec []byte) error {
	if err := s.rdb.RPush(ctx, s.keys.DigestQueue(route), rec).Err(); err != nil {
		return fmt.Errorf("queue for the %s digest: %w", route, err)
	}
	return nil
}

// TakeDigest takes every change queued for route, oldest first.
func (s *Store) TakeDigest(ctx context.Context, route string) ([][]byte, error) {
	vals, err := takeScript.Run(ctx, s.rdb, []string{s.keys.DigestQueue(route)}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("take the %s digest: %w", route, err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}

// RequeueDigest puts changes a digest could not post back at the head of
// route's queue, in their order, for the next one.
func (s *Store) RequeueDigest(ctx context.Context, route string, recs [][]byte) error {
	if len(recs) == 0 {
		return nil
	}
	vals := make([]any, len(recs))
	for i := range recs {
		vals[i] = recs[len(recs)-1-i] // LPUSH reverses
	}
	if err := s.rdb.LPush(ctx, s.keys.DigestQueue(route), vals...).Err(); err != nil {
		return fmt.Errorf("requeue the %s digest: %w", route, err)
	}
	return nil
}
