package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/store"
)

// sayFunc writes one line of progress to stderr; stdout carries only the
// figures.
type sayFunc func(format string, args ...any)

// cleanupTimeout bounds clean-up, which runs on a fresh context because the
// run's own may have ended (timeout or interrupt) when it starts.
const cleanupTimeout = 30 * time.Second

// bench runs the whole benchmark and cleans up after it, whatever happens.
func bench(ctx context.Context, o options, getenv func(string) string, say sayFunc) (res result, err error) {
	began := time.Now()
	tmp, err := os.MkdirTemp("", "qmbench")
	if err != nil {
		return res, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	prefix := fmt.Sprintf("qmbench%d:", began.Unix())
	rd, err := openRedis(ctx, getenv("REDIS_URL"), prefix)
	if err != nil {
		return res, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		err = errors.Join(err, rd.close(cctx, say))
	}()
	say("redis: %s; key prefix %s", rd.desc, prefix)

	t := time.Now()
	w, err := generate(ctx, o.seed, o.n, began)
	if err != nil {
		return res, err
	}
	say("generated %d events in %s (simulation seed %d from %s; last arrival %s)",
		len(w.bodies), time.Since(t).Round(time.Millisecond), o.seed,
		w.simStart.Format(time.DateOnly), w.lastArrival.Format(time.DateTime))

	bin := o.bin
	if bin == "" {
		t = time.Now()
		if bin, err = buildQuartermaster(ctx, tmp); err != nil {
			return res, err
		}
		say("built quartermaster in %s", time.Since(t).Round(time.Millisecond))
	}

	res = result{
		Events: o.n, Seed: o.seed, Replicas: o.replicas, BatchSize: o.batchSize,
		CPUs: runtime.NumCPU(), Redis: rd.desc, SimStart: w.simStart.Format(time.DateOnly), Pace: o.rate,
	}
	b := &benchmark{o: o, say: say, dir: tmp, rd: rd, w: w}
	if err := b.quartermaster(ctx, &res, bin); err != nil {
		return res, err
	}
	if o.raw {
		rt, err := benchRaw(ctx, rd.client, prefix+"raw:", w.bodies, o.replicas)
		if err != nil {
			return res, fmt.Errorf("raw redis: %w", err)
		}
		raw := rt.drainRate(o.n)
		res.Raw = &raw
		res.ShareOfRaw = res.Quartermaster.EventsPerSecond / raw.EventsPerSecond
		say("raw redis: drained in %.2fs", raw.Seconds)
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

// benchmark is what the runs of one bench share.
type benchmark struct {
	o   options
	say sayFunc
	dir string // the bench's temporary directory
	rd  *redisTarget
	w   *workload
}

// quartermaster runs the bots, pushes the events through them, waits for
// the alerts they raise to settle and reads the alert stream. The bots are
// stopped before it returns, so that they do not compete with the raw
// baseline for the CPU.
func (b *benchmark) quartermaster(ctx context.Context, res *result, bin string) error {
	cfg := config.Default()
	cfg.Prefix = b.rd.prefix
	cfg.Ingest.BatchSize = b.o.batchSize
	cfgPath, err := writeConfig(b.dir, cfg)
	if err != nil {
		return err
	}
	f, err := startFleet(bin, cfgPath, b.rd.url, b.o.replicas, b.dir)
	if err != nil {
		return err
	}
	defer func() {
		if err := f.stop(); err != nil {
			// The figures are already taken; a bot that exits badly on
			// SIGTERM is worth a warning, not the loss of the run.
			b.say("warning: %v", err)
		}
	}()
	if err := f.waitReady(ctx, readyLimit); err != nil {
		return err
	}
	for _, r := range f.replicas {
		b.say("%s ready on %s (log %s)", r.name, r.addr, filepath.Base(r.logPath))
	}

	st, err := store.Open(ctx, b.rd.client, cfg.Prefix, store.Options{})
	if err != nil {
		return err
	}
	n := len(b.w.bodies)
	t, err := drive(ctx, func(ctx context.Context) (time.Time, time.Time, error) { return b.w.appendTo(ctx, st, b.o.rate) },
		func(ctx context.Context) (store.GroupInfo, error) { return st.Group(ctx, cfg.Ingest.Group) }, f.exited)
	if err != nil {
		return fmt.Errorf("quartermaster: %w%s", err, f.logTails())
	}
	res.Append, res.Quartermaster = t.appendRate(n), t.drainRate(n)
	m, err := f.counts(ctx, metricConsumed, metricQuarantined, metricDuplicates, metricFailed)
	if err != nil {
		return err
	}
	res.Applied, res.Quarantined, res.Duplicates = int64(m[metricConsumed]), int64(m[metricQuarantined]), int64(m[metricDuplicates])
	b.say("quartermaster: appended in %.2fs, drained in %.2fs: %d applied, %d quarantined, %d duplicates, %d failed and retried; waiting for alerts to settle",
		res.Append.Seconds, res.Quartermaster.Seconds, res.Applied, res.Quarantined, res.Duplicates, int64(m[metricFailed]))

	// Detection runs off the hot path and waits until a consumer has caught
	// up, which its next read (blocking up to ingest.block) tells it; alert
	// revisions may follow the drain by that long and more.
	quiet := time.Duration(cfg.Ingest.Block) + time.Second
	settled, err := settle(ctx, st, f, quiet, settleLimit)
	if err != nil {
		return fmt.Errorf("quartermaster: %w%s", err, f.logTails())
	}
	if !settled {
		b.say("warning: alerts were still changing after %s; the latency figures count those written so far", settleLimit)
	}
	lat, err := alertLatency(ctx, st, b.w, b.rd.offset)
	if err != nil {
		return err
	}
	res.AlertLatency, res.AlertRevisions = lat.stats, lat.revisions
	res.AlertsWithoutTriggers, res.AlertsUnmatched = lat.untriggered, lat.unmatched
	return nil
}
