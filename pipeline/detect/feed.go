package detect

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Feeds judges the producers of events as a whole, from the feed
// statistics the consumer keeps (store.FeedStats):
//
//   - stale_feed: a source silent for longer than
//     max(MinSilence, GapFactor x its usual gap). The usual gap is the
//     second longest silence of the last three weeks (see
//     store.FeedStat.UsualGap): a feed quiet every night or every weekend
//     learns that, a single outage does not teach it that outages are
//     normal. It clears when the source sends again.
//   - data_quality: a source whose records in Window were refused at a
//     share of at least MinShare, with at least MinQuarantined refused. It
//     clears only when the share falls below ClearShare or nothing more is
//     refused, so that it does not flap around the threshold.
//
// Both are actionable, planner_review and owned by the policy's default
// owner: a feed is nobody's SKU, and every number downstream rests on it.
// Their revenue at risk is 0, since no position's loss can honestly be
// put on a feed; Freshness carries them into the stock alerts' data
// confidence instead. The zero value uses the defaults.
type Feeds struct {
	MinSilence time.Duration // default 6h
	GapFactor  float64       // default 1.5
	// Learn is how long a source is watched before its silence is judged:
	// until then its rhythm is unknown. Default 24h.
	Learn time.Duration
	// Window is how far back data_quality counts, in whole hours (see
	// store.FeedStat.Since). It should be no shorter than the sweep
	// interval, or records between sweeps go unjudged. Default 3h.
	Window   time.Duration
	MinShare float64 // default 0.05
	// MinQuarantined keeps a few refusals at a quiet source from paging:
	// 5 refused at 5% or more is far beyond a healthy feed's noise, and a
	// feed refused a few records an hour (as the simulator's broken feed
	// is) is caught within the default window. Default 5.
	MinQuarantined int
	ClearShare     float64 // default MinShare / 2
}

// Defaults of Feeds.
const (
	DefaultFeedMinSilence     = 6 * time.Hour
	DefaultFeedGapFactor      = 1.5
	DefaultFeedLearn          = 24 * time.Hour
	DefaultFeedWindow         = 3 * time.Hour
	DefaultFeedMinShare       = 0.05
	DefaultFeedMinQuarantined = 5
)

// WithDefaults returns f with every zero field set to its default.
func (f Feeds) WithDefaults() Feeds {
	if f.MinSilence <= 0 {
		f.MinSilence = DefaultFeedMinSilence
	}
	if f.GapFactor <= 0 {
		f.GapFactor = DefaultFeedGapFactor
	}
	if f.Learn <= 0 {
		f.Learn = DefaultFeedLearn
	}
	if f.Window <= 0 {
		f.Window = DefaultFeedWindow
	}
	if f.MinShare <= 0 {
		f.MinShare = DefaultFeedMinShare
	}
	if f.MinQuarantined <= 0 {
		f.MinQuarantined = DefaultFeedMinQuarantined
	}
	if f.ClearShare <= 0 || f.ClearShare > f.MinShare {
		f.ClearShare = f.MinShare / 2
	}
	return f
}

// FeedFingerprint is the fingerprint of a feed alert of kind about source.
// Feed alerts carry Source and no supplier, so it equals
// alert.Fingerprint(kind, "", "", "", source), which skips empty parts.
func FeedFingerprint(kind, source string) string {
	return alert.Fingerprint(kind, "", "", source)
}

// FeedHealth is one feed judged at one time.
type FeedHealth struct {
	Source        string
	LastArrival   time.Time
	LastEventTime time.Time
	Silent        time.Duration // since the last arrival
	Threshold     time.Duration // the silence that makes it stale
	Stale         bool
	Share         float64 // refused share of the window's records
	Refused       int
	Poor          bool // refused at the data_quality threshold
}

// Judge says how one source stands as of now. The unknown source (records
// naming none) is never stale: its silence is good news.
func (f Feeds) Judge(st store.FeedStat, now time.Time) FeedHealth {
	f = f.WithDefaults()
	h := FeedHealth{Source: st.Source, LastArrival: st.LastArrival, LastEventTime: st.LastEventTime,
		Share: st.Share(), Refused: st.Quarantined}
	h.Silent = max(0, now.Sub(st.LastArrival))
	h.Threshold = max(f.MinSilence, time.Duration(f.GapFactor*float64(st.UsualGap)))
	watched := !st.FirstSeen.IsZero() && now.Sub(st.FirstSeen) >= f.Learn
	h.Stale = st.Source != store.UnknownSource && !st.LastArrival.IsZero() && watched && h.Silent > h.Threshold
	h.Poor = st.Quarantined >= f.MinQuarantined && h.Share >= f.MinShare
	return h
}

