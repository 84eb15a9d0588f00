package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Route is one chat channel and the alerts it takes.
type Route struct {
	Platform, Channel string
	Match             func(a alert.Alert) bool
	Role              string // who reads the channel, for summaries
}

func (r Route) name() string { return r.Platform + ":" + r.Channel }

// Dispatcher delivers the alert stream to chat. It reads qm:alerts in a
// consumer group of its own, so every change reaches chat at least once
// even across crashes, and several replicas share the work. The
// notification log makes each (route, alert, revision) post once: a
// revision already shown is skipped, and later ones edit the message the
// first one posted.
type Dispatcher struct {
	St        *store.Store
	Routes    []Route
	Notifiers map[string]Notifier // by platform
	Group     string              // consumer group on the alert stream
	Consumer  string
	Block     time.Duration
	Log       *slog.Logger
	// Attempts bounds the tries of one send on retryable errors; then the
	// change stays pending on the stream and comes back later.
	Attempts int
	Sent     *prometheus.CounterVec // by platform and result; may be nil
	// Mute says whether an alert change is inhibited by another alert (a
	// supplier-wide one that stands for it); muted changes stay on the
	// alert stream and are counted, but reach no chat. nil mutes nothing.
	Mute func(ctx context.Context, a alert.Alert) (bool, error)
	// Summarize, when set, writes the summary of an alert change for a
	// route's readers (their role); "" shows none.
	Summarize func(ctx context.Context, a alert.Alert, role string) string
	// InfoDigest, when above zero, sends info changes to Slack and Discord
	// (any notifier that is a Digester) as one digest message per route
	// this often, rather than one message each; an info alert that already
	// has a message (it was louder before) is still edited in place.
	InfoDigest time.Duration
	// Pace is the least time between two sends to one channel, by
	// platform (Slack asks for about one message a second per channel);
	// absent means no pause.
	Pace map[string]time.Duration

	last map[string]time.Time // the last send per route, for Pace
}

// NewSentCounter is the metric Dispatcher.Sent expects.
func NewSentCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qm_notifications_total", Help: "Alert changes delivered to chat, by platform and result.",
	}, []string{"platform", "result"})
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// Prepare creates the dispatcher's consumer group. Call it before alerts
// are written: the group starts at the end of the stream.
func (d *Dispatcher) Prepare(ctx context.Context) error {
	return d.St.EnsureAlertGroup(ctx, d.Group)
}

