package notify

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// digestTop is how many changes a digest names; the rest are counted.
const digestTop = 10

// DigestText summarises a storm of alert changes in one message: how many
// by tier, then the costliest by revenue at risk, so none is lost from
// view even when they are not posted one by one.
func DigestText(changes []alert.Alert) string {
	by := map[score.Tier]int{}
	for _, a := range changes {
		by[a.Tier]++
	}
	sorted := append([]alert.Alert(nil), changes...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Tier.Rank() != sorted[j].Tier.Rank() {
			return sorted[i].Tier.Rank() > sorted[j].Tier.Rank()
		}
		return sorted[i].RevenueAtRisk > sorted[j].RevenueAtRisk
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d alert changes: %d critical, %d actionable, %d info.", len(changes),
		by[score.Critical], by[score.Actionable], by[score.Info])
	for i, a := range sorted {
		if i == digestTop {
			fmt.Fprintf(&b, " And %d more.", len(sorted)-digestTop)
			break
		}
		fmt.Fprintf(&b, " %s %s %s %s (%s);", strings.ToUpper(string(a.Tier)), a.Kind, a.Subject(), Money(a.RevenueAtRisk), a.Change)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Money formats an amount with thousands separators and no cents:
// 43400.5 -> "$43,401".
func Money(v float64) string {
	s := strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if v < 0 {
		return "-$" + b.String()
	}
	return "$" + b.String()
}
