package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

func newBrief(g *globals) *cobra.Command {
	var role, chart string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "brief [--as ROLE]",
		Short: "Print the daily briefing",
		Long: `Brief computes the daily briefing from the validated state in REDIS_URL and
prints it for a role (planner, buyer, finance, executive or admin): KPIs of
yesterday against the day before and their targets, the top stockout risks
by money with their stockout dates, exceptions raised and resolved in the
last 24 hours, approvals waiting too long, decision latency over the last 7
days and the share of exceptions resolved automatically.

Every number is computed; with an LLM endpoint configured (OPENAI_API_KEY,
OPENAI_BASE_URL or AZURE_OPENAI_*), a model writes the opening sentences,
which are used only when each figure in them is one of the computed ones.
Without one, the opening comes from a template. --chart FILE writes a PNG
of projected stock against forecast demand for the top risks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := brief.CheckRole(role); err != nil {
				return usageError{fmt.Errorf("--as: %w", err)}
			}
			w, done, err := g.openWords(cmd, "brief", "the words come from templates")
			if err != nil {
				return err
			}
			defer done()
			cfg, log, st := w.cfg, w.log, w.st
			book := approve.New(st.Client(), cfg.Prefix, audit.New(st.Client(), cfg.Prefix, audit.Options{}), approve.Options{
				Policy: approve.Policy{Approvers: cfg.Approvals.Approvers, TwoPersonOver: cfg.Approvals.TwoPersonOver, TTL: time.Duration(cfg.Approvals.TTL)},
				Roles:  cfg.Roles,
			})
			svc := &brief.Service{
				Sources: brief.Sources{State: st, History: brief.StreamHistory{Store: st}, Proposals: book},
				Options: brief.Options{Policy: app.DetectPolicy(cfg), Targets: cfg.KPITargets},
				Writer:  brief.Writer{Log: log, Policy: facts.Policy{AllowLinks: cfg.LLM.AllowLinks}},
			}
			if w.model != nil {
				svc.Writer.Model = w.model // never a typed nil in the interface
			}
			b, err := svc.Brief(cmd.Context(), role, time.Now())
			if err != nil {
				return err
			}
			if b.Reason != "" {
				fmt.Fprintf(g.stderr, "brief: the model's opening was not used (%s); the words come from templates\n", b.Reason)
			}
			if chart != "" {
				if b.PNG == nil {
					fmt.Fprintln(g.stderr, "brief: no chart: no open stockout risk could be projected")
				} else if err := os.WriteFile(chart, b.PNG, 0o644); err != nil {
					return fmt.Errorf("--chart: %w", err)
				}
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			_, err = fmt.Fprint(g.stdout, b.Text)
			return err
		},
	}
	cmd.Flags().StringVar(&role, "as", "planner", "the role the briefing is for: planner, buyer, finance, executive or admin")
	cmd.Flags().StringVar(&chart, "chart", "", "write the chart of the top risks to this PNG file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the briefing, every figure and the facts sheet as JSON")
	return cmd
}