// Run delivers alert changes until ctx ends, backing off on Redis errors.
func (d *Dispatcher) Run(ctx context.Context) error {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := d.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		d.Log.Warn("chat dispatcher interrupted, retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
	return nil
}

func (d *Dispatcher) session(ctx context.Context) error {
	if err := d.Prepare(ctx); err != nil {
		return err
	}
	pending := true
	for ctx.Err() == nil {
		entries, err := d.St.ReadAlerts(ctx, d.Group, d.Consumer, 100, d.Block, pending)
		if err != nil {
			return err
		}
		if pending && len(entries) == 0 {
			pending = false
			continue
		}
		batch := make([]*alert.Alert, len(entries))
		for i, e := range entries {
			var a alert.Alert
			if err := json.Unmarshal(e.Record, &a); err != nil {
				d.Log.Error("alert stream entry is not an alert; skipped", "entry", e.ID, "err", err)
				continue
			}
			batch[i] = &a
		}
		digested, err := d.digest(ctx, batch)
		if err != nil {
			return err
		}
		for i, e := range entries {
			if a := batch[i]; a != nil {
				if err := d.deliverRoutes(ctx, *a, digested); err != nil {
					// Left pending: the next session re-reads it.
					d.Log.Warn("alert change not delivered yet", "alert", a.ID, "revision", a.Revision, "err", err)
					if pending {
						continue
					}
					return err
				}
			}
			if err := d.St.AckAlerts(ctx, d.Group, e.ID); err != nil {
				return err
			}
		}
		if pending {
			pending = false // one pass over what was pending, then new changes
		}
	}
	return nil
}

// Deliver sends one alert change to every route that takes it. It returns
// an error only when a route should be tried again later.
func (d *Dispatcher) Deliver(ctx context.Context, a alert.Alert) error {
	return d.deliverRoutes(ctx, a, nil)
}

// Digester is a Notifier that can also post one digest of many alert
// changes, for a storm.
type Digester interface {
	Digest(ctx context.Context, channel string, changes []alert.Alert) error
}

// stormSize is how many changes for one route in one read make a storm:
// past it, the route gets one digest instead of a message per change, so
// a burst never outruns the channel's rate and every change is still
// counted in a post or a digest.
const stormSize = 25

// digest posts one digest per route that a batch storms, and returns the
// (route, alert id, revision) it covered, to skip one by one.
func (d *Dispatcher) digest(ctx context.Context, batch []*alert.Alert) (map[string]bool, error) {
	covered := map[string]bool{}
	for _, r := range d.Routes {
		dg, ok := d.Notifiers[r.Platform].(Digester)
		if !ok {
			continue
		}
		var storm []alert.Alert
		for _, a := range batch {
			if a == nil || (r.Match != nil && !r.Match(*a)) {
				continue
			}
			if d.Mute != nil {
				if muted, err := d.Mute(ctx, *a); err != nil || muted {
					continue
				}
			}
			storm = append(storm, *a)
		}
		if len(storm) <= stormSize {
			continue
		}
		if err := dg.Digest(ctx, r.Channel, storm); err != nil {
			if retry, _ := Retryable(err); retry {
				return nil, fmt.Errorf("%s: digest: %w", r.name(), err)
			}
			d.Log.Error("digest refused by chat; sending one by one", "route", r.name(), "changes", len(storm), "err", err)
			continue
		}
		for _, a := range storm {
			covered[digestKey(r, a)] = true
		}
		if d.Sent != nil {
			d.Sent.WithLabelValues(r.Platform, "digested").Add(float64(len(storm)))
		}
		d.Log.Info("storm: sent a digest instead of one message per change", "route", r.name(), "changes", len(storm))
	}
	return covered, nil
}

// queue puts an info change on its route's digest queue when the route
// digests info and the alert has no message of this episode to edit.
func (d *Dispatcher) queue(ctx context.Context, r Route, n Notifier, a alert.Alert) (bool, error) {
	if _, ok := n.(Digester); !ok || d.InfoDigest <= 0 || a.Tier != score.Info {
		return false, nil
	}
	last, err := d.St.LastSent(ctx, r.name(), a.Fingerprint)
	if err != nil {
		return false, err
	}
	if last != nil && last.Episode == a.Episode {
		return false, nil
	}
	rec, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	if err := d.St.QueueDigest(ctx, r.name(), rec); err != nil {
		return false, err
	}
	d.count(r.Platform, "queued")
	return true, nil
}

// RunDigests posts each route's queued info changes as one digest every
// InfoDigest, until ctx ends. Replicas take turns by a lease per route and
// interval; taking the queue is atomic, so a change is in one digest.
func (d *Dispatcher) RunDigests(ctx context.Context) error {
	if d.InfoDigest <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(d.InfoDigest)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			for _, r := range d.Routes {
				if err := d.FlushDigest(ctx, r); err != nil && ctx.Err() == nil {
					d.Log.Warn("info digest not posted yet", "route", r.name(), "err", err)
				}
			}
		}
	}
}

// FlushDigest posts route's queued info changes as one digest, the latest
// revision of each alert that has no message of its own, unless another
// replica did within the interval.
func (d *Dispatcher) FlushDigest(ctx context.Context, r Route) error {
	dg, ok := d.Notifiers[r.Platform].(Digester)
	if !ok {
		return nil
	}
	lease := d.St.Keys().DigestQueue(r.name()) + ":lease"
	if got, err := d.St.Lock(ctx, lease, d.Consumer, d.InfoDigest*9/10); err != nil || !got {
		return err
	}
	recs, err := d.St.TakeDigest(ctx, r.name())
	if err != nil || len(recs) == 0 {
		return err
	}
	latest := map[string]int{}
	var changes []alert.Alert
	for _, rec := range recs {
		var a alert.Alert
		if err := json.Unmarshal(rec, &a); err != nil {
			d.Log.Error("digest queue entry is not an alert; dropped", "route", r.name(), "err", err)
			continue
		}
		if i, ok := latest[a.ID]; ok {
			if a.Revision >= changes[i].Revision {
				changes[i] = a
			}
			continue
		}
		latest[a.ID] = len(changes)
		changes = append(changes, a)
	}
	// An alert that got a message of its own since (it grew louder) is
	// told there, not in the digest.
	kept := changes[:0]
	for _, a := range changes {
		last, err := d.St.LastSent(ctx, r.name(), a.Fingerprint)
		if err != nil {
			return errors.Join(err, d.St.RequeueDigest(context.WithoutCancel(ctx), r.name(), recs))
		}
		if last == nil || last.Episode != a.Episode {
			kept = append(kept, a)
		}
	}
	changes = kept
	if len(changes) == 0 {
		return nil
	}
	if err := d.pace(ctx, r); err != nil {
		return errors.Join(err, d.St.RequeueDigest(context.WithoutCancel(ctx), r.name(), recs))
	}
	if err := dg.Digest(ctx, r.Channel, changes); err != nil {
		if retry, _ := Retryable(err); retry {
			return errors.Join(err, d.St.RequeueDigest(context.WithoutCancel(ctx), r.name(), recs))
		}
		d.count(r.Platform, "failed")
		d.Log.Error("info digest refused by chat", "route", r.name(), "changes", len(changes), "err", err)
		return nil
	}
	if d.Sent != nil {
		d.Sent.WithLabelValues(r.Platform, "digested").Add(float64(len(changes)))
	}
	return nil
}

