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

// AlertField is the one field of an entry on the alert stream.
const AlertField = "alert"

// Alert reads the current record of an alert by fingerprint, with its
// revision; a missing alert has revision 0 and a nil record.
func (s *Store) Alert(ctx context.Context, fp string) (record []byte, rev int64, err error) {
	vals, err := s.rdb.HMGet(ctx, s.keys.AlertState(), fp, fp+":rev").Result()
	if err != nil {
		return nil, 0, fmt.Errorf("read alert %s: %w", fp, err)
	}
	if v, ok := vals[0].(string); ok {
		record = []byte(v)
	}
	if v, ok := vals[1].(string); ok {
		rev, _ = strconv.ParseInt(v, 10, 64)
	}
	return record, rev, nil
}

// WriteAlert stores record as revision rev+1 of the alert and appends it to
// the alert stream, only if the alert is still at revision rev. It reports
// whether it wrote; false means another writer got there first.
func (s *Store) WriteAlert(ctx context.Context, fp string, rev int64, record []byte) (bool, error) {
	keys := []string{s.keys.AlertState(), s.keys.Alerts()}
	n, err := alertScript.Run(ctx, s.rdb, keys, fp, rev, record, s.opt.AlertsMaxLen).Int()
	if err != nil {
		return false, fmt.Errorf("write alert %s: %w", fp, err)
	}
	return n == 1, nil
}

// CurrentAlerts returns every alert's current record by fingerprint.
func (s *Store) CurrentAlerts(ctx context.Context) (map[string][]byte, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.AlertState()).Result()
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	out := make(map[string][]byte, len(m)/2)
	for k, v := range m {
		if !strings.HasSuffix(k, ":rev") {
			out[k] = []byte(v)
		}
	}
	return out, nil
}

// AlertEntry is one entry of the alert stream.
type AlertEntry struct {
	ID     string
	Record []byte
}

// AlertLog reads up to count entries of the alert stream after id ("" for
// the start).
func (s *Store) AlertLog(ctx context.Context, after string, count int64) ([]AlertEntry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.Alerts(), start, "+", count).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read %s: %w", s.keys.Alerts(), err)
	}
	out := make([]AlertEntry, 0, len(msgs))
	for _, m := range msgs {
		v, _ := m.Values[AlertField].(string)
		out = append(out, AlertEntry{ID: m.ID, Record: []byte(v)})
	}
	return out, nil
}

// AlertPending is the hash of conditions waiting out their `for` duration:
// fingerprint -> first sighting (unix ms).
func (k Keys) AlertPending() string { return "{" + k.Alerts() + "}:pending" }

// PendingSince records now as the first sighting of fp unless one is
// recorded, and returns the first sighting.
func (s *Store) PendingSince(ctx context.Context, fp string, now time.Time) (time.Time, error) {
	if err := s.rdb.HSetNX(ctx, s.keys.AlertPending(), fp, now.UnixMilli()).Err(); err != nil {
		return time.Time{}, fmt.Errorf("record pending alert %s: %w", fp, err)
	}
	ms, err := s.rdb.HGet(ctx, s.keys.AlertPending(), fp).Int64()
	if err != nil {
		return time.Time{}, fmt.Errorf("read pending alert %s: %w", fp, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// ClearPending forgets a pending condition.
func (s *Store) ClearPending(ctx context.Context, fp string) error {
	if err := s.rdb.HDel(ctx, s.keys.AlertPending(), fp).Err(); err != nil {
		return fmt.Errorf("clear pending alert %s: %w", fp, err)
	}
	return nil
}
