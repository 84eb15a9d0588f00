package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/nflog.lua
	nflogSrc    string
	nflogScript = redis.NewScript(nflogSrc)
)

// NotifyLog is the notification log: for each route and alert, the chat
// message that shows it and the last revision it showed. It lives beside
// the alert state, under the alert stream's hash tag.
func (k Keys) NotifyLog() string { return "{" + k.Alerts() + "}:nflog" }

// NotifyLock is the lock one replica holds while it sends one alert.
func (k Keys) NotifyLock(fp string) string { return "{" + k.Alerts() + "}:nflock:" + fp }

// Sent is what the notification log keeps for one route and alert.
type Sent struct {
	Episode, Revision int64
	Record            []byte // the platform's message reference, as the notifier wrote it
}

// LastSent reads what route last showed of alert fp; nil when nothing.
func (s *Store) LastSent(ctx context.Context, route, fp string) (*Sent, error) {
	key := route + "|" + fp
	vals, err := s.rdb.HMGet(ctx, s.keys.NotifyLog(), key, key+":v").Result()
	if err != nil {
		return nil, fmt.Errorf("read notification log: %w", err)
	}
	rec, ok1 := vals[0].(string)
	ver, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, nil
	}
	ep, rev, _ := strings.Cut(ver, ":")
	out := &Sent{Record: []byte(rec)}
	out.Episode, _ = strconv.ParseInt(ep, 10, 64)
	out.Revision, _ = strconv.ParseInt(rev, 10, 64)
	return out, nil
}

// RecordSent notes that route now shows revision rev of episode ep of alert
// fp, with the message reference rec. It reports false when a later
// revision was recorded first.
func (s *Store) RecordSent(ctx context.Context, route, fp string, ep, rev int64, rec []byte) (bool, error) {
	n, err := nflogScript.Run(ctx, s.rdb, []string{s.keys.NotifyLog()}, route+"|"+fp, ep, rev, rec).Int()
	if err != nil {
		return false, fmt.Errorf("write notification log: %w", err)
	}
	return n == 1, nil
}

// Lock takes a short lease named key for owner, so that one replica at a
// time sends a given alert; it reports whether it got it.
func (s *Store) Lock(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", key, err)
	}
	return ok, nil
}

// Unlock releases a lease if owner still holds it.
func (s *Store) Unlock(ctx context.Context, key, owner string) error {
	err := unlockScript.Run(ctx, s.rdb, []string{key}, owner).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("unlock %s: %w", key, err)
	}
	return nil
}

var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// ReadAlerts reads the alert stream in a consumer group of its own, for
// the chat dispatcher: ids and records of up to count changes, this
// consumer's pending ones first when pending is set.
func (s *Store) ReadAlerts(ctx context.Context, group, consumer string, count int, block time.Duration, pending bool) ([]AlertEntry, error) {
	id := ">"
	if pending {
		id, block = "0", -1
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{s.keys.Alerts(), id}, Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) || len(res) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read alerts for %s: %w", group, err)
	}
	out := make([]AlertEntry, 0, len(res[0].Messages))
	for _, m := range res[0].Messages {
		v, _ := m.Values[AlertField].(string)
		out = append(out, AlertEntry{ID: m.ID, Record: []byte(v)})
	}
	return out, nil
}

// EnsureAlertGroup creates a consumer group on the alert stream if it does
// not exist. A new group starts at the end of the stream: a dispatcher
// added to a running system posts what changes from now on, not the
// stream's whole history.
func (s *Store) EnsureAlertGroup(ctx context.Context, group string) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.keys.Alerts(), group, "$").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create group %s on %s: %w", group, s.keys.Alerts(), err)
	}
	return nil
}

// AckAlerts acknowledges alert stream entries for group.
func (s *Store) AckAlerts(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.XAck(ctx, s.keys.Alerts(), group, ids...).Err(); err != nil {
		return fmt.Errorf("ack alerts: %w", err)
	}
	return nil
}
