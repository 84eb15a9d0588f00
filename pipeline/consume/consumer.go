package consume

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
	"github.com/quartermaster-ops/quartermaster/store"
)

// Config tunes a Consumer. Defaults come from the policy file.
type Config struct {
	Group         string
	Consumer      string // this process's name in the group; stable across restarts
	BatchSize     int
	Block         time.Duration
	ClaimMinIdle  time.Duration
	ClaimInterval time.Duration
	MaxDeliveries int64
}

// AppliedFunc is told, after a batch is acknowledged, what it applied:
// which stock positions changed and by which events, and the
// acknowledgements other systems sent. It must not block for long.
type AppliedFunc func(ctx context.Context, out Outcome)

// Consumer reads the event stream in a consumer group until its context
// ends. Create it with NewConsumer; Run owns its one goroutine of work.
type Consumer struct {
	st      *store.Store
	proc    *Processor
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	applied AppliedFunc
	now     func() time.Time

	consuming atomic.Bool
	caughtUp  atomic.Bool
}

// NewConsumer returns a consumer writing through st. metrics may be nil.
func NewConsumer(st *store.Store, cfg Config, log *slog.Logger, metrics *Metrics, applied AppliedFunc, now func() time.Time) *Consumer {
	if applied == nil {
		applied = func(context.Context, Outcome) {}
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	return &Consumer{
		st: st, proc: NewProcessor(st, cfg.Consumer, now), cfg: cfg, log: log,
		metrics: metrics, applied: applied, now: now,
	}
}

// Consuming reports whether the consumer has joined its group and its last
// read succeeded; /readyz uses it.
func (c *Consumer) Consuming() bool { return c.consuming.Load() }

// CaughtUp reports whether the last read found less than a full batch: the
// consumer is not working through a backlog. Detection waits for it, so a
// restart or a bulk import does not raise alerts on half-loaded state.
func (c *Consumer) CaughtUp() bool { return c.caughtUp.Load() }

// Run consumes until ctx ends, then returns nil. Redis errors are retried
// with exponential backoff (100ms to 10s); nothing is acknowledged that was
// not applied or quarantined.
func (c *Consumer) Run(ctx context.Context) error {
	bo := backoff{min: 100 * time.Millisecond, max: 10 * time.Second}
	for {
		err := c.session(ctx)
		c.consuming.Store(false)
		c.caughtUp.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		d := bo.next()
		c.metrics.Errors.WithLabelValues("consume").Inc()
		c.log.Warn("event consumer interrupted, retrying", "err", err, "in", d)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
		if err == nil {
			bo.reset()
		}
	}
}

// session runs one connected stretch: join the group, finish this
// consumer's own pending entries, then read new ones, claiming abandoned
// entries every ClaimInterval. It returns on the first Redis error.
func (c *Consumer) session(ctx context.Context) error {
	if err := c.st.LoadScripts(ctx); err != nil {
		return err
	}
	if err := c.st.EnsureGroup(ctx, c.cfg.Group); err != nil {
		return err
	}
	if err := c.drainOwn(ctx); err != nil {
		return err
	}
	c.consuming.Store(true)
	return c.stream(ctx)
}

// stream reads and prepares the next batch while the previous one
// commits, so the bot's decoding and Redis's script time overlap. The
// reader goroutine is owned here: stream cancels it and waits for it.
func (c *Consumer) stream(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prepared := make(chan *Batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(prepared)
		readErr <- c.readAhead(ctx, prepared)
	}()
	var err error
	for b := range prepared {
		if err = c.commit(ctx, b); err != nil {
			cancel()
			break
		}
	}
	for range prepared {
		// Let the reader finish; batches it prepared stay pending and are
		// re-read by the next session.
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return err
}

// readAhead reads new entries, claims abandoned ones every ClaimInterval,
// and sends prepared batches until ctx ends or Redis fails.
func (c *Consumer) readAhead(ctx context.Context, out chan<- *Batch) error {
	nextClaim := time.Now()
	for ctx.Err() == nil {
		if time.Now().After(nextClaim) {
			if err := c.claim(ctx); err != nil {
				return err
			}
			nextClaim = time.Now().Add(c.cfg.ClaimInterval)
		}
		entries, err := c.st.ReadGroup(ctx, c.cfg.Group, c.cfg.Consumer, c.cfg.BatchSize, c.cfg.Block)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		caught := len(entries) < c.cfg.BatchSize
		if caught && !c.caughtUp.Load() {
			c.log.Info("caught up with the event stream", "consumer", c.cfg.Consumer)
		}
		c.caughtUp.Store(caught)
		if len(entries) == 0 {
			continue
		}
		b, err := c.proc.Prepare(ctx, entries)
		if err != nil {
			return err
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// drainOwn re-reads entries delivered to this consumer before a restart or
// a Redis error and not yet acknowledged, once each, poisoning the ones
// delivered too often. Entries that fail again stay pending for claim.
func (c *Consumer) drainOwn(ctx context.Context) error {
	after := "0"
	for ctx.Err() == nil {
		entries, err := c.st.ReadGroupFrom(ctx, c.cfg.Group, c.cfg.Consumer, c.cfg.BatchSize, after)
		if err != nil || len(entries) == 0 {
			return err
		}
		after = entries[len(entries)-1].ID
		entries, err = c.poison(ctx, entries)
		if err != nil {
			return err
		}
		if err := c.handle(ctx, entries); err != nil {
			return err
		}
	}
	return nil
}

// claim takes over entries abandoned by other consumers (or failed here)
// and handles them.
func (c *Consumer) claim(ctx context.Context) error {
	entries, err := c.st.Claim(ctx, c.cfg.Group, c.cfg.Consumer, c.cfg.ClaimMinIdle, 10*c.cfg.BatchSize)
	if err != nil || len(entries) == 0 {
		return err
	}
	c.metrics.Claimed.Add(float64(len(entries)))
	c.log.Info("claimed abandoned events", "count", len(entries))
	entries, err = c.poison(ctx, entries)
	if err != nil {
		return err
	}
	for len(entries) > 0 {
		n := min(len(entries), c.cfg.BatchSize)
		if err := c.handle(ctx, entries[:n]); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}

// poison quarantines entries delivered more than MaxDeliveries times and
// returns the rest. Such an entry failed every time it was processed; it
// must not block the group forever.
func (c *Consumer) poison(ctx context.Context, entries []store.Entry) ([]store.Entry, error) {
	if c.cfg.MaxDeliveries <= 0 || len(entries) == 0 {
		return entries, nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	sort.Slice(ids, func(i, j int) bool { return lessID(ids[i], ids[j]) })
	counts, err := c.st.Deliveries(ctx, c.cfg.Group, c.cfg.Consumer, ids[0], ids[len(ids)-1], len(ids)+100)
	if err != nil {
		return nil, err
	}
	var keep []store.Entry
	var bad []store.Quarantined
	var badIDs []string
	var feeds []store.FeedEntry
	for _, e := range entries {
		if n := counts[e.ID]; n > c.cfg.MaxDeliveries {
			src := store.FeedSource(rawSource(e.Body))
			bad = append(bad, store.Quarantined{Entry: e.ID, Reason: string(event.ReasonPoison),
				Detail: fmt.Sprintf("delivered %d times without being processed", n), Raw: e.Body, At: c.now(), Consumer: c.cfg.Consumer, Source: src})
			feeds = append(feeds, store.FeedEntry{Source: src, Arrived: e.Arrived, Status: store.FeedQuarantined, Reason: string(event.ReasonPoison)})
			badIDs = append(badIDs, e.ID)
			continue
		}
		keep = append(keep, e)
	}
	if len(bad) > 0 {
		if err := c.st.Settle(ctx, bad, feeds); err != nil {
			return nil, err
		}
		if err := c.st.Ack(ctx, c.cfg.Group, badIDs...); err != nil {
			return nil, err
		}
		c.metrics.Quarantined.WithLabelValues(string(event.ReasonPoison)).Add(float64(len(bad)))
		c.log.Warn("quarantined poison events", "count", len(bad), "first", badIDs[0])
	}
	return keep, nil
}

// handle processes one batch at once: prepare, then commit.
func (c *Consumer) handle(ctx context.Context, entries []store.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	b, err := c.proc.Prepare(ctx, entries)
	if err != nil {
		return err
	}
	return c.commit(ctx, b)
}

// commit applies a prepared batch, quarantines what it refused and counts
// it by source, then acknowledges what is durable.
func (c *Consumer) commit(ctx context.Context, b *Batch) error {
	start := time.Now()
	out, err := c.proc.Commit(ctx, b)
	if err != nil {
		return err
	}
	if out, err = c.deferReferential(ctx, out); err != nil {
		return err
	}
	// The quarantine records and the feed statistics go in one round trip.
	if err := c.st.Settle(ctx, out.Quarantine, feedEntries(b, out)); err != nil {
		return err
	}
	ack := out.Done
	for _, q := range out.Quarantine {
		ack = append(ack, q.Entry)
	}
	if err := c.st.Ack(ctx, c.cfg.Group, ack...); err != nil {
		return err
	}
	c.observe(b.entries, out, time.Since(start))
	if len(out.Failed) > 0 {
		c.log.Error("events not applied; left pending for retry", "count", len(out.Failed), "first", out.Failed[0])
	}
	c.applied(ctx, out)
	return nil
}

// referenceAttempts is how many deliveries an event with a missing
// reference gets before it is quarantined, when several consumers share the
// group.
const referenceAttempts = 3

// deferReferential leaves events with a missing reference pending, for a
// later retry, instead of quarantining them at once, when other consumers
// share the group: another replica may be applying the master data or PO
// they refer to from an earlier batch of the stream right now. A single
// consumer reads the stream in order, so for it a missing reference is
// final. The retry comes with the claim of idle entries (claim_min_idle).
func (c *Consumer) deferReferential(ctx context.Context, out Outcome) (Outcome, error) {
	var ref []string
	for _, q := range out.Quarantine {
		if event.Reason(q.Reason).Referential() {
			ref = append(ref, q.Entry)
		}
	}
	if len(ref) == 0 {
		return out, nil
	}
	n, err := c.st.Consumers(ctx, c.cfg.Group)
	if err != nil || n < 2 {
		return out, err
	}
	sort.Slice(ref, func(i, j int) bool { return lessID(ref[i], ref[j]) })
	counts, err := c.st.Deliveries(ctx, c.cfg.Group, c.cfg.Consumer, ref[0], ref[len(ref)-1], len(ref)+c.cfg.BatchSize)
	if err != nil {
		return out, err
	}
	keep := out.Quarantine[:0:0]
	for _, q := range out.Quarantine {
		if event.Reason(q.Reason).Referential() && counts[q.Entry] < referenceAttempts {
			out.Deferred = append(out.Deferred, q.Entry)
			continue
		}
		keep = append(keep, q)
	}
	out.Quarantine = keep
	return out, nil
}

func (c *Consumer) observe(entries []store.Entry, out Outcome, took time.Duration) {
	m := c.metrics
	m.Batch.Observe(took.Seconds())
	for typ, n := range out.Applied {
		m.Consumed.WithLabelValues(string(typ)).Add(float64(n))
	}
	m.Duplicates.Add(float64(out.Duplicates))
	for _, q := range out.Quarantine {
		m.Quarantined.WithLabelValues(q.Reason).Inc()
	}
	m.Failed.Add(float64(len(out.Failed)))
	m.Deferred.Add(float64(len(out.Deferred)))
	now := c.now()
	for _, e := range entries {
		if age := now.Sub(e.Arrived); age >= 0 {
			m.Age.Observe(age.Seconds())
		}
	}
}

// lessID orders stream ids ("ms-seq") numerically.
func lessID(a, b string) bool {
	at, bt := store.IDTime(a), store.IDTime(b)
	if !at.Equal(bt) {
		return at.Before(bt)
	}
	return seqOf(a) < seqOf(b)
}

func seqOf(id string) int64 {
	var ms, seq int64
	fmt.Sscanf(id, "%d-%d", &ms, &seq)
	return seq
}

type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
