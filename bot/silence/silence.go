// Package silence keeps Alertmanager-style silences: people mute alerts
// that match a set of label matchers for a while, with a comment that
// says why. A silenced alert still changes and is still written to the
// alert stream; it is only not sent to chat.
//
// Silences live in Redis, so every replica sees the same ones. Each is one
// JSON record {<prefix>silences}:<id> whose TTL runs to its end plus
// Retention, so ended silences clean themselves up, and the sorted set
// {<prefix>silences} indexes the live ones by their end. Match reads the
// live set (the index, then the records in one MGET: every key is named,
// as Redis Cluster wants, and shares the index's slot) and reuses it for
// CacheFor, so the chat dispatcher can ask about every alert change.
package silence

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

var (
	//go:embed lua/create.lua
	createSrc    string
	createScript = redis.NewScript(createSrc)
	//go:embed lua/expire.lua
	expireSrc    string
	expireScript = redis.NewScript(expireSrc)
)

// MaxDuration bounds a silence, as maxSnooze bounds a snooze: a silence
// forgotten for a month hides a month of alerts.
const MaxDuration = 7 * 24 * time.Hour

// Retention is how long an ended silence stays readable by Get, so that
// `unsilence` of one that just ended says so rather than "no such silence".
const Retention = 24 * time.Hour

// DefaultCacheFor is how long Match reuses the live silences it read.
const DefaultCacheFor = 2 * time.Second

// maxComment bounds a comment; it is a reason, not a report.
const maxComment = 500

// Errors of Get and Expire; test for them with errors.Is.
var (
	ErrNotFound = errors.New("no such silence")
	ErrEnded    = errors.New("silence already ended")
)

// Silence mutes the alerts its matchers match from StartsAt until EndsAt.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  Matchers  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"` // chat user id
	Comment   string    `json:"comment,omitempty"`
	ExpiredBy string    `json:"expired_by,omitempty"` // who ended it early, if anyone
}

// Active reports whether s silences alerts at now.
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Store creates, lists, expires and matches silences under one key prefix.
// It is safe for concurrent use, and any number of Stores in any number of
// processes may share the same silences.
type Store struct {
	rdb     redis.UniversalClient
	index   string // sorted set of live ids by end
	records string // prefix of each record's key
	now     func() time.Time
	newID   func() string

	// CacheFor is how long Match reuses the silences it read: a silence
	// created or expired on another replica takes effect here within it
	// (on this replica, at once). Zero reads Redis on every Match. Set it
	// before first use.
	CacheFor time.Duration

	mu       sync.Mutex
	cached   []Silence
	cachedAt time.Time
	fresh    bool
}

// New returns the silences under prefix (for example "qm:"). now is the
// clock (nil: time.Now); newID makes silence ids (nil: "s-" and 12 random
// hex digits).
func New(rdb redis.UniversalClient, prefix string, now func() time.Time, newID func() string) *Store {
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = randomID
	}
	index := "{" + prefix + "silences}"
	return &Store{rdb: rdb, index: index, records: index + ":", now: now, newID: newID, CacheFor: DefaultCacheFor}
}

func randomID() string {
	var b [6]byte
	rand.Read(b[:])
	return "s-" + hex.EncodeToString(b[:])
}

// IndexKey is the sorted set of live silences; RecordKey is one silence.
func (s *Store) IndexKey() string           { return s.index }
func (s *Store) RecordKey(id string) string { return s.records + id }

// Draft builds a silence that starts now and lasts d, with a fresh id,
// and checks it, without storing it: callers that audit before they act
// can name the silence in the audit entry, then Create it.
func (s *Store) Draft(ms Matchers, d time.Duration, by, comment string) (Silence, error) {
	now := s.now()
	return s.checkNew(Silence{Matchers: ms, StartsAt: now, EndsAt: now.Add(d), CreatedBy: by, Comment: comment}, now)
}

// checkNew checks sil and, when it has no id, gives it one after the
// checks pass, so refused silences use up no ids.
func (s *Store) checkNew(sil Silence, now time.Time) (Silence, error) {
	if sil.ID != "" {
		return check(sil, now)
	}
	sil.ID = "new"
	sil, err := check(sil, now)
	if err != nil {
		return sil, err
	}
	sil.ID = s.newID()
	return sil, checkID(sil.ID)
}

