package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Dump reads every state key of this generation into plain values (a hash
// as a map, a set as a sorted list, a sorted set as "member score" lines),
// keyed by name without the generation part, so two generations built from
// the same events compare equal. Expiry times are left out.
func (s *Store) Dump(ctx context.Context) (map[string]any, error) {
	out := map[string]any{}
	base := s.keys.state()
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys.StatePattern(), 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("scan state: %w", err)
		}
		for _, k := range keys {
			v, err := s.dumpKey(ctx, k)
			if err != nil {
				return nil, err
			}
			out[strings.TrimPrefix(k, base)] = v
		}
		if next == 0 {
			return out, nil
		}
		cursor = next
	}
}

func (s *Store) dumpKey(ctx context.Context, k string) (any, error) {
	typ, err := s.rdb.Type(ctx, k).Result()
	if err != nil {
		return nil, fmt.Errorf("type of %s: %w", k, err)
	}
	switch typ {
	case "hash":
		return s.rdb.HGetAll(ctx, k).Result()
	case "set":
		m, err := s.rdb.SMembers(ctx, k).Result()
		sort.Strings(m)
		return m, err
	case "zset":
		zs, err := s.rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		lines := make([]string, len(zs))
		for i, z := range zs {
			lines[i] = fmt.Sprintf("%v %g", z.Member, z.Score)
		}
		return lines, err
	case "string":
		return s.rdb.Get(ctx, k).Result()
	case "none":
		return nil, nil
	}
	return nil, fmt.Errorf("dump %s: unexpected type %s", k, typ)
}

// Clear deletes every state key of this generation (not the streams) and
// returns how many it deleted. Replay uses it to start from nothing.
func (s *Store) Clear(ctx context.Context) (int, error) {
	n := 0
	var cursor uint64
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, s.keys.StatePattern(), 1000).Result()
		if err != nil {
			return n, fmt.Errorf("scan state: %w", err)
		}
		for _, k := range keys {
			// One key at a time: keys of different slots cannot share a DEL
			// on a cluster.
			if err := s.rdb.Del(ctx, k).Err(); err != nil {
				return n, fmt.Errorf("delete %s: %w", k, err)
			}
			n++
		}
		if next == 0 {
			return n, nil
		}
		cursor = next
	}
}
