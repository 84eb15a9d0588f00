package brief

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Bounds of StreamHistory's reads.
const (
	// page is how many stream entries one XREVRANGE returns.
	page = 500
	// DefaultTriggerScan is how many event stream entries are read back
	// from an alert's detection to find the events that raised it. They
	// were applied in the batch just before, so a few pages suffice; an
	// alert whose events are further back is not measured.
	DefaultTriggerScan = 2000
	// skew is how far clocks of replicas and Redis may disagree: revisions
	// a little older than asked are read before the reading stops, and
	// events up to this long after a detection are looked at.
	skew = time.Minute
)

// StreamHistory reads the alert and event streams of a store, newest
// first, so a briefing reads the last days and not the whole history.
type StreamHistory struct {
	Store *store.Store
	// TriggerScan bounds the event entries read per alert; zero means
	// DefaultTriggerScan.
	TriggerScan int
}

// AlertsSince implements History. The revisions are read back from the
// newest until one was detected before since (less a minute of clock
// skew between replicas), and returned oldest first.
func (h StreamHistory) AlertsSince(ctx context.Context, since time.Time) ([]alert.Alert, error) {
	rdb, key := h.Store.Client(), h.Store.Keys().Alerts()
	var out []alert.Alert
	end := "+"
	for {
		msgs, err := rdb.XRevRangeN(ctx, key, end, "-", page).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		for _, m := range msgs {
			raw, _ := m.Values[store.AlertField].(string)
			var a alert.Alert
			if err := json.Unmarshal([]byte(raw), &a); err != nil {
				return nil, fmt.Errorf("read %s: entry %s: %w", key, m.ID, err)
			}
			if a.DetectedAt.Before(since.Add(-skew)) {
				slices.Reverse(out)
				return out, nil
			}
			if a.DetectedAt.After(since) {
				out = append(out, a)
			}
		}
		if len(msgs) < page {
			slices.Reverse(out)
			return out, nil
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
}

// TriggerTime implements History: it reads the event stream back from the
// entries appended by at (plus a minute of skew) until it has found every
// id or read TriggerScan entries.
func (h StreamHistory) TriggerTime(ctx context.Context, ids []string, at time.Time) (time.Time, bool, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	limit := h.TriggerScan
	if limit <= 0 {
		limit = DefaultTriggerScan
	}
	rdb, key := h.Store.Client(), h.Store.Keys().Events()
	end := strconv.FormatInt(at.Add(skew).UnixMilli(), 10)
	var earliest time.Time
	for read := 0; read < limit && len(want) > 0; {
		n := min(page, limit-read)
		msgs, err := rdb.XRevRangeN(ctx, key, end, "-", int64(n)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return time.Time{}, false, fmt.Errorf("read %s: %w", key, err)
		}
		for _, m := range msgs {
			raw, _ := m.Values[store.EventField].(string)
			var ev struct {
				ID         string    `json:"id"`
				OccurredAt time.Time `json:"occurred_at"`
			}
			// An entry that does not decode was quarantined, never
			// applied: it raised nothing.
			if json.Unmarshal([]byte(raw), &ev) != nil || !want[ev.ID] {
				continue
			}
			delete(want, ev.ID)
			if earliest.IsZero() || ev.OccurredAt.Before(earliest) {
				earliest = ev.OccurredAt
			}
		}
		read += len(msgs)
		if len(msgs) < n {
			break // the start of the stream
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
	return earliest, !earliest.IsZero(), nil
}
