package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Feed statistics say, per source (the envelope's `source`), when it last
// sent, how much of what it sent was accepted or refused, and when it is
// usually active, so that the detectors can tell a feed that went quiet
// (stale_feed) from one that sends records Quartermaster refuses
// (data_quality). They are written with the quarantine records of each
// consumed batch, in the same round trip (see Settle), and counted at least
// once: a batch redelivered after a crash between its statistics and its
// acknowledgement is counted twice, which only inflates that batch.
//
// Times are stream entry times (when Redis appended the record), not the
// consumer's clock: a bot that was down and catches up on a backlog must
// not see every source go silent and then burst.
//
// Keys share the hash tag {<prefix>feeds}:
//
//	{qm:feeds}:arrived          zset source -> last arrival (unix ms)
//	{qm:feeds}:accepted         zset source -> last arrival of an accepted record
//	{qm:feeds}:event            zset source -> newest occurred_at accepted
//	{qm:feeds}:h:2026112709     hash per hour of arrival, fields a:SRC, q:SRC, r:REASON:SRC
//	{qm:feeds}:active:SRC       zset of the hours (unix hours) the source sent in
//	{qm:feeds}:sites:SRC        set of the sites the source's accepted events named
const (
	// UnknownSource is the source of records that name none: unparseable
	// input, or a source that is empty or not a string.
	UnknownSource = "unknown"
	// MaxSourceLen bounds a source name in bytes; sources are partner text
	// and become key names.
	MaxSourceLen = 64
	// FeedLookback is how much activity history a source's usual gap is
	// learned from: three weeks, so that a weekly pattern (a quiet
	// weekend) is seen at least twice.
	FeedLookback = 21 * 24 * time.Hour
	// FeedCountTTL is how long the hourly counts are kept.
	FeedCountTTL = 3 * 24 * time.Hour
	// MaxFeedWindow is the longest window FeedStats counts over.
	MaxFeedWindow = 48 * time.Hour
)

func (k Keys) feeds() string { return "{" + k.prefix + "feeds}" }

// FeedArrived is the zset of each source's last arrival (unix ms).
func (k Keys) FeedArrived() string { return k.feeds() + ":arrived" }

// FeedAccepted is the zset of each source's last accepted arrival.
func (k Keys) FeedAccepted() string { return k.feeds() + ":accepted" }

// FeedEventTime is the zset of each source's newest accepted event time.
func (k Keys) FeedEventTime() string { return k.feeds() + ":event" }

// FeedHour is the hash of one hour's counts of every source.
func (k Keys) FeedHour(hour int64) string {
	return k.feeds() + ":h:" + time.Unix(hour*3600, 0).UTC().Format("2006010215")
}

// FeedActive is the zset of the hours in which source sent anything.
func (k Keys) FeedActive(source string) string { return k.feeds() + ":active:" + source }

// FeedSites is the set of the sites source's accepted events named.
func (k Keys) FeedSites(source string) string { return k.feeds() + ":sites:" + source }

// FeedStatus is what became of one entry of a batch.
type FeedStatus int8

// Entry outcomes, as the feed statistics count them.
const (
	FeedPending     FeedStatus = iota // left pending for a retry: it arrived, nothing more is known
	FeedAccepted                      // applied, or a duplicate of an applied event
	FeedQuarantined                   // refused with a reason
)

// FeedEntry is one stream entry as the feed statistics see it.
type FeedEntry struct {
	Source   string // passed through FeedSource when recorded
	Arrived  time.Time
	Status   FeedStatus
	Reason   string    // the reason code, when quarantined
	Occurred time.Time // the event time, when accepted
	Site     string    // the site the event names, when accepted
}

// FeedSource makes a source name safe to count under: trimmed, without
// control characters or invalid UTF-8, at most MaxSourceLen bytes, and
// UnknownSource when nothing is left.
func FeedSource(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return UnknownSource
	}
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if r == utf8.RuneError || unicode.IsControl(r) {
				return '?'
			}
			return r
		}, strings.ToValidUTF8(s, "?"))
	}
	if len(s) > MaxSourceLen {
		cut := MaxSourceLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// Settle writes what a consumed batch leaves besides state: its quarantine
// records (each at most once per source entry) and the feed statistics of
// its entries, in one round trip. Either may be empty.
func (s *Store) Settle(ctx context.Context, recs []Quarantined, feeds []FeedEntry) error {
	if len(recs) == 0 && len(feeds) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	s.queueQuarantine(ctx, pipe, recs)
	counted := s.queueFeeds(ctx, pipe, feeds)
	_, err := pipe.Exec(ctx)
	if err == nil {
		return nil
	}
	for _, c := range counted {
		if cerr := c.Err(); cerr != nil {
			return fmt.Errorf("record feed statistics: %w", cerr)
		}
	}
	if !isNoScript(err) {
		return fmt.Errorf("quarantine %d events: %w", len(recs), err)
	}
	// Redis lost its script cache (a restart, a failover): the counts went
	// through, only the quarantine records need the retry.
	if err := s.LoadScripts(ctx); err != nil {
		return err
	}
	return s.quarantine(ctx, recs)
}

// queueFeeds adds the feed statistics of entries to pipe and returns the
// commands it added.
func (s *Store) queueFeeds(ctx context.Context, pipe redis.Pipeliner, entries []FeedEntry) []redis.Cmder {
	if len(entries) == 0 {
		return nil
	}
	type srcAgg struct {
		arrived, accepted, event int64 // unix ms; 0 when none
		hours                    map[int64]bool
		sites                    map[string]bool
	}
	// A hash field per hour, source and outcome (and reason), counted
	// before any string is built: batches are hundreds of entries from a
	// few sources.
	type field struct {
		hour        int64
		kind        byte // 'a' accepted, 'q' quarantined, 'r' by reason
		src, reason string
	}
	bySrc := map[string]*srcAgg{}
	names := map[string]string{} // raw source -> FeedSource
	counts := map[field]int64{}
	var newest int64
	for _, e := range entries {
		src, ok := names[e.Source]
		if !ok {
			src = FeedSource(e.Source)
			names[e.Source] = src
		}
		a := bySrc[src]
		if a == nil {
			a = &srcAgg{hours: map[int64]bool{}}
			bySrc[src] = a
		}
		ms := e.Arrived.UnixMilli()
		hour := unixHour(e.Arrived)
		a.arrived = max(a.arrived, ms)
		newest = max(newest, ms)
		a.hours[hour] = true
		switch e.Status {
		case FeedAccepted:
			counts[field{hour, 'a', src, ""}]++
			a.accepted = max(a.accepted, ms)
			if !e.Occurred.IsZero() {
				a.event = max(a.event, e.Occurred.UnixMilli())
			}
			if e.Site != "" {
				if a.sites == nil {
					a.sites = map[string]bool{}
				}
				a.sites[e.Site] = true
			}
		case FeedQuarantined:
			counts[field{hour, 'q', src, ""}]++
			counts[field{hour, 'r', src, e.Reason}]++
		}
	}

	var cmds []redis.Cmder
	add := func(c redis.Cmder) { cmds = append(cmds, c) }
	fields := make([]field, 0, len(counts))
	for f := range counts {
		fields = append(fields, f)
	}
	slices.SortFunc(fields, func(x, y field) int {
		return cmp.Or(cmp.Compare(x.hour, y.hour), cmp.Compare(x.src, y.src), cmp.Compare(x.kind, y.kind), cmp.Compare(x.reason, y.reason))
	})
	for i, f := range fields {
		key := s.keys.FeedHour(f.hour)
		name := string(f.kind) + ":" + f.src
		if f.kind == 'r' {
			name = "r:" + f.reason + ":" + f.src
		}
		add(pipe.HIncrBy(ctx, key, name, counts[f]))
		if i == len(fields)-1 || fields[i+1].hour != f.hour {
			add(pipe.Expire(ctx, key, FeedCountTTL))
		}
	}
	var arrived, accepted, event []redis.Z
	for _, src := range sortedKeys(bySrc) {
		a := bySrc[src]
		arrived = append(arrived, redis.Z{Score: float64(a.arrived), Member: src})
		if a.accepted > 0 {
			accepted = append(accepted, redis.Z{Score: float64(a.accepted), Member: src})
		}
		if a.event > 0 {
			event = append(event, redis.Z{Score: float64(a.event), Member: src})
		}
		hours := make([]redis.Z, 0, len(a.hours))
		var last int64
		for _, h := range sortedKeys(a.hours) {
			hours = append(hours, redis.Z{Score: float64(h), Member: strconv.FormatInt(h, 10)})
			last = h
		}
		active := s.keys.FeedActive(src)
		add(pipe.ZAdd(ctx, active, hours...))
		add(pipe.ZRemRangeByScore(ctx, active, "-inf", "("+strconv.FormatInt(last-lookbackHours, 10)))
		add(pipe.Expire(ctx, active, FeedLookback))
		if len(a.sites) > 0 {
			key := s.keys.FeedSites(src)
			add(pipe.SAdd(ctx, key, toAny(sortedKeys(a.sites))...))
			add(pipe.Expire(ctx, key, FeedLookback))
		}
	}
	// Sources silent for the whole lookback drop out, so a producer that
	// invents a new source per record cannot grow these sets forever.
	old := "(" + strconv.FormatInt(newest-FeedLookback.Milliseconds(), 10)
	for _, z := range []struct {
		key string
		m   []redis.Z
	}{{s.keys.FeedArrived(), arrived}, {s.keys.FeedAccepted(), accepted}, {s.keys.FeedEventTime(), event}} {
		if len(z.m) > 0 {
			add(pipe.ZAddGT(ctx, z.key, z.m...))
		}
		add(pipe.ZRemRangeByScore(ctx, z.key, "-inf", old))
	}
	return cmds
}

// lookbackHours is FeedLookback in hours.
const lookbackHours = int64(FeedLookback / time.Hour)

func unixHour(t time.Time) int64 {
	sec := t.Unix()
	if sec < 0 {
		return (sec - 3599) / 3600
	}
	return sec / 3600
}

func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// FeedStat is what the statistics say of one source as of a time.
type FeedStat struct {
	Source        string
	LastArrival   time.Time // the newest record of any kind
	LastAccepted  time.Time // the newest record accepted; zero when none in the lookback
	LastEventTime time.Time // the newest occurred_at accepted; zero when none
	// Accepted, Quarantined and ByReason count the records that arrived
	// in the window, in whole hours: from Since, the start of the hour
	// the window began in, to now.
	Accepted, Quarantined int
	ByReason              map[string]int
	Since                 time.Time
	// UsualGap is how long the source is usually silent: the second
	// longest of the gaps between the hours it sent in over the lookback,
	// at hour resolution. A silence seen once, like an outage, does not
	// count as usual; one that recurs (every night, every weekend) does.
	// In a source's first week the longest gap counts, since there is too
	// little history to tell an outage from a rhythm; zero when the source
	// sent in one hour only.
	UsualGap time.Duration
	// FirstSeen is the start of the first hour of the lookback the source
	// sent in: how long its rhythm has been watched.
	FirstSeen time.Time
	Sites     []string // the sites its accepted events named, sorted
}

// Share is the part of the window's records that was quarantined, 0 when
// there were none.
func (f FeedStat) Share() float64 {
	if n := f.Accepted + f.Quarantined; n > 0 {
		return float64(f.Quarantined) / float64(n)
	}
	return 0
}

// FeedStats reads the statistics of every source that sent within
// FeedLookback of now, sorted by source, counting records over window (at
// most MaxFeedWindow). It takes two round trips.
func (s *Store) FeedStats(ctx context.Context, now time.Time, window time.Duration) ([]FeedStat, error) {
	if window <= 0 || window > MaxFeedWindow {
		return nil, fmt.Errorf("feed statistics: window %v, want more than 0 and at most %v", window, MaxFeedWindow)
	}
	nowHour := unixHour(now)
	first := unixHour(now.Add(-window))
	pipe := s.rdb.Pipeline()
	arr := pipe.ZRangeWithScores(ctx, s.keys.FeedArrived(), 0, -1)
	acc := pipe.ZRangeWithScores(ctx, s.keys.FeedAccepted(), 0, -1)
	evt := pipe.ZRangeWithScores(ctx, s.keys.FeedEventTime(), 0, -1)
	var buckets []*redis.MapStringStringCmd
	for h := first; h <= nowHour; h++ {
		buckets = append(buckets, pipe.HGetAll(ctx, s.keys.FeedHour(h)))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read feed statistics: %w", err)
	}

	cutoff := now.Add(-FeedLookback)
	stats := map[string]*FeedStat{}
	stat := func(src string) *FeedStat {
		st := stats[src]
		if st == nil {
			st = &FeedStat{Source: src, ByReason: map[string]int{}, Since: time.Unix(first*3600, 0).UTC()}
			stats[src] = st
		}
		return st
	}
	for _, z := range arr.Val() {
		if t := time.UnixMilli(int64(z.Score)).UTC(); !t.Before(cutoff) {
			stat(z.Member.(string)).LastArrival = t
		}
	}
	for _, b := range buckets {
		for field, v := range b.Val() {
			n, _ := strconv.Atoi(v)
			kind, rest, _ := strings.Cut(field, ":")
			switch kind {
			case "a":
				stat(rest).Accepted += n
			case "q":
				stat(rest).Quarantined += n
			case "r":
				reason, src, _ := strings.Cut(rest, ":")
				stat(src).ByReason[reason] += n
			}
		}
	}
	for _, z := range acc.Val() {
		if st := stats[z.Member.(string)]; st != nil {
			st.LastAccepted = time.UnixMilli(int64(z.Score)).UTC()
		}
	}
	for _, z := range evt.Val() {
		if st := stats[z.Member.(string)]; st != nil {
			st.LastEventTime = time.UnixMilli(int64(z.Score)).UTC()
		}
	}

	names := sortedKeys(stats)
	pipe = s.rdb.Pipeline()
	active := make([]*redis.StringSliceCmd, len(names))
	sites := make([]*redis.StringSliceCmd, len(names))
	for i, src := range names {
		active[i] = pipe.ZRangeByScore(ctx, s.keys.FeedActive(src), &redis.ZRangeBy{
			Min: strconv.FormatInt(nowHour-lookbackHours, 10), Max: strconv.FormatInt(nowHour, 10)})
		sites[i] = pipe.SMembers(ctx, s.keys.FeedSites(src))
	}
	if len(names) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read feed activity: %w", err)
		}
	}
	out := make([]FeedStat, len(names))
	for i, src := range names {
		st := stats[src]
		hours := make([]int64, 0, len(active[i].Val()))
		for _, h := range active[i].Val() {
			if n, err := strconv.ParseInt(h, 10, 64); err == nil {
				hours = append(hours, n)
			}
		}
		sort.Slice(hours, func(a, b int) bool { return hours[a] < hours[b] })
		st.UsualGap = usualGap(hours, nowHour)
		if len(hours) > 0 {
			st.FirstSeen = time.Unix(hours[0]*3600, 0).UTC()
		}
		st.Sites = slices.Sorted(slices.Values(sites[i].Val()))
		out[i] = *st
	}
	return out, nil
}

// usualGap is the second longest gap between consecutive active hours
// (sorted), or the longest when there is only one or the first is less
// than a week before now; zero when there is none.
func usualGap(hours []int64, now int64) time.Duration {
	var gaps []int64
	for i := 1; i < len(hours); i++ {
		gaps = append(gaps, hours[i]-hours[i-1])
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	g := gaps[len(gaps)-1]
	if len(gaps) > 1 && now-hours[0] >= youngHours {
		g = gaps[len(gaps)-2]
	}
	return time.Duration(g) * time.Hour
}

// youngHours is how long a source counts as new to the usual gap.
const youngHours = 7 * 24
