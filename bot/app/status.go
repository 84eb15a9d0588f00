package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/console"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/store"
)

// status describes one position from validated state with the same
// projection the alerts use, for /qm status SKU@SITE. Every number comes
// from the pipeline.
func (a *App) status(pol *detect.Policy) func(ctx context.Context, position string) (string, error) {
	return func(ctx context.Context, position string) (string, error) {
		sku, site := store.SplitSKUSite(position)
		if sku == "" || site == "" {
			return "", fmt.Errorf("%q: want SKU@SITE", position)
		}
		p, err := a.Store.Position(ctx, position)
		if err != nil {
			return "", err
		}
		if p.SKUInfo == nil || p.LastEventAt.IsZero() {
			return fmt.Sprintf("I have no data for %s.", position), nil
		}
		s, err := pol.Assess(p, a.opt.Now())
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*%s*: %g on hand", position, p.OnHand)
		if !p.SnapshotAt.IsZero() {
			fmt.Fprintf(&b, " (counted %s)", p.SnapshotAt.Format("Jan 02 15:04"))
		}
		fmt.Fprintf(&b, "; demand %.1f a day (%s)", s.Demand.Mean(), s.Demand.Method)
		if s.Proj.Stockout() {
			fmt.Fprintf(&b, "; %.1f days of supply; stockout %s, %s at risk", s.Proj.DaysOfSupply,
				s.Proj.StockoutDate.Format(time.DateOnly), console.Money(s.Proj.RevenueAtRisk))
		} else {
			fmt.Fprintf(&b, "; no stockout within %d days", pol.HorizonDays)
		}
		if len(s.Inbound) == 0 {
			b.WriteString("; nothing inbound.")
			return b.String(), nil
		}
		b.WriteString("; inbound:")
		for _, in := range s.Inbound {
			fmt.Fprintf(&b, " %s %g due %s (%s);", in.Ref, in.Qty, in.Arrives.Format(time.DateOnly), strings.ReplaceAll(in.Basis, "_", " "))
		}
		return strings.TrimSuffix(b.String(), ";") + ".", nil
	}
}
