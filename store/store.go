// Package store keeps Quartermaster's state in Redis: the raw event stream,
// validated state per stock position, master data, quarantine and alerts.
//
// Every write that must happen once (applying an event, quarantining it,
// writing an alert revision) is a Lua script that records its idempotency
// key in the same atomic step as the change. See Keys for the layout.
package store

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/apply.lua
	applySrc string
	//go:embed lua/record.lua
	recordSrc string
	//go:embed lua/quarantine.lua
	quarantineSrc string
	//go:embed lua/alert.lua
	alertSrc string

	applyScript      = redis.NewScript(applySrc)
	recordScript     = redis.NewScript(recordSrc)
	quarantineScript = redis.NewScript(quarantineSrc)
	alertScript      = redis.NewScript(alertSrc)
)

// Options tune a Store. The zero value works.
type Options struct {
	// DedupeWindow is how long applied event ids are remembered; a duplicate
	// arriving later than this is applied again (snapshots keep on-hand
	// right regardless). Zero means 35 days.
	DedupeWindow time.Duration
	// AlertsMaxLen and QuarantineMaxLen cap those streams approximately;
	// zero leaves them unbounded.
	AlertsMaxLen     int64
	QuarantineMaxLen int64
}

// Store reads and writes Quartermaster's Redis keys. It is safe for
// concurrent use; it holds no state of its own beyond the key names.
type Store struct {
	rdb  redis.UniversalClient
	keys Keys
	opt  Options
}

// New returns a Store over rdb using prefix and state generation gen.
func New(rdb redis.UniversalClient, prefix string, gen int, opt Options) *Store {
	if opt.DedupeWindow <= 0 {
		opt.DedupeWindow = 35 * 24 * time.Hour
	}
	return &Store{rdb: rdb, keys: NewKeys(prefix, gen), opt: opt}
}

// Open reads the generation pointer and returns a Store on the generation
// in use (1 when none was ever set).
func Open(ctx context.Context, rdb redis.UniversalClient, prefix string, opt Options) (*Store, error) {
	s := New(rdb, prefix, 1, opt)
	gen, err := s.CurrentGeneration(ctx)
	if err != nil {
		return nil, err
	}
	s.keys.gen = gen
	return s, nil
}

// Keys returns the key names in use.
func (s *Store) Keys() Keys { return s.keys }

// Client returns the underlying Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// WithGeneration returns a Store on another state generation of the same
// Redis, sharing the streams.
func (s *Store) WithGeneration(gen int) *Store {
	c := *s
	c.keys.gen = gen
	return &c
}

// CurrentGeneration reads the state generation pointer (1 when unset).
func (s *Store) CurrentGeneration(ctx context.Context) (int, error) {
	gen, err := s.rdb.Get(ctx, s.keys.GenerationPointer()).Int()
	if err == redis.Nil {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read state generation: %w", err)
	}
	return gen, nil
}

// SetGeneration points readers at state generation gen. Bots read the
// pointer at start-up, so they must be restarted to follow it.
func (s *Store) SetGeneration(ctx context.Context, gen int) error {
	if err := s.rdb.Set(ctx, s.keys.GenerationPointer(), gen, 0).Err(); err != nil {
		return fmt.Errorf("set state generation: %w", err)
	}
	return nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.Ping(ctx).Err()
}

// LoadScripts makes sure the scripts are cached on the server, so the hot
// path can use EVALSHA without a first round trip failing with NOSCRIPT.
func (s *Store) LoadScripts(ctx context.Context) error {
	for _, sc := range []*redis.Script{applyScript, recordScript, quarantineScript, alertScript} {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load lua scripts: %w", err)
		}
	}
	return nil
}