// check validates sil at now and returns it ready to store: times in UTC,
// a start in the past moved to now, regexes compiled.
func check(sil Silence, now time.Time) (Silence, error) {
	if err := checkID(sil.ID); err != nil {
		return sil, err
	}
	if sil.CreatedBy == "" {
		return sil, errors.New("silence: created_by is required")
	}
	if len(sil.Comment) > maxComment {
		return sil, fmt.Errorf("silence comment: %d bytes, at most %d", len(sil.Comment), maxComment)
	}
	if len(sil.Matchers) == 0 {
		return sil, errors.New("silence with no matchers: it would silence every alert")
	}
	ms := make(Matchers, len(sil.Matchers))
	for i, m := range sil.Matchers {
		c, err := NewMatcher(m.Name, m.Op, m.Value)
		if err != nil {
			return sil, fmt.Errorf("silence: %w", err)
		}
		ms[i] = c
	}
	if ms.matchesEverything() {
		return sil, fmt.Errorf("silence %s: every matcher also matches alerts without that label, so it could silence every alert; add one that needs a value, such as kind=stockout_risk or site=DC-EAST", ms)
	}
	sil.Matchers = ms
	if sil.StartsAt.IsZero() || sil.StartsAt.Before(now) {
		sil.StartsAt = now
	}
	sil.StartsAt, sil.EndsAt = sil.StartsAt.UTC(), sil.EndsAt.UTC()
	switch d := sil.EndsAt.Sub(now); {
	case !sil.EndsAt.After(sil.StartsAt):
		return sil, fmt.Errorf("silence ends %s, not after it starts (%s)", sil.EndsAt.Format(time.RFC3339), sil.StartsAt.Format(time.RFC3339))
	case d > MaxDuration:
		return sil, fmt.Errorf("silence for %s: at most %s (7d)", d, MaxDuration)
	}
	return sil, nil
}

// checkID refuses ids that could not have come from newID's alphabet, so
// an id typed in chat never addresses another key.
func checkID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("silence id %q: want 1 to 64 characters", id)
	}
	for i := range len(id) {
		if c := id[i]; !isNameByte(c) && c != '-' {
			return fmt.Errorf("silence id %q: want letters, digits, - and _", id)
		}
	}
	return nil
}

// Create stores sil and returns it as stored. An empty ID gets a fresh
// one and a zero or past StartsAt becomes now; it must end within
// MaxDuration from now, and at least one matcher must need a value.
func (s *Store) Create(ctx context.Context, sil Silence) (Silence, error) {
	now := s.now()
	sil, err := s.checkNew(sil, now)
	if err != nil {
		return Silence{}, err
	}
	data, err := json.Marshal(sil)
	if err != nil {
		return Silence{}, fmt.Errorf("encode silence %s: %w", sil.ID, err)
	}
	ttl := sil.EndsAt.Sub(now) + Retention
	n, err := createScript.Run(ctx, s.rdb, []string{s.index, s.RecordKey(sil.ID)},
		sil.ID, data, ttl.Milliseconds(), sil.EndsAt.UnixMilli(), now.UnixMilli()).Int()
	if err != nil {
		return Silence{}, fmt.Errorf("store silence %s: %w", sil.ID, err)
	}
	if n == 0 {
		return Silence{}, fmt.Errorf("store silence %s: a silence with this id exists", sil.ID)
	}
	s.invalidate()
	return sil, nil
}

// Get reads one silence, live or ended within Retention.
func (s *Store) Get(ctx context.Context, id string) (Silence, error) {
	sil, _, err := s.get(ctx, id)
	return sil, err
}

// Live reads a silence that has not ended: ErrEnded for one that has,
// ErrNotFound for none.
func (s *Store) Live(ctx context.Context, id string) (Silence, error) {
	sil, _, err := s.get(ctx, id)
	if err == nil && !s.now().Before(sil.EndsAt) {
		return sil, s.ended(sil)
	}
	return sil, err
}

func (s *Store) ended(sil Silence) error {
	by := ""
	if sil.ExpiredBy != "" {
		by = " (expired by " + sil.ExpiredBy + ")"
	}
	return fmt.Errorf("silence %s ended %s%s: %w", sil.ID, sil.EndsAt.Format(time.RFC3339), by, ErrEnded)
}

