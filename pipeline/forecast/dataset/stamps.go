package dataset

import (
	"fmt"
	"strconv"
	"time"
)

// NextStamps continues a series' time stamps h steps: an integer index
// counts on by its last step (1 when the series has one point); ISO dates
// continue by calendar months when the last two dates fall on the same day
// of different months (monthly data, whatever the months' lengths), and
// by their distance in days otherwise (daily, weekly). A lone date steps
// one day.
func NextStamps(ds []string, h int) ([]string, error) {
	out := make([]string, h)
	if len(ds) == 0 {
		for i := range out {
			out[i] = strconv.Itoa(i + 1)
		}
		return out, nil
	}
	last := ds[len(ds)-1]
	if n, err := strconv.ParseInt(last, 10, 64); err == nil {
		step := int64(1)
		if len(ds) > 1 {
			if p, err := strconv.ParseInt(ds[len(ds)-2], 10, 64); err == nil && n > p {
				step = n - p
			}
		}
		for i := range out {
			out[i] = strconv.FormatInt(n+int64(i+1)*step, 10)
		}
		return out, nil
	}
	layout := time.DateOnly
	t, err := time.Parse(layout, last)
	if err != nil {
		layout = time.RFC3339
		if t, err = time.Parse(layout, last); err != nil {
			return nil, fmt.Errorf("time stamp %q: want an integer index or an ISO date", last)
		}
	}
	months, days := 0, 1
	if len(ds) > 1 {
		p, err := time.Parse(layout, ds[len(ds)-2])
		if err != nil {
			return nil, fmt.Errorf("time stamp %q: want an integer index or an ISO date", ds[len(ds)-2])
		}
		switch {
		case p.Day() == t.Day() && (p.Month() != t.Month() || p.Year() != t.Year()):
			months = (t.Year()-p.Year())*12 + int(t.Month()-p.Month())
			days = 0
		case t.After(p):
			days = int(t.Sub(p).Hours()/24 + 0.5)
		}
	}
	for i := range out {
		next := t.AddDate(0, months*(i+1), days*(i+1))
		out[i] = next.Format(layout)
	}
	return out, nil
}
