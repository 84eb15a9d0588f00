package approve

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pending is an open proposal and how long it has waited for its
// approvals, as of the Book's clock.
type Pending struct {
	Proposal
	Age time.Duration
}

// scanCount is the COUNT hint of each SCAN step: proposals are few, so a
// few steps cover them without holding Redis for long.
const scanCount = 500

// Open lists the proposals still waiting for approval, oldest first (then
// by id): open and not expired by the Book's clock. It is what a daily
// briefing calls overdue approvals once their Age passes a threshold.
//
// Proposals have no index of their own, so Open scans their keys. They
// all share the actions stream's hash tag, so on Redis Cluster they live
// on one node, and Open scans that node.
func (b *Book) Open(ctx context.Context) ([]Pending, error) {
	keys, err := b.proposalKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := b.opt.Now()
	var out []Pending
	for _, k := range keys {
		p, _, err := b.read(ctx, strings.TrimPrefix(k, b.key("")))
		if err != nil {
			return nil, fmt.Errorf("list open proposals: %w", err)
		}
		if p = b.view(p); p.State != Open {
			continue
		}
		out = append(out, Pending{Proposal: p, Age: max(0, now.Sub(p.At))})
	}
	slices.SortFunc(out, func(x, y Pending) int {
		return cmp.Or(x.At.Compare(y.At), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// proposalKeys scans for every proposal hash, without duplicates.
func (b *Book) proposalKeys(ctx context.Context) ([]string, error) {
	prefix := b.key("")
	var rdb redis.Cmdable = b.rdb
	if c, ok := b.rdb.(*redis.ClusterClient); ok {
		node, err := c.MasterForKey(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("list open proposals: find the node of %s: %w", prefix, err)
		}
		rdb = node
	}
	seen := map[string]bool{}
	var keys []string
	iter := rdb.Scan(ctx, 0, globEscape(prefix)+"*", scanCount).Iterator()
	for iter.Next(ctx) {
		// SCAN may return a key more than once.
		if k := iter.Val(); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list open proposals: scan %s*: %w", prefix, err)
	}
	return keys, nil
}

// globEscape quotes the characters a SCAN MATCH pattern treats specially,
// so a key prefix matches only itself.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
