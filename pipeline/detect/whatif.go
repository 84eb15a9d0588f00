package detect

import (
	"context"
	"math"
	"sort"
	"time"
)

// WhatIfResult is the network-wide effect of moving receipts later.
type WhatIfResult struct {
	Ref       string // the PO, shipment or supplier moved
	Days      int
	Positions []PositionEffect // the positions it changes, costliest first
	// RevenueBefore and RevenueAfter sum the revenue at risk of the
	// positions affected; Added is the difference.
	RevenueBefore, RevenueAfter, Added float64
}

// PositionEffect is the what-if at one position.
type PositionEffect struct {
	Position                      string
	RevenueBefore, RevenueAfter   float64
	StockoutBefore, StockoutAfter string // YYYY-MM-DD, "" when none within the horizon
}

// WhatIf recomputes the projection of every position in positions as if
// every receipt of ref (a PO, a shipment or a supplier) arrived days
// later, and reports the positions whose outlook changes. The numbers come
// from the same projection as the alerts, so the chat layer can answer
// "what if SUP-1 slips a week" with computed figures.
func WhatIf(ctx context.Context, read PositionReader, pol *Policy, positions []string, ref string, days int, now time.Time) (WhatIfResult, error) {
	out := WhatIfResult{Ref: ref, Days: days}
	for _, ss := range positions {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		p, err := read.Position(ctx, ss)
		if err != nil {
			return out, err
		}
		s, err := pol.Assess(p, now)
		if err != nil {
			continue // no master data: nothing to project
		}
		moved := s.Slip(ref, days)
		changed := false
		for i := range moved {
			if !moved[i].Arrives.Equal(s.Inbound[i].Arrives) {
				changed = true
				break
			}
		}
		if !changed {
			continue
		}
		after := s.Project(moved)
		e := PositionEffect{Position: ss, RevenueBefore: round(s.Proj.RevenueAtRisk, 2), RevenueAfter: round(after.RevenueAtRisk, 2),
			StockoutBefore: dateOrEmpty(s.Proj.StockoutDate), StockoutAfter: dateOrEmpty(after.StockoutDate)}
		if e.RevenueAfter == e.RevenueBefore && e.StockoutAfter == e.StockoutBefore {
			continue
		}
		out.Positions = append(out.Positions, e)
		out.RevenueBefore += e.RevenueBefore
		out.RevenueAfter += e.RevenueAfter
	}
	out.RevenueBefore, out.RevenueAfter = round(out.RevenueBefore, 2), round(out.RevenueAfter, 2)
	out.Added = round(math.Max(0, out.RevenueAfter-out.RevenueBefore), 2)
	sort.Slice(out.Positions, func(i, j int) bool {
		a, b := out.Positions[i], out.Positions[j]
		if da, db := a.RevenueAfter-a.RevenueBefore, b.RevenueAfter-b.RevenueBefore; da != db {
			return da > db
		}
		return a.Position < b.Position
	})
	return out, nil
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