// Detect judges every source as of now and returns the feed alerts that
// hold and the fingerprints of those that do not. open reports whether
// the alert with a fingerprint is open (not resolved), for data_quality's
// hysteresis; nil means none is. owner owns every feed alert.
func (f Feeds) Detect(stats []store.FeedStat, now time.Time, owner string, open func(fp string) bool) (fire []alert.Candidate, clear []string) {
	f = f.WithDefaults()
	if open == nil {
		open = func(string) bool { return false }
	}
	for _, st := range stats {
		h := f.Judge(st, now)
		fp := FeedFingerprint(alert.KindStaleFeed, st.Source)
		if h.Stale {
			fire = append(fire, f.staleCandidate(st, h, owner))
		} else {
			clear = append(clear, fp)
		}
		fp = FeedFingerprint(alert.KindDataQuality, st.Source)
		hold := open(fp) && st.Quarantined > 0 && h.Share >= f.ClearShare
		if h.Poor || hold {
			fire = append(fire, f.qualityCandidate(st, h, now, owner))
		} else {
			clear = append(clear, fp)
		}
	}
	return fire, clear
}

func (f Feeds) staleCandidate(st store.FeedStat, h FeedHealth, owner string) alert.Candidate {
	usual := "it has no usual rhythm yet"
	if st.UsualGap > 0 {
		usual = "it is usually silent no more than " + feedHours(st.UsualGap)
	}
	var lastEvent any
	if !st.LastEventTime.IsZero() {
		lastEvent = st.LastEventTime.UTC().Format(time.RFC3339)
	}
	return alert.Candidate{
		Kind: alert.KindStaleFeed, Source: st.Source, Labels: map[string]string{"source": st.Source},
		Tier: score.Actionable, ResponseClass: score.PlannerReview, Owner: owner,
		RecommendedAction: fmt.Sprintf("Check the %s export job and its link to Quartermaster: its last batch arrived %s, %s ago, and %s",
			st.Source, st.LastArrival.UTC().Format("Jan 02 15:04 MST"), feedHours(h.Silent), usual),
		ActionKey: "check feed " + st.Source,
		Evidence: map[string]any{
			"source": st.Source, "last_arrival": st.LastArrival.UTC().Format(time.RFC3339), "last_event_time": lastEvent,
			"silent_hours": round(h.Silent.Hours(), 1), "usual_gap_hours": round(st.UsualGap.Hours(), 1),
			"threshold_hours": round(h.Threshold.Hours(), 1),
		},
	}
}

// maxReasonsNamed bounds the reason codes a data_quality action names.
const maxReasonsNamed = 3

func (f Feeds) qualityCandidate(st store.FeedStat, h FeedHealth, now time.Time, owner string) alert.Candidate {
	reasons := make([]string, 0, len(st.ByReason))
	for r := range st.ByReason {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int {
		return cmp.Or(cmp.Compare(st.ByReason[b], st.ByReason[a]), cmp.Compare(a, b))
	})
	top := reasons[:min(len(reasons), maxReasonsNamed)]
	named := make([]string, len(top))
	for i, r := range top {
		named[i] = fmt.Sprintf("%s (%d)", r, st.ByReason[r])
	}
	list := "`quartermaster quarantine list --source " + st.Source + "`"
	if len(top) > 0 {
		list = "`quartermaster quarantine list --source " + st.Source + " --reason " + top[0] + "`"
	}
	since := st.Since.UTC().Format("15:04 MST")
	total := st.Accepted + st.Quarantined
	action := fmt.Sprintf("Fix the %s export: %d of its %d records since %s were refused (%s), mostly %s; see %s",
		st.Source, st.Quarantined, total, since, percent(h.Share), strings.Join(named, ", "), list)
	if st.Source == store.UnknownSource {
		action = fmt.Sprintf("Find the producer of records that name no source: %d refused since %s, mostly %s; see %s",
			st.Quarantined, since, strings.Join(named, ", "), list)
	}
	byReason := make(map[string]any, len(st.ByReason))
	for r, n := range st.ByReason {
		byReason[r] = n
	}
	return alert.Candidate{
		Kind: alert.KindDataQuality, Source: st.Source, Labels: map[string]string{"source": st.Source},
		Tier: score.Actionable, ResponseClass: score.PlannerReview, Owner: owner,
		RecommendedAction: action, ActionKey: "fix feed " + st.Source,
		Evidence: map[string]any{
			"source": st.Source, "quarantined": st.Quarantined, "accepted": st.Accepted, "share": round(h.Share, 3),
			"by_reason": byReason, "top_reasons": top, "window_hours": round(now.Sub(st.Since).Hours(), 2),
			"since": st.Since.UTC().Format(time.RFC3339),
		},
	}
}

// feedHours says a duration the way people read silences: "14h", "2.5 days".
func feedHours(d time.Duration) string {
	h := d.Hours()
	if h < 48 {
		return strconv.FormatFloat(math.Round(h), 'f', 0, 64) + "h"
	}
	return strconv.FormatFloat(math.Round(h/24*10)/10, 'f', -1, 64) + " days"
}

func percent(share float64) string {
	return strconv.FormatFloat(math.Round(share*1000)/10, 'f', -1, 64) + "%"
}

