package forecast

import "math"

// Pattern is the demand pattern of a series in the Syntetos–Boylan–Croston
// scheme, plus two cases the scheme does not cover.
type Pattern string

// The four SBC patterns split on how often demand occurs (ADI) and how much
// its non-zero sizes vary (CV²); NoDemand and TooShort are series the scheme
// cannot place.
const (
	Smooth       Pattern = "smooth"       // frequent, steady sizes: classical methods
	Erratic      Pattern = "erratic"      // frequent, variable sizes
	Intermittent Pattern = "intermittent" // sparse, steady sizes: Croston/SBA territory
	Lumpy        Pattern = "lumpy"        // sparse, variable sizes: the hardest case
	NoDemand     Pattern = "zero"         // no positive value at all
	TooShort     Pattern = "short"        // fewer than MinClassifyLen points
)

// The SBC cut-offs: Syntetos, Boylan & Croston (2005), "On the categorization
// of demand patterns", JORS 56(5), derived them as the points where SBA's
// mean squared error beats Croston's and vice versa; Kostenko & Hyndman
// (2006) refined them, but 1.32 and 0.49 are what practice and the R package
// tsintermittent (idclass type "SBC") use.
const (
	adiCutoff = 1.32
	cv2Cutoff = 0.49
)

// MinClassifyLen is the shortest series Classify will place. With three
// points or fewer ADI can only be 1, 1.5, 2 or 3 and CV² rests on at most
// three sizes, so any label would be noise.
const MinClassifyLen = 4

// Class is the demand pattern of a series with the numbers that decided it,
// so a planner can see how close a series sits to a boundary.
type Class struct {
	Pattern Pattern
	ADI     float64 // average inter-demand interval: periods per positive demand (n/k); +Inf when k = 0
	CV2     float64 // squared coefficient of variation of the positive sizes (sample variance); 0 when k < 2
	Demands int     // k, the number of periods with positive demand
}

// Classify places y in the Syntetos–Boylan–Croston scheme: ADI >= 1.32 is
// sparse, CV² >= 0.49 is variable. Only positive, finite values count as
// demand, so NaN and negative values (returns) read as no demand.
//
// ADI is n/k, the whole length over the number of demands. That equals the
// mean interval between demands when the series starts just after a demand
// and ends on one, and unlike the mean of observed gaps it counts a long
// run of trailing zeros, which is exactly the evidence that a part has gone
// quiet. CV² uses the sample variance (n−1), as tsintermittent does.
func Classify(y []float64) Class {
	var c Class
	var sum float64
	for _, v := range y {
		if isDemand(v) {
			c.Demands++
			sum += v
		}
	}
	if c.Demands == 0 {
		c.ADI = math.Inf(1)
	} else {
		c.ADI = float64(len(y)) / float64(c.Demands)
	}
	if c.Demands >= 2 {
		mean := sum / float64(c.Demands)
		var ss float64
		for _, v := range y {
			if isDemand(v) {
				ss += (v - mean) * (v - mean)
			}
		}
		variance := ss / float64(c.Demands-1)
		c.CV2 = variance / (mean * mean)
	}
	switch {
	case len(y) < MinClassifyLen:
		c.Pattern = TooShort
	case c.Demands == 0:
		c.Pattern = NoDemand
	case c.ADI < adiCutoff && c.CV2 < cv2Cutoff:
		c.Pattern = Smooth
	case c.ADI < adiCutoff:
		c.Pattern = Erratic
	case c.CV2 < cv2Cutoff:
		c.Pattern = Intermittent
	default:
		c.Pattern = Lumpy
	}
	return c
}

// isDemand reports whether v is a positive, finite demand.
func isDemand(v float64) bool {
	return v > 0 && !math.IsInf(v, 1)
}