func (s *Store) get(ctx context.Context, id string) (Silence, string, error) {
	if err := checkID(id); err != nil {
		return Silence{}, "", err
	}
	raw, err := s.rdb.Get(ctx, s.RecordKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return Silence{}, "", fmt.Errorf("silence %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Silence{}, "", fmt.Errorf("read silence %s: %w", id, err)
	}
	var sil Silence
	if err := json.Unmarshal([]byte(raw), &sil); err != nil {
		return Silence{}, "", fmt.Errorf("decode silence %s: %w", id, err)
	}
	return sil, raw, nil
}

// maxAttempts bounds Expire's compare-and-set retries: a silence changes
// only when it is expired, so a second lost race means something odd.
const maxAttempts = 5

// Expire ends a silence now, recording who ended it. It is ErrEnded when
// the silence has already ended and ErrNotFound when there is none.
func (s *Store) Expire(ctx context.Context, id, by string) error {
	if by == "" {
		return errors.New("expire silence: who expires it is required")
	}
	for range maxAttempts {
		sil, raw, err := s.get(ctx, id)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if !now.Before(sil.EndsAt) {
			return s.ended(sil)
		}
		sil.EndsAt, sil.ExpiredBy = now, by
		if now.Before(sil.StartsAt) { // it had not begun
			sil.StartsAt = now
		}
		data, err := json.Marshal(sil)
		if err != nil {
			return fmt.Errorf("encode silence %s: %w", id, err)
		}
		n, err := expireScript.Run(ctx, s.rdb, []string{s.index, s.RecordKey(id)},
			raw, data, Retention.Milliseconds(), id, now.UnixMilli()).Int()
		if err != nil {
			return fmt.Errorf("expire silence %s: %w", id, err)
		}
		if n == 1 {
			s.invalidate()
			return nil
		}
	}
	return fmt.Errorf("expire silence %s: it kept changing (%d attempts)", id, maxAttempts)
}

// List returns the silences that have not ended, soonest end first. A
// record that cannot be decoded is reported in the error, beside the
// others.
func (s *Store) List(ctx context.Context) ([]Silence, error) {
	now := s.now()
	live, err := s.read(ctx, now)
	if live == nil {
		return nil, err
	}
	s.mu.Lock()
	s.cached, s.cachedAt, s.fresh = live, now, true
	s.mu.Unlock()
	return slices.Clone(live), err
}

// Match returns the id of an active silence that matches a, if any. It
// reads Redis at most once per CacheFor; a record that cannot be decoded
// is skipped, so that one bad record cannot stop every notification.
func (s *Store) Match(ctx context.Context, a alert.Alert) (id string, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.fresh || now.Before(s.cachedAt) || now.Sub(s.cachedAt) >= s.CacheFor {
		live, err := s.read(ctx, now)
		if live == nil && err != nil {
			return "", false, err
		}
		s.cached, s.cachedAt, s.fresh = live, now, true
	}
	for _, sil := range s.cached {
		if sil.Active(now) && sil.Matchers.MatchAlert(a) {
			return sil.ID, true, nil
		}
	}
	return "", false, nil
}

// read fetches the silences not ended at now. With a Redis error it
// returns nil; with undecodable records it returns the rest and an error
// naming them.
func (s *Store) read(ctx context.Context, now time.Time) ([]Silence, error) {
	ids, err := s.rdb.ZRangeByScore(ctx, s.index, &redis.ZRangeBy{Min: "(" + strconv.FormatInt(now.UnixMilli(), 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	var raws []string
	if len(ids) > 0 {
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = s.records + id
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("read silences: %w", err)
		}
		for _, v := range vals {
			if str, ok := v.(string); ok { // nil: its TTL ran out since
				raws = append(raws, str)
			}
		}
	}
	live := make([]Silence, 0, len(raws))
	var bad []string
	for i, raw := range raws {
		var sil Silence
		if err := json.Unmarshal([]byte(raw), &sil); err != nil {
			bad = append(bad, "#"+strconv.Itoa(i+1)+": "+err.Error())
			continue
		}
		live = append(live, sil)
	}
	slices.SortStableFunc(live, func(a, b Silence) int {
		if c := a.EndsAt.Compare(b.EndsAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if bad != nil {
		return live, fmt.Errorf("read silences: %d unreadable: %s", len(bad), strings.Join(bad, "; "))
	}
	return live, nil
}

// invalidate makes the next Match read Redis, after this Store changed a
// silence.
func (s *Store) invalidate() {
	s.mu.Lock()
	s.fresh = false
	s.mu.Unlock()
}

// ParseDuration reads a silence's length: a Go duration ("90m", "4h",
// "1h30m") or whole days or weeks ("2d", "1w"), which Go's parser lacks.
func ParseDuration(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 || v > 1000 {
				break // let Go's parser say what is wrong
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want a length such as 90m, 4h or 2d", s)
	}
	return d, nil
}
