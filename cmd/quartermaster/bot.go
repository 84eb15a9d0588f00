package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/discord"
	"github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/pipeline/sim"
)

func newRun(g *globals) *cobra.Command {
	var listen, consumer string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the bot against the configured Redis and chat platforms",
		Long: `Run consumes qm:events in the consumer group, keeps state, raises alerts
and serves the HTTP API (POST /v1/events, /healthz, /readyz, /metrics).
Run several replicas with distinct --consumer names to share the work.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBot(cmd.Context(), g, botOptions{listen: listen, consumer: consumer})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	cmd.Flags().StringVar(&consumer, "consumer", defaultConsumer(), "this replica's name in the consumer group; keep it stable across restarts")
	return cmd
}

func newDemo(g *globals) *cobra.Command {
	var o botOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole bot on a built-in supply-chain simulation, no keys needed",
		Long: `Demo runs a seeded simulation of a supply network (200 SKUs at 5 sites in
2 regions) at accelerated time through the whole bot: an embedded Redis
(unless REDIS_URL is set), the event consumer, stockout projection and
alerts printed on the console. The simulation includes a port delay, a
supplier slip, a demand spike and a feed that sends bad records.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.demo = true
			return runBot(cmd.Context(), g, o)
		},
	}
	cmd.Flags().DurationVar(&o.duration, "duration", 0, "exit after this long (for example 2m); runs until interrupted when 0")
	cmd.Flags().Uint64Var(&o.seed, "seed", 1, "simulation seed: the same seed gives the same events")
	cmd.Flags().Float64Var(&o.speed, "speed", 3600, "simulated seconds per real second")
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "HTTP listen address; empty for none")
	cmd.Flags().StringVar(&o.consumer, "consumer", "demo", "consumer name")
	return cmd
}

type botOptions struct {
	demo     bool
	duration time.Duration
	seed     uint64
	speed    float64
	listen   string
	consumer string
}

func runBot(ctx context.Context, g *globals, o botOptions) error {
	cfg, err := g.load()
	if err != nil {
		return err
	}
	env := g.env()
	log, err := g.logger()
	if err != nil {
		return err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	rdb, desc, closeRedis, err := connect(ctx, env.RedisURL, true, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	say(g, startupLines(env, desc))

	now := time.Now
	var producer *app.Producer
	if o.demo {
		s := sim.New(sim.Config{Seed: o.seed, Start: time.Now().UTC(), HistoryDays: 30, PortDelayAfter: demoPortDelay(o.speed)})
		clock := app.NewSimClock(s.Start())
		now = clock.Now
		app.Banner(g.stdout, s, o.speed)
		// The demo re-evaluates often: simulated time runs fast.
		cfg.Stock.SweepInterval = config.Duration(5 * time.Second)
		cfg.Ingest.Block = config.Duration(200 * time.Millisecond)
		// Alerts are held on the simulated clock: two sweeps' worth, so a
		// supplier's group is raised before its members are due.
		cfg.Alerts.GroupWait = config.Duration(time.Duration(2 * 5 * o.speed * float64(time.Second)))
		// Learn the feeds' rhythm over the simulation's first day and a
		// half (its history is thinner than a live feed's). A sweep every 5
		// real seconds is 5 simulated hours, so the default 3-hour quality
		// window sees a broken feed on at least one sweep while it is
		// broken, without the morning's snapshot burst diluting it.
		cfg.Feeds.LearnFor = config.Duration(36 * time.Hour)
		producer = &app.Producer{Sim: s, Clock: clock, Speed: o.speed}
	}
	notifiers, err := chatNotifiers(env, log)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{
		Config: cfg, Env: env, Redis: rdb, Listen: o.listen, Consumer: o.consumer,
		Now: now, Out: g.stdout, Log: log, Notifiers: notifiers,
	})
	if err != nil {
		return err
	}
	if producer != nil {
		producer.Store = a.Store
		n, err := producer.Backfill(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "simulation: %d records of master data and history appended; live events follow\n", n)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx) }()
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		if producer == nil {
			return
		}
		if err := producer.Run(ctx); err != nil {
			log.Error("demo producer stopped", "err", err)
		}
	}()
	if o.listen != "" {
		fmt.Fprintf(g.stderr, "quartermaster: http on %s (/healthz /readyz /metrics /v1/events /v1/ask)\n", o.listen)
	}
	err = <-runErr
	<-produced
	if err == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		fmt.Fprintf(g.stderr, "quartermaster: stopped after %s\n", o.duration)
		if producer != nil {
			// The demo ends as a planner's day begins: with the briefing.
			bctx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer done()
			text, err := a.Briefing(bctx, config.RolePlanner)
			if err != nil {
				return fmt.Errorf("briefing: %w", err)
			}
			fmt.Fprintf(g.stdout, "\n=== daily briefing for planners, as of %s (simulated) ===\n%s\n", now().Format("Jan 02 15:04"), text)
		}
	}
	return err
}

// demoPortDelay places the critical scenario's port delay a few real
// seconds into the demo, whatever the speed.
func demoPortDelay(speed float64) time.Duration {
	return time.Duration(5 * speed * float64(time.Second))
}

// chatNotifiers builds a notifier for each chat platform with a token.
func chatNotifiers(env config.Env, log *slog.Logger) ([]app.PlatformNotifier, error) {
	var out []app.PlatformNotifier
	if env.SlackBotToken != "" {
		opts := []slack.Option{slack.WithLogger(log)}
		if env.SlackAPIURL != "" {
			opts = append(opts, slack.WithAPIURL(env.SlackAPIURL))
		}
		out = append(out, app.PlatformNotifier{Platform: config.PlatformSlack, Notifier: slack.New(env.SlackBotToken, opts...)})
	}
	if env.DiscordBotToken != "" {
		n, err := discord.New(env.DiscordBotToken, discord.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("discord: %w", err)
		}
		out = append(out, app.PlatformNotifier{Platform: config.PlatformDiscord, Notifier: n})
	}
	return out, nil
}

func startupLines(env config.Env, redisDesc string) []string {
	lines := []string{"redis: " + redisDesc}
	for _, l := range env.Summary() {
		if strings.HasPrefix(l, "redis:") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func say(g *globals, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(g.stderr, "quartermaster:", l)
	}
}

func defaultConsumer() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "quartermaster"
	}
	return h
}
