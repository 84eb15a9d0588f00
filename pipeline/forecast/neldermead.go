package forecast

import "math"

// nmBig is what nmmin substitutes for a non-finite objective value.
const nmBig = 1.0e+35

// nmmin minimises fn from x0 with the Nelder-Mead simplex method, step for
// step as R's nmmin (src/appl/optim.c), which forecast::ets calls through
// etsNelderMead with abstol −Inf, reltol sqrt(machine eps), reflection 1,
// contraction 0.5, expansion 2 and at most 2,000 evaluations. Our SES, Holt
// and damped-trend forecasts have to match the M4 organisers' files value by
// value, and those came out of this optimiser: where it stops short of the
// true minimum, so must we. It returns the best vertex and its value.
func nmmin(fn func([]float64) float64, x0 []float64, maxit int) ([]float64, float64) {
	const (
		alpha = 1.0
		bet   = 0.5
		gamm  = 2.0
	)
	abstol := math.Inf(-1)
	reltol := math.Sqrt(2.220446049250313e-16)
	n := len(x0)
	bvec := append([]float64(nil), x0...)
	eval := func(x []float64) float64 {
		f := fn(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nmBig
		}
		return f
	}
	f := fn(bvec)
	if math.IsNaN(f) || math.IsInf(f, 0) || n == 0 {
		// R stops with an error here; the caller checks its starting
		// point, so this is only a guard.
		return bvec, f
	}
	funcount := 1
	convtol := reltol * (math.Abs(f) + reltol)
	n1 := n + 1
	c := n + 2
	// p has n+1 rows (the coordinates, then the function value) and n+2
	// columns (the n+1 vertices, then the centroid), as in R.
	p := make([][]float64, n1)
	for i := range p {
		p[i] = make([]float64, c)
	}
	p[n1-1][0] = f
	for i := range n {
		p[i][0] = bvec[i]
	}
	l := 1
	size := 0.0
	step := 0.0
	for i := range n {
		if 0.1*math.Abs(bvec[i]) > step {
			step = 0.1 * math.Abs(bvec[i])
		}
	}
	if step == 0 {
		step = 0.1
	}
	for j := 2; j <= n1; j++ {
		for i := range n {
			p[i][j-1] = bvec[i]
		}
		trystep := step
		for p[j-2][j-1] == bvec[j-2] {
			p[j-2][j-1] = bvec[j-2] + trystep
			trystep *= 10
		}
		size += trystep
	}
	oldsize := size
	calcvert := true
	for {
		if calcvert {
			for j := range n1 {
				if j+1 != l {
					for i := range n {
						bvec[i] = p[i][j]
					}
					p[n1-1][j] = eval(bvec)
					funcount++
				}
			}
			calcvert = false
		}
		vl := p[n1-1][l-1]
		vh := vl
		h := l
		for j := 1; j <= n1; j++ {
			if j != l {
				f := p[n1-1][j-1]
				if f < vl {
					l = j
					vl = f
				}
				if f > vh {
					h = j
					vh = f
				}
			}
		}
		if vh <= vl+convtol || vl <= abstol {
			break
		}
		for i := range n {
			temp := -p[i][h-1]
			for j := range n1 {
				temp += p[i][j]
			}
			p[i][c-1] = temp / float64(n)
		}
		for i := range n {
			bvec[i] = (1+alpha)*p[i][c-1] - alpha*p[i][h-1]
		}
		f := eval(bvec)
		funcount++
		vr := f
		if vr < vl {
			p[n1-1][c-1] = f
			for i := range n {
				f := gamm*bvec[i] + (1-gamm)*p[i][c-1]
				p[i][c-1] = bvec[i]
				bvec[i] = f
			}
			f := eval(bvec)
			funcount++
			if f < vr {
				for i := range n {
					p[i][h-1] = bvec[i]
				}
				p[n1-1][h-1] = f
			} else {
				for i := range n {
					p[i][h-1] = p[i][c-1]
				}
				p[n1-1][h-1] = vr
			}
		} else {
			if vr < vh {
				for i := range n {
					p[i][h-1] = bvec[i]
				}
				p[n1-1][h-1] = vr
			}
			for i := range n {
				bvec[i] = (1-bet)*p[i][h-1] + bet*p[i][c-1]
			}
			f := eval(bvec)
			funcount++
			if f < p[n1-1][h-1] {
				for i := range n {
					p[i][h-1] = bvec[i]
				}
				p[n1-1][h-1] = f
			} else if vr >= vh {
				// Shrink towards the best vertex; give up when the
				// simplex stops getting smaller.
				calcvert = true
				size = 0
				for j := range n1 {
					if j+1 != l {
						for i := range n {
							p[i][j] = bet*(p[i][j]-p[i][l-1]) + p[i][l-1]
							size += math.Abs(p[i][j] - p[i][l-1])
						}
					}
				}
				if size < oldsize {
					oldsize = size
				} else {
					break
				}
			}
		}
		if funcount > maxit {
			break
		}
	}
	x := make([]float64, n)
	for i := range n {
		x[i] = p[i][l-1]
	}
	return x, p[n1-1][l-1]
}
