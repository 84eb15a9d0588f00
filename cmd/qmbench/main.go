// Command qmbench measures how fast a running Quartermaster takes in events
// and how soon they turn into alerts, next to plain Redis doing comparable
// work, so that throughput claims come with a figure anyone can reproduce.
//
// Usage, from the module root:
//
//	go run ./cmd/qmbench [-n 200000] [--seed 1] [--batch-size 500] [--replicas 1]
//	                     [--rate 0] [--raw=true] [--bin PATH] [--json] [--timeout 10m]
//
// It generates N events with the built-in simulation (pipeline/sim: the
// master data and history of Backfill, then simulated days of Advance),
// starts `quartermaster run` (built from ./cmd/quartermaster unless --bin
// names a binary) with a policy file of its own, appends the events to the
// bot's event stream in pipelines of 1000 and reports:
//
//   - append: events per second the bench appended while the bot consumed;
//   - quartermaster: events per second from the first append until the
//     consumer group has lag 0 and pending 0 (polled every 20ms), that is
//     until every event was applied or quarantined and acknowledged;
//   - raw redis: the same events with no Quartermaster: XADD pipelines of
//     1000 into a fresh stream, consumers doing XREADGROUP COUNT 500, two
//     HSET per entry in one pipeline, then XACK, measured the same way (off
//     with --raw=false);
//   - alert latency: for every alert revision on the alert stream that names
//     trigger events, the time from the append of its latest trigger to the
//     revision's entry on the stream, as percentiles by nearest rank.
//     Revisions without triggers (periodic sweeps) are counted apart.
//
// By default the events are appended as fast as Redis takes them, a burst
// that the bot works through as a backlog. Its detector waits until the
// consumer has caught up before it judges positions, so the latency of a
// burst is mostly the time to drain it. --rate R appends at most R events a
// second to the bot instead (the raw baseline is never paced): below the
// bot's capacity that gives the latency of a steady stream, and the
// quartermaster figure is then the pace, not the capacity.
//
// Entry ids of the events are stamped with the wall clock at append time, so
// the bot's checks of event time and the latencies are real. The simulation
// is placed in time so that the last of the N events arrives within the week
// before now, which keeps the bot's trailing demand window full.
//
// Redis: with REDIS_URL set, the bench writes to that server under a fresh
// key prefix (qmbench<unix>:) and deletes those keys at the end, so point it
// only at a server you are fine to load; without it, the bench starts a
// private redis-server on a free loopback port and stops it at the end. The
// bots get no chat or LLM credentials from the environment, so a benchmark
// never posts anywhere. --timeout bounds the whole run.
//
// The figures go to stdout (one line, or JSON with --json); progress goes to
// stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) }

// run parses args, runs the benchmark and prints its figures. It returns
// the exit code: 0 on success, 1 when the benchmark failed, 2 for bad usage.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	say := func(format string, args ...any) { fmt.Fprintf(stderr, "qmbench: "+format+"\n", args...) }
	res, err := bench(ctx, o, getenv, say)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("gave up after --timeout %s: %w", o.timeout, err)
		}
		fmt.Fprintln(stderr, "qmbench:", err)
		return 1
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, "qmbench: write figures:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// options are the command line.
type options struct {
	n         int
	seed      uint64
	batchSize int
	replicas  int
	rate      float64
	raw       bool
	bin       string
	json      bool
	timeout   time.Duration
}

// Limits on the flags. The events are generated and held in memory before
// the timing starts, so that the simulation's own cost is not measured;
// maxEvents keeps that within a few gigabytes.
const (
	maxEvents   = 5_000_000
	maxReplicas = 8
	maxBatch    = 10000 // the bot's own limit on ingest.batch_size
)

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("qmbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./cmd/qmbench [flags]")
		fmt.Fprintln(stderr, "Pushes N simulated events through `quartermaster run` and reports events per second,")
		fmt.Fprintln(stderr, "event-to-alert latency and the raw Redis figure for comparable work. See go doc ./cmd/qmbench.")
		fs.PrintDefaults()
	}
	fs.IntVar(&o.n, "n", 200000, "events to push through")
	fs.Uint64Var(&o.seed, "seed", 1, "simulation seed: the same seed gives the same events")
	fs.IntVar(&o.batchSize, "batch-size", 500, "the bot's ingest.batch_size (entries per XREADGROUP)")
	fs.IntVar(&o.replicas, "replicas", 1, "bot processes sharing the consumer group (and raw consumers)")
	fs.Float64Var(&o.rate, "rate", 0, "append at most this many events a second to the bot (0: as fast as possible); for latency below capacity")
	fs.BoolVar(&o.raw, "raw", true, "also measure plain Redis doing comparable work")
	fs.StringVar(&o.bin, "bin", "", "quartermaster binary to run; built from ./cmd/quartermaster when empty")
	fs.BoolVar(&o.json, "json", false, "print the figures as JSON")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up and clean up after this long")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.n < 1 || o.n > maxEvents:
		err = fmt.Errorf("-n %d: want 1 to %d", o.n, maxEvents)
	case o.batchSize < 1 || o.batchSize > maxBatch:
		err = fmt.Errorf("--batch-size %d: want 1 to %d", o.batchSize, maxBatch)
	case o.replicas < 1 || o.replicas > maxReplicas:
		err = fmt.Errorf("--replicas %d: want 1 to %d", o.replicas, maxReplicas)
	case !(o.rate >= 0): // also rejects NaN
		err = fmt.Errorf("--rate %v: want 0 or more", o.rate)
	case o.timeout <= 0:
		err = fmt.Errorf("--timeout %s: want more than 0", o.timeout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "qmbench:", err)
	}
	return o, err
}
