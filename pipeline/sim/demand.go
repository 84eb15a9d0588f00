package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// trailDays is the window of the trailing daily demand: four whole weeks, so
// that weekly seasonality averages out.
const trailDays = 28

// weekdayFactor shapes demand over the week (Sunday first). It averages 1,
// so a position's rate is its mean over a week.
var weekdayFactor = [7]float64{0.65, 1.15, 1.15, 1.1, 1.1, 1.05, 0.8}

// position is one SKU at one site: its demand, its replenishment policy and
// its stock.
type position struct {
	sku, site int
	rate      float64 // mean units a day before seasonality and promotions
	lumpy     bool    // intermittent demand: most days none, then a lump
	lumpSize  float64 // mean units in a lump
	orderSize float64 // mean units in a live order

	reorder, upTo int // the (s, S) policy, in units

	onHand    int
	allocated int   // ordered by customers, not yet shipped
	onOrder   int   // on open POs, not yet received
	open      []*po // open POs in the order they were raised

	promoUntil  int     // day index (from Start) the latest promotion ends before
	promoFactor float64 // its demand multiplier; zero before the first one

	trail   [trailDays]int32 // units ordered per day, a ring
	trailAt int              // the ring's oldest day
	today   int32            // units ordered so far today
}

// cycleDays is how many days of demand one PO covers, by class: A items are
// replenished often, C items rarely.
var cycleDays = map[byte]float64{'A': 7, 'B': 14, 'C': 30}

// serviceZ is the safety factor by class: A items are protected hardest.
var serviceZ = map[byte]float64{'A': 1.65, 'B': 1.28, 'C': 1.0}

// setPolicy sets the reorder point to cover demand over the lead time, the
// review period, receiving and the supplier's usual slip, plus safety stock
// against both demand and lead-time variability, and the order-up-to level
// one replenishment cycle above it.
func (p *position) setPolicy(k *sku, sup *supplier) {
	mu := p.rate
	sd := math.Sqrt(mu + 0.1*mu*mu)
	if p.lumpy {
		sd = math.Sqrt(mu * (p.lumpSize + 1))
	}
	cover := p.cover(k, sup)
	// A supplier's slip is exponential, so its standard deviation is its mean.
	spread := math.Sqrt(cover*sd*sd + mu*mu*sup.slipMean*sup.slipMean)
	p.reorder = int(math.Ceil(mu*cover + serviceZ[k.class]*spread))
	q := int(math.Ceil(max(float64(k.caseQty), mu*cycleDays[k.class])))
	p.upTo = p.reorder + roundUp(q, k.caseQty)
}

// cover is how many days of demand the reorder point must see through: the
// lead time, a day's review period, half a day to receive, and the
// supplier's usual slip.
func (p *position) cover(k *sku, sup *supplier) float64 {
	return float64(k.lead) + 1.5 + sup.slipMean
}

// demand draws the units ordered on one day. Fast movers are Poisson with a
// day-to-day level that wanders (so over-dispersed, as real demand is);
// slow movers order in occasional lumps.
func (p *position) demand(r *rand.Rand, wd time.Weekday, day int) int {
	mu := p.rate * weekdayFactor[wd]
	if p.promoFactor > 0 && day < p.promoUntil {
		mu *= p.promoFactor
	}
	if p.lumpy {
		if r.Float64() >= mu/p.lumpSize {
			return 0
		}
		return 1 + poisson(r, p.lumpSize-1)
	}
	return poisson(r, mu*lognormal(r, 0.25))
}

// trailing returns the mean units ordered a day over the last trailDays days.
func (p *position) trailing() float64 {
	var sum int32
	for _, v := range p.trail {
		sum += v
	}
	return float64(sum) / trailDays
}

// closeDay moves today's demand into the trailing window.
func (p *position) closeDay() {
	p.trail[p.trailAt] = p.today
	p.trailAt = (p.trailAt + 1) % trailDays
	p.today = 0
}

// splitQty splits units into n orders of at least one unit each, sized at
// random, and returns them in buf.
func splitQty(r *rand.Rand, units, n int, buf []int) []int {
	n = clampInt(n, 1, units)
	buf = buf[:0]
	if n == 1 {
		return append(buf, units)
	}
	var w [16]float64
	ws := w[:0]
	if n > len(w) {
		ws = make([]float64, 0, n)
	}
	total := 0.0
	for range n {
		x := r.ExpFloat64()
		ws = append(ws, x)
		total += x
	}
	rest, left := units-n, units-n
	for _, x := range ws {
		q := int(float64(rest) * x / total)
		buf = append(buf, 1+q)
		left -= q
	}
	for i := 0; left > 0; i = (i + 1) % n {
		buf[i]++
		left--
	}
	return buf
}

// historyOrders is how many orders one day's history is aggregated into. It
// depends on units alone so that New can count history orders without
// drawing them.
func historyOrders(units int) int {
	switch {
	case units <= 0:
		return 0
	case units <= 30:
		return 1
	case units <= 90:
		return 2
	}
	return 3
}

// drawHistory draws the daily demand of every position before Start,
// promotions included, and primes the trailing windows with it.
func (s *Sim) drawHistory(r *rand.Rand) {
	h := s.cfg.HistoryDays
	s.hist = make([]int32, len(s.pos)*h)
	for d := range h {
		day := d - h
		s.maybePromote(r, day)
		wd := s.weekday(day)
		for i := range s.pos {
			u := s.pos[i].demand(r, wd, day)
			s.hist[i*h+d] = int32(u)
			s.histOrders += historyOrders(u)
		}
	}
	// The ring holds the 28 days before yesterday and today holds yesterday:
	// the first thing live simulation does is close that day, which drops
	// the ring's oldest day (zero if the history is shorter than that).
	for i := range s.pos {
		p := &s.pos[i]
		for j := range trailDays {
			if d := h - 1 - trailDays + j; d >= 0 {
				p.trail[j] = s.hist[i*h+d]
			}
		}
		p.today = s.hist[i*h+h-1]
	}
}

// maybePromote starts a promotion on some days: two to three times the
// demand for three to five days on one A or B position. The critical and
// spiking positions are spared so that their numbers stay clean.
func (s *Sim) maybePromote(r *rand.Rand, day int) {
	if r.Float64() >= 0.35 {
		return
	}
	i := r.IntN(len(s.pos))
	p := &s.pos[i]
	if p.lumpy || i == s.plan.critPos || i == s.plan.spikePos || (p.promoFactor > 0 && day < p.promoUntil) {
		return
	}
	p.promoUntil = day + 3 + r.IntN(3)
	p.promoFactor = uniform(r, 2, 3)
}

func (s *Sim) weekday(day int) time.Weekday {
	return time.Weekday((int(s.cfg.Start.Weekday()) + day%7 + 7) % 7)
}
