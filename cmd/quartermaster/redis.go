package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// connect opens the Redis named by REDIS_URL. With none and embedded set,
// it starts the embedded store: an in-process Redis-compatible server
// (miniredis) that keeps nothing after exit. close stops either.
func connect(ctx context.Context, url string, embedded bool, log *slog.Logger) (rdb *redis.Client, desc string, close func(), err error) {
	if url == "" {
		if !embedded {
			return nil, "", nil, errors.New("REDIS_URL is unset: this command works on the bot's Redis, set REDIS_URL to it")
		}
		srv, err := miniredis.Run()
		if err != nil {
			return nil, "", nil, fmt.Errorf("start embedded store: %w", err)
		}
		rdb = redis.NewClient(&redis.Options{Addr: srv.Addr()})
		return rdb, "embedded store (REDIS_URL unset; nothing is kept after exit)", func() { rdb.Close(); srv.Close() }, nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, "", nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Reconnects back off between these bounds while Redis is away.
	opt.MinRetryBackoff, opt.MaxRetryBackoff = 50*time.Millisecond, 2*time.Second
	rdb = redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, "", nil, fmt.Errorf("redis at %s: %w", opt.Addr, err)
	}
	return rdb, "redis at " + opt.Addr, func() { rdb.Close() }, nil
}
