package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// minRedisMajor is the oldest Redis whose XINFO GROUPS reports a group's
// lag, which tells when the consumers have read everything.
const minRedisMajor = 7

// redisTarget is the Redis the bench runs against.
type redisTarget struct {
	client *redis.Client
	url    string
	desc   string
	prefix string
	srv    *redistest.Server // the private server; nil when REDIS_URL is used
	// offset is the Redis server's clock minus this host's. Alert entry ids
	// are stamped by the server's clock, event ids by this host's.
	offset time.Duration
}

// openRedis connects to url, or with none starts a private redis-server on
// a free loopback port. On a shared server it refuses a prefix in use.
func openRedis(ctx context.Context, url, prefix string) (_ *redisTarget, err error) {
	rd := &redisTarget{url: url, prefix: prefix}
	if url == "" {
		if rd.srv, err = redistest.Start(); err != nil {
			return nil, fmt.Errorf("private redis: %w", err)
		}
		rd.url = rd.srv.URL()
	}
	defer func() {
		if err != nil {
			rd.shutdown()
		}
	}()
	opt, err := redis.ParseURL(rd.url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rd.client = redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rd.client.Ping(pctx).Err(); err != nil {
		return nil, fmt.Errorf("redis at %s: %w", opt.Addr, err)
	}
	version, err := serverVersion(pctx, rd.client)
	if err != nil {
		return nil, err
	}
	if major, _, _ := strings.Cut(version, "."); atoi(major) < minRedisMajor {
		return nil, fmt.Errorf("redis at %s is %s: the bench needs %d.0 or later, whose XINFO GROUPS reports lag", opt.Addr, version, minRedisMajor)
	}
	if rd.srv != nil {
		rd.desc = fmt.Sprintf("private redis-server %s on %s", version, opt.Addr)
	} else {
		rd.desc = fmt.Sprintf("REDIS_URL redis %s at %s", version, opt.Addr)
		// The prefix carries the start second; two benches started in the
		// same second must not share keys.
		n, err := rd.client.Exists(pctx, store.NewKeys(prefix, 1).Events(), store.NewKeys(prefix, 1).Alerts()).Result()
		if err != nil {
			return nil, fmt.Errorf("check prefix %s: %w", prefix, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("keys under %s exist already; another bench is running, try again in a second", prefix)
		}
	}
	if rd.offset, err = clockOffset(pctx, rd.client); err != nil {
		return nil, err
	}
	return rd, nil
}

func serverVersion(ctx context.Context, c *redis.Client) (string, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("redis INFO server: %w", err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("redis INFO server: no redis_version")
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// clockOffset estimates the server's clock minus this host's from one TIME
// round trip, taking the server's reading to be at its middle.
func clockOffset(ctx context.Context, c *redis.Client) (time.Duration, error) {
	t0 := time.Now()
	srv, err := c.Time(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("redis TIME: %w", err)
	}
	rtt := time.Since(t0)
	return srv.Sub(t0.Add(rtt / 2)), nil
}

// close deletes the bench's keys from a shared server, or stops the private
// one, and closes the client.
func (rd *redisTarget) close(ctx context.Context, say sayFunc) error {
	var err error
	if rd.srv == nil {
		var n int
		n, err = deleteKeys(ctx, rd.client, rd.prefix)
		if err != nil {
			err = fmt.Errorf("clean up: %w; delete the keys matching %s* and {%s* by hand", err, rd.prefix, rd.prefix)
		} else {
			say("deleted %d keys under %s", n, rd.prefix)
		}
	}
	rd.shutdown()
	return err
}

func (rd *redisTarget) shutdown() {
	if rd.client != nil {
		rd.client.Close()
	}
	if rd.srv != nil {
		rd.srv.Stop()
	}
}

// deleteKeys removes every key of the bench: those starting with prefix and
// the companions that wrap a stream's name in a hash tag ({prefix...}).
func deleteKeys(ctx context.Context, c *redis.Client, prefix string) (int, error) {
	n := 0
	for _, match := range []string{prefix + "*", "{" + prefix + "*"} {
		// SCAN ends when its cursor comes back to 0.
		iter := c.Scan(ctx, 0, match, 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			// One key per UNLINK: keys of different slots cannot share one
			// on a cluster proxy.
			pipe := c.Pipeline()
			for _, k := range batch {
				pipe.Unlink(ctx, k)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return fmt.Errorf("unlink %d keys: %w", len(batch), err)
			}
			n += len(batch)
			batch = batch[:0]
			return nil
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 1000 {
				if err := flush(); err != nil {
					return n, err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return n, fmt.Errorf("scan %s: %w", match, err)
		}
		if err := flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}