// FeedStore is what FeedWatch reads: the feed statistics and the current
// alert records. store.Store implements it.
type FeedStore interface {
	FeedStats(ctx context.Context, now time.Time, window time.Duration) ([]store.FeedStat, error)
	Alert(ctx context.Context, fp string) (record []byte, rev int64, err error)
}

// FeedWatch runs Feeds on the live statistics; its Check is the Runner's
// Feeds hook. It remembers the Freshness of its last check for the scorer.
type FeedWatch struct {
	Store FeedStore
	Feeds Feeds
	Owner string // the owner of feed alerts: the policy's default owner

	last atomic.Pointer[Freshness]
}

// Check judges every feed as of now: the feed alerts that hold, and the
// fingerprints of those that do not.
func (w *FeedWatch) Check(ctx context.Context, now time.Time) (fire []alert.Candidate, clear []string, err error) {
	f := w.Feeds.WithDefaults()
	stats, err := w.Store.FeedStats(ctx, now, f.Window)
	if err != nil {
		return nil, nil, err
	}
	open := map[string]bool{}
	for _, st := range stats {
		if st.Quarantined == 0 {
			continue // nothing refused: data_quality clears whatever its state
		}
		fp := FeedFingerprint(alert.KindDataQuality, st.Source)
		raw, _, err := w.Store.Alert(ctx, fp)
		if err != nil {
			return nil, nil, err
		}
		var a struct {
			State alert.State `json:"state"`
		}
		if raw != nil && json.Unmarshal(raw, &a) == nil && a.State != alert.Resolved {
			open[fp] = true
		}
	}
	fire, clear = f.Detect(stats, now, w.Owner, func(fp string) bool { return open[fp] })
	fr := f.Freshness(stats, now)
	w.last.Store(&fr)
	return fire, clear, nil
}

// Freshness returns the state of the feeds as of the last Check; nil
// before the first.
func (w *FeedWatch) Freshness() *Freshness { return w.last.Load() }

// Freshness is the state of every feed as of one check, for the data
// confidence of stock alerts: a position whose site is fed by a stale or
// refusing feed rests on numbers that may be out of date. Its methods
// work on a nil *Freshness (nothing known, nothing doubted).
type Freshness struct {
	At    time.Time
	Feeds map[string]FeedHealth // by source
	sites map[string][]string   // site -> the sources whose accepted events name it, sorted
}

// Confidence factors of the feeds behind a position.
const (
	StaleFeedConfidence = 0.7  // a feed of the site is silent past its threshold
	PoorFeedConfidence  = 0.85 // a feed of the site has its records refused at the data_quality threshold
)

// Freshness judges every source as of now.
func (f Feeds) Freshness(stats []store.FeedStat, now time.Time) Freshness {
	fr := Freshness{At: now, Feeds: make(map[string]FeedHealth, len(stats)), sites: map[string][]string{}}
	for _, st := range stats {
		fr.Feeds[st.Source] = f.Judge(st, now)
		for _, site := range st.Sites {
			fr.sites[site] = append(fr.sites[site], st.Source) // stats come sorted by source
		}
	}
	return fr
}

// Site returns the feeds that send events for site and are stale or
// refused at the threshold now, sorted by source.
func (fr *Freshness) Site(site string) []FeedHealth {
	if fr == nil {
		return nil
	}
	var out []FeedHealth
	for _, src := range fr.sites[site] {
		if h := fr.Feeds[src]; h.Stale || h.Poor {
			out = append(out, h)
		}
	}
	return out
}

// Confidence is the factor (0 to 1) by which the feeds of site lower trust
// in a position's numbers, with a caveat for people per feed: it multiplies
// score.Impact.Confidence.
func (fr *Freshness) Confidence(site string) (float64, []string) {
	conf := 1.0
	var why []string
	for _, h := range fr.Site(site) {
		if h.Stale {
			conf *= StaleFeedConfidence
			why = append(why, fmt.Sprintf("feed %s silent for %s", h.Source, feedHours(h.Silent)))
		}
		if h.Poor {
			conf *= PoorFeedConfidence
			why = append(why, fmt.Sprintf("feed %s has %s of its records refused", h.Source, percent(h.Share)))
		}
	}
	return conf, why
}

// feedAlerts fires and clears the alerts about feeds, when the Runner has
// a Feeds hook.
func (r *Runner) feedAlerts(ctx context.Context) {
	if r.Feeds == nil {
		return
	}
	fire, clear, err := r.Feeds(ctx, r.now())
	if err != nil {
		r.log.Warn("judge feeds", "err", err)
		return
	}
	for _, c := range fire {
		if _, err := r.mgr.Fire(ctx, c); err != nil {
			r.log.Warn("record alert", "source", c.Labels["source"], "kind", c.Kind, "err", err)
		}
	}
	for _, fp := range clear {
		if _, err := r.mgr.Clear(ctx, fp, nil); err != nil {
			r.log.Warn("record alert", "fingerprint", fp, "err", err)
		}
	}
}