func digestKey(r Route, a alert.Alert) string {
	return r.name() + "|" + a.ID + "|" + fmt.Sprint(a.Revision)
}

func (d *Dispatcher) deliverRoutes(ctx context.Context, a alert.Alert, digested map[string]bool) error {
	if d.Mute != nil {
		muted, err := d.Mute(ctx, a)
		if err != nil {
			return err
		}
		if muted {
			d.count("all", "muted")
			return nil
		}
	}
	summaries := map[string]string{}
	for _, r := range d.Routes {
		if r.Match != nil && !r.Match(a) {
			continue
		}
		if digested[digestKey(r, a)] {
			continue
		}
		n := d.Notifiers[r.Platform]
		if n == nil {
			continue
		}
		if queued, err := d.queue(ctx, r, n, a); err != nil || queued {
			if err != nil {
				return fmt.Errorf("%s: %w", r.name(), err)
			}
			continue
		}
		if err := d.deliver(ctx, r, n, a, summaries); err != nil {
			return fmt.Errorf("%s: %w", r.name(), err)
		}
	}
	return nil
}

// deliver sends one change to one route. summaries holds the summaries
// of this change already written, by role, so routes read by the same
// role share one (a model call each would be work done twice).
func (d *Dispatcher) deliver(ctx context.Context, r Route, n Notifier, a alert.Alert, summaries map[string]string) error {
	lock := d.St.Keys().NotifyLock(r.name() + "|" + a.Fingerprint)
	got, err := d.St.Lock(ctx, lock, d.Consumer, time.Minute)
	if err != nil {
		return err
	}
	if !got {
		return fmt.Errorf("alert %s is being sent by another replica", a.ID)
	}
	defer d.St.Unlock(context.WithoutCancel(ctx), lock, d.Consumer)

	last, err := d.St.LastSent(ctx, r.name(), a.Fingerprint)
	if err != nil {
		return err
	}
	var prev *Ref
	if last != nil && last.Episode == a.Episode {
		if last.Revision >= a.Revision {
			d.count(r.Platform, "duplicate")
			return nil // already shown, or a newer revision is
		}
		prev = new(Ref)
		if err := json.Unmarshal(last.Record, prev); err != nil {
			prev = nil // an unreadable reference: post anew rather than lose the change
		}
	}
	if d.Summarize != nil {
		sum, ok := summaries[r.Role]
		if !ok {
			sum = d.Summarize(ctx, a, r.Role)
			summaries[r.Role] = sum
		}
		a.Summary = sum
	}
	attempts := max(d.Attempts, 1)
	for i := 0; ; i++ {
		if err := d.pace(ctx, r); err != nil {
			return err
		}
		ref, err := n.Notify(ctx, r.Channel, a, prev)
		if err == nil {
			rec, _ := json.Marshal(ref)
			if _, err := d.St.RecordSent(ctx, r.name(), a.Fingerprint, a.Episode, a.Revision, rec); err != nil {
				return err
			}
			d.count(r.Platform, "sent")
			return nil
		}
		retry, after := Retryable(err)
		if !retry && prev != nil {
			// The message to edit is gone (deleted by someone) or cannot
			// be edited: post the alert afresh rather than lose the change.
			d.Log.Warn("could not edit the alert's message; posting it again", "route", r.name(), "alert", a.ID, "err", err)
			prev = nil
			continue
		}
		if !retry {
			// Counted and logged, never silent; retrying cannot help.
			d.count(r.Platform, "failed")
			d.Log.Error("alert change refused by chat", "route", r.name(), "alert", a.ID, "revision", a.Revision, "err", err)
			return nil
		}
		if i+1 >= attempts {
			d.count(r.Platform, "deferred")
			return err
		}
		if after <= 0 {
			after = time.Duration(1<<i) * time.Second
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(after):
		}
	}
}

// pace waits until the route may send again under Pace. The slot is
// reserved in Redis, so replicas sharing a channel share its pace; if
// Redis cannot say, this replica paces alone rather than stall.
func (d *Dispatcher) pace(ctx context.Context, r Route) error {
	gap := d.Pace[r.Platform]
	if gap <= 0 {
		return nil
	}
	if d.last == nil {
		d.last = map[string]time.Time{}
	}
	wait, err := d.St.ReserveSend(ctx, r.name(), gap)
	if err != nil {
		d.Log.Warn("pacing this replica alone", "route", r.name(), "err", err)
		wait = time.Until(d.last[r.name()].Add(gap))
	}
	if wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	d.last[r.name()] = time.Now()
	return nil
}

func (d *Dispatcher) count(platform, result string) {
	if d.Sent != nil {
		d.Sent.WithLabelValues(platform, result).Inc()
	}
}
