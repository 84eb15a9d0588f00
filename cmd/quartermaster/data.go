package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/intake"
	"github.com/quartermaster-ops/quartermaster/store"
)

func newIngest(g *globals) *cobra.Command {
	var format string
	var batch int
	cmd := &cobra.Command{
		Use:   "ingest FILE",
		Short: "Append events from a JSONL or CSV file (or - for stdin) to the event stream",
		Long: `Ingest appends the events of FILE to qm:events, where the bot validates
them like any other event: bad records are quarantined with a reason.
Lines that are not even JSON objects (or CSV rows that cannot be read) are
reported with their line numbers and not appended.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			stats, err := intake.ImportFile(ctx, st, args[0], intake.ImportOptions{
				Format: intake.Format(format), BatchSize: batch, Progress: os.Stderr,
			})
			fmt.Fprintf(g.stdout, "%d lines read, %d events appended to %s, %d rejected\n",
				stats.Lines, stats.Appended, st.Keys().Events(), stats.Rejected)
			for _, e := range stats.Errors {
				fmt.Fprintf(g.stdout, "  %v\n", &e)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "jsonl or csv; default from the file's extension")
	cmd.Flags().IntVar(&batch, "batch", 1000, "events per append round trip")
	return cmd
}

func newReplay(g *globals) *cobra.Command {
	var activate bool
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Rebuild all state from the raw event stream into a fresh generation",
		Long: `Replay reads qm:events from the start and applies every event, through the
same validation and apply code as the live consumer, into a new state
generation beside the live one. With --activate it then points the bot at
the new generation; stop the bots first and start them after, since they
read the generation at start-up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			gen := st.Keys().Generation() + 1
			dst := st.WithGeneration(gen)
			if n, err := dst.Clear(ctx); err != nil {
				return err
			} else if n > 0 {
				fmt.Fprintf(g.stderr, "replay: cleared %d keys left in generation %d by an earlier replay\n", n, gen)
			}
			start := time.Now()
			stats, err := consume.Replay(ctx, dst, 1000, func(s consume.ReplayStats) {
				fmt.Fprintf(g.stderr, "\rreplay: %d entries", s.Entries)
			})
			fmt.Fprintln(g.stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "rebuilt generation %d from %d entries in %s: %d applied, %d duplicates, %d refused, %d failed\n",
				gen, stats.Entries, time.Since(start).Round(time.Millisecond), stats.Applied, stats.Duplicates, stats.Refused, stats.Failed)
			if !activate {
				fmt.Fprintf(g.stdout, "generation %d is still in use; run with --activate to switch\n", st.Keys().Generation())
				return nil
			}
			if err := st.SetGeneration(ctx, gen); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "generation %d is now in use; restart the bots\n", gen)
			return nil
		},
	}
	cmd.Flags().BoolVar(&activate, "activate", false, "switch the bots to the rebuilt generation")
	return cmd
}

func newQuarantine(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Show or re-submit quarantined events",
	}
	var reason, source string
	var limit int64
	list := &cobra.Command{
		Use:   "list",
		Short: "List quarantined events with their reasons",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			recs, err := st.QuarantineList(cmd.Context(), "", limit)
			if err != nil {
				return err
			}
			n := 0
			for _, q := range recs {
				if reason != "" && q.Reason != reason || source != "" && q.Source != source {
					continue
				}
				n++
				field := ""
				if q.Field != "" {
					field = " " + q.Field
				}
				from := ""
				if q.Source != "" {
					from = "  from " + q.Source
				}
				fmt.Fprintf(g.stdout, "%s  %-18s%s: %s%s\n    %s\n", q.ID, q.Reason, field, q.Detail, from, clip(string(q.Raw), 200))
			}
			fmt.Fprintf(g.stdout, "%d quarantined events shown\n", n)
			return nil
		},
	}
	list.Flags().StringVar(&reason, "reason", "", "only this reason code")
	list.Flags().StringVar(&source, "source", "", "only records from this source (a data_quality alert names it)")
	list.Flags().Int64Var(&limit, "limit", 1000, "read at most this many records")
	var dry bool
	replay := &cobra.Command{
		Use:   "replay",
		Short: "Re-submit quarantined events whose missing reference now exists",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			stats, err := consume.ResubmitQuarantine(cmd.Context(), st, dry, func(q store.Quarantined, outcome string) {
				if outcome == "resubmitted" {
					fmt.Fprintf(g.stdout, "%s  %s  re-submitted\n", q.ID, q.Reason)
				}
			})
			if err != nil {
				return err
			}
			verb := "re-submitted"
			if dry {
				verb = "would re-submit"
			}
			fmt.Fprintf(g.stdout, "%s %d of %d quarantined events; %d still miss their reference, %d were not reference errors, %d were re-submitted before\n",
				verb, stats.Resubmitted, stats.Seen, stats.StillMissing, stats.NotReferential, stats.AlreadyReplayed)
			return nil
		},
	}
	replay.Flags().BoolVar(&dry, "dry-run", false, "only say what would be re-submitted")
	cmd.AddCommand(list, replay)
	return cmd
}

// openStore connects to REDIS_URL (these commands need the bot's own Redis)
// and opens the state generation in use.
func openStore(cmd *cobra.Command, g *globals) (*store.Store, func(), error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, err
	}
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	rdb, _, done, err := connect(cmd.Context(), g.env().RedisURL, false, log)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(cmd.Context(), rdb, cfg.Prefix, store.Options{DedupeWindow: time.Duration(cfg.Ingest.DedupeWindow)})
	if err != nil {
		done()
		return nil, nil, err
	}
	return st, done, nil
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
