package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// paceScript reserves the next send slot of a channel for every replica at
// once: it returns how long the caller must wait (ms) and moves the slot
// on by the gap. Redis's own clock decides, so replicas' clocks need not
// agree.
var paceScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gap = tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + gap, 'PX', slot + gap - now + 1000)
return slot - now
`)

// Pace is the key of a chat channel's next free send slot.
func (k Keys) Pace(route string) string { return "{" + k.Alerts() + "}:pace:" + route }

// ReserveSend reserves route's next send slot, gap after the one before
// it, and returns how long to wait for it. Replicas sharing the store
// share the pace, so together they keep a channel's rate.
func (s *Store) ReserveSend(ctx context.Context, route string, gap time.Duration) (time.Duration, error) {
	ms, err := paceScript.Run(ctx, s.rdb, []string{s.keys.Pace(route)}, gap.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserve a send to %s: %w", route, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
