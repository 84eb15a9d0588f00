package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/bot/app"
	"github.com/quartermaster-ops/quartermaster/bot/console"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
)

func newWhatIf(g *globals) *cobra.Command {
	var ref string
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "whatif --slip REF --days N",
		Short: "Project every position as if a PO, shipment or supplier slipped N days",
		Long: `Whatif moves every receipt of REF (a PO id, a shipment id or a supplier
id) N days later and recomputes each position's projection as the alerts do,
then lists the positions whose revenue at risk or stockout date changes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ref == "" || days == 0 {
				return usageError{fmt.Errorf("need --slip REF and --days N")}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			all, err := st.Positions(cmd.Context())
			if err != nil {
				return err
			}
			res, err := detect.WhatIf(cmd.Context(), st, app.DetectPolicy(cfg), all, ref, days, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(g.stdout).Encode(res)
			}
			fmt.Fprintf(g.stdout, "%s %d days later: %d positions change, %s more at risk (%s before, %s after)\n",
				ref, days, len(res.Positions), console.Money(res.Added), console.Money(res.RevenueBefore), console.Money(res.RevenueAfter))
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "POSITION\tAT RISK BEFORE\tAFTER\tSTOCKOUT BEFORE\tAFTER")
			for _, p := range res.Positions {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Position, console.Money(p.RevenueBefore), console.Money(p.RevenueAfter), orNone(p.StockoutBefore), orNone(p.StockoutAfter))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&ref, "slip", "", "the PO, shipment or supplier that slips")
	cmd.Flags().IntVar(&days, "days", 7, "how many days later")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
