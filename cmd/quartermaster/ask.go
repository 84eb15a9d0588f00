package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/ask"
)

func newAsk(g *globals) *cobra.Command {
	var role string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ask [--as ROLE] [--json] QUESTION...",
		Short: "Answer a question from the validated state",
		Long: `Ask answers a question about stock and supply from the validated state in
REDIS_URL, with the projection the alerts use: the status, days of supply,
stockout date, revenue at risk or inbound of a SKU at a site; top risks by
site, region or supplier; a supplier's reliability and lead times; a
forecast's method and error; fill rate and OTIF; an alert's evidence; and
what if a PO, shipment or supplier slips N days.

With an LLM endpoint configured (OPENAI_API_KEY, OPENAI_BASE_URL or
AZURE_OPENAI_*), a model chooses among read-only tools and phrases the
answer, which is used only when every figure in it is one the tools
returned; otherwise, and without an endpoint, a deterministic parser
answers the common questions and says plainly what it cannot. The answer
cites its facts as [F3]; --json prints them with the tools called.

--as sets whose view the answer takes: planner, buyer, finance,
site_manager, executive, admin, or "" for none. Unit cost and margin are
masked for roles that may not see them.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ask.CheckRole(role); err != nil {
				return usageError{fmt.Errorf("--as: %w", err)}
			}
			w, done, err := g.openWords(cmd, "ask", "the deterministic parser answers")
			if err != nil {
				return err
			}
			defer done()
			cfg, log, st, model := w.cfg, w.log, w.st, w.model
			opt := ask.Options{Now: time.Now, Log: log, Model: model, AllowLinks: cfg.LLM.AllowLinks} // ask.New takes a nil *llm.Client as no model
			a := ask.New(st, app.DetectPolicy(cfg), opt)
			ans, err := a.Answer(cmd.Context(), ask.Question{Text: strings.Join(args, " "), Role: role, User: "cli"})
			if err != nil {
				return err
			}
			if ans.Rejected != "" {
				fmt.Fprintf(g.stderr, "ask: the model's answer was not used (%s); the parser answered\n", ans.Rejected)
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(ans)
			}
			fmt.Fprintln(g.stdout, ans.Footnoted())
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "as", ask.RolePlanner, `the role to answer as: planner, buyer, finance, site_manager, executive, admin, or "" for none`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer, the facts it cites, its source and the tools called as JSON")
	return cmd
}
