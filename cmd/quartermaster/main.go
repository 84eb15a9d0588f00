// Command quartermaster is the chat-ops bot for supply-chain operations:
// it consumes supply-chain events from Redis Streams, keeps validated state,
// predicts stockouts and posts ranked alerts to chat.
//
// This file holds flags and wiring only; the work is in bot/ and pipeline/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // site time zones resolve the same on every host

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/config"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRoot(os.Stdout, os.Stderr, os.Getenv)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "quartermaster:", err)
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks errors in how the command was called.
type usageError struct{ error }

// globals are the flags and environment every command shares.
type globals struct {
	configPath string
	logLevel   string
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) string
}

func (g *globals) env() config.Env { return config.EnvFrom(g.getenv) }

// load reads the policy file named by --config or QM_CONFIG, or the
// defaults when neither is set.
func (g *globals) load() (config.Config, error) {
	path := g.configPath
	if path == "" {
		path = g.getenv("QM_CONFIG")
	}
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

func (g *globals) logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)}
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: lvl})), nil
}

func newRoot(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:   "quartermaster",
		Short: "Chat-ops for supply-chain operations: from signal to confirmed action",
		Long: strings.TrimSpace(`
Quartermaster consumes supply-chain events (ERP, WMS, TMS, supplier, demand)
from the Redis stream qm:events, keeps validated state, projects stock and
predicts stockouts, and posts ranked, explained alerts to chat.

Secrets and endpoints come from the environment (REDIS_URL, SLACK_BOT_TOKEN,
DISCORD_BOT_TOKEN, OPENAI_API_KEY, QM_INGEST_TOKEN, ...); policy comes from a
YAML file (--config or QM_CONFIG). Start with: quartermaster demo`),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "policy file (YAML); default $QM_CONFIG, else built-in defaults")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "debug, info, warn or error")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newDemo(g), newRun(g), newIngest(g), newReplay(g), newQuarantine(g), newForecast(g), newKPI(g), newWhatIf(g), newAudit(g), newConfig(g), newVersion(g),
		newBrief(g), newAsk(g),
	)
	return root
}

func newConfig(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Check the policy file and print the settings in effect",
		Long: `Config loads the policy file (--config or QM_CONFIG) strictly, as the bot
does at start-up, and prints every setting in effect, defaults included, and
the environment's choices with secrets redacted. It exits non-zero on the
first mistake, naming its line and key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			fmt.Fprint(g.stdout, cfg.String())
			for _, l := range g.env().Summary() {
				fmt.Fprintln(g.stdout, "# "+l)
			}
			return nil
		},
	}
}

func newVersion(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(g.stdout, "quartermaster", version)
		},
	}
}
