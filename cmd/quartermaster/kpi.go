package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quartermaster-ops/quartermaster/pipeline/kpi"
	"github.com/quartermaster-ops/quartermaster/store"
)

func newKPI(g *globals) *cobra.Command {
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "Print supplier, lane and site KPIs from the validated state",
		Long: `KPI reads every stock position and prints, as pipeline/kpi defines them:
suppliers (completed POs, mean and p90 lead time, share on time against the
original promise, lead-time drift of the last 5 POs against the earlier
ones), lanes (share of shipments delivered after the carrier's first ETA)
and sites (unit fill rate and on-time-in-full by day over the last --days).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, done, err := openStore(cmd, g)
			if err != nil {
				return err
			}
			defer done()
			all, err := st.Positions(ctx)
			if err != nil {
				return err
			}
			today := time.Now().UTC().Truncate(24 * time.Hour)
			w := kpi.Window{From: today.AddDate(0, 0, -days), To: today}
			var positions []store.Position
			type siteKPI struct {
				Site             string
				Ordered, Shipped float64
				FillRate         float64
				DaysInFull       float64
				DaysWithOrders   float64
				OTIF             float64
			}
			sites := map[string]*siteKPI{}
			for _, ss := range all {
				p, err := st.Position(ctx, ss)
				if err != nil {
					return err
				}
				s := sites[p.Site]
				if s == nil {
					s = &siteKPI{Site: p.Site}
					sites[p.Site] = s
				}
				if r, ok := kpi.FillRate(p, w); ok {
					s.Ordered += r.Den
					s.Shipped += r.Num
				}
				if r, ok := kpi.OTIF(p, w); ok {
					s.DaysInFull += r.Num
					s.DaysWithOrders += r.Den
				}
				// Keep only what the supplier and lane figures need.
				p.Demand, p.Shipped = nil, nil
				positions = append(positions, p)
			}
			sup := kpi.Suppliers(kpi.LeadTimes(positions...), kpi.DefaultRecent)
			lanes := kpi.Lanes(positions...)
			var siteList []siteKPI
			for _, s := range sites {
				if s.Ordered > 0 {
					s.FillRate = s.Shipped / s.Ordered
				}
				if s.DaysWithOrders > 0 {
					s.OTIF = s.DaysInFull / s.DaysWithOrders
				}
				siteList = append(siteList, *s)
			}
			sort.Slice(siteList, func(i, j int) bool { return siteList[i].Site < siteList[j].Site })
			if asJSON {
				return json.NewEncoder(g.stdout).Encode(map[string]any{"suppliers": sup, "lanes": lanes, "sites": siteList, "window_days": days})
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SUPPLIER\tPOS\tMEAN DAYS\tP90 DAYS\tON TIME\tMEAN LATE\tDRIFT (RECENT/BASELINE)")
			for _, s := range sup {
				drift := "not enough POs"
				if s.Drift.Enough {
					drift = fmt.Sprintf("%.2fx (%.1f vs %.1f days)", s.Drift.Ratio, s.Drift.RecentMean, s.Drift.BaselineMean)
				}
				fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.0f%% (%g/%g)\t%.1f\t%s\n", s.Supplier, s.POs, s.MeanDays, s.P90Days,
					100*s.OnTime.Value, s.OnTime.Num, s.OnTime.Den, s.MeanLateDays, drift)
			}
			fmt.Fprintln(tw, "\nLANE\tSHIPMENTS\tLATE\tMEAN DELAY DAYS")
			for _, l := range lanes {
				fmt.Fprintf(tw, "%s\t%d\t%.0f%% (%g/%g)\t%.1f\n", l.Lane, l.Shipments, 100*l.Late.Value, l.Late.Num, l.Late.Den, l.MeanDelayDays)
			}
			fmt.Fprintf(tw, "\nSITE\tORDERED\tSHIPPED\tFILL RATE\tOTIF (DAYS)\t(last %d days)\n", days)
			for _, s := range siteList {
				fmt.Fprintf(tw, "%s\t%g\t%g\t%.1f%%\t%.1f%% (%g/%g)\t\n", s.Site, s.Ordered, s.Shipped, 100*s.FillRate, 100*s.OTIF, s.DaysInFull, s.DaysWithOrders)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&days, "days", 28, "window for fill rate and OTIF, in days before today")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
