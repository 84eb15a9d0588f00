package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written the way operators write windows in a
// config file: Go syntax ("90s", "15m", "36h") plus a "d" unit for whole or
// fractional days ("35d", "1d12h", "1.5d"), because a 35-day dedupe window
// written as "840h" is easy to get wrong. A day is always 24 hours; the
// config describes windows, not calendar dates.
type Duration time.Duration

const day = 24 * time.Hour

// errDuration explains the accepted syntax; it is the whole message because
// time.ParseDuration's own errors mention neither the "d" unit nor examples.
var errDuration = errors.New("want a duration such as 90s, 15m, 36h, 35d or 1d12h")

// ParseDuration parses s as a Go duration that may also use the unit "d".
func ParseDuration(s string) (Duration, error) {
	orig := s
	bad := func() (Duration, error) { return 0, fmt.Errorf("%q, %w", orig, errDuration) }
	if s == "0" {
		return 0, nil
	}
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return bad()
	}
	// Day terms are summed here and the other terms handed to
	// time.ParseDuration, so every Go unit keeps its exact meaning.
	var total time.Duration
	var rest strings.Builder
	for s != "" {
		n := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if n <= 0 {
			return bad() // a term without a number, or a number without a unit
		}
		u := strings.IndexFunc(s[n:], func(r rune) bool { return r == '.' || r >= '0' && r <= '9' })
		if u < 0 {
			u = len(s) - n
		}
		num, unit := s[:n], s[n:n+u]
		s = s[n+u:]
		if unit != "d" {
			rest.WriteString(num + unit)
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if v*float64(day) >= math.MaxInt64-float64(total) {
			return 0, fmt.Errorf("%q, want at most %s", orig, Duration(math.MaxInt64))
		}
		if v == math.Trunc(v) {
			total += time.Duration(v) * day // exact, unlike the float product
		} else {
			total += time.Duration(math.Round(v * float64(day)))
		}
	}
	if rest.Len() > 0 {
		d, err := time.ParseDuration(rest.String())
		if err != nil {
			return bad()
		}
		if d > math.MaxInt64-total {
			return 0, fmt.Errorf("%q, want at most %s", orig, Duration(math.MaxInt64))
		}
		total += d
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// String formats d the way ParseDuration reads it, with whole days split off
// and trailing zero units dropped: 840h is "35d", 36h is "1d12h", 1m is "1m".
func (d Duration) String() string {
	if d < 0 {
		// -d overflows for the minimum; time.Duration prints it exactly.
		if d == math.MinInt64 {
			return time.Duration(d).String()
		}
		return "-" + (-d).String()
	}
	t := time.Duration(d)
	var b strings.Builder
	if days := t / day; days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "d")
		t -= days * day
		if t == 0 {
			return b.String()
		}
	}
	s := t.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	b.WriteString(s)
	return b.String()
}

// UnmarshalYAML reads a duration string. Its errors are yaml.TypeErrors so
// the decoder keeps going and reports every bad value in the file at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s, %v", n.Line, describe(n), errDuration)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML writes d in the syntax UnmarshalYAML reads, so a dumped
// config can be loaded again.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}
