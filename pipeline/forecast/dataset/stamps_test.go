package dataset

import (
	"reflect"
	"testing"
)

func TestNextStamps(t *testing.T) {
	tests := []struct {
		name string
		ds   []string
		h    int
		want []string
	}{
		{"index", []string{"1", "2", "3"}, 2, []string{"4", "5"}},
		{"index with step", []string{"10", "20"}, 2, []string{"30", "40"}},
		{"one index", []string{"7"}, 2, []string{"8", "9"}},
		{"monthly on the first", []string{"2002-01-01", "2002-02-01"}, 3, []string{"2002-03-01", "2002-04-01", "2002-05-01"}},
		{"monthly across a year", []string{"2001-11-15", "2001-12-15"}, 2, []string{"2002-01-15", "2002-02-15"}},
		{"weekly", []string{"2026-11-16", "2026-11-23"}, 2, []string{"2026-11-30", "2026-12-07"}},
		{"daily", []string{"2026-02-27", "2026-02-28"}, 2, []string{"2026-03-01", "2026-03-02"}},
		{"one date", []string{"2026-11-27"}, 1, []string{"2026-11-28"}},
		{"empty", nil, 2, []string{"1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextStamps(tt.ds, tt.h)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NextStamps(%v, %d) = %v, %v; want %v", tt.ds, tt.h, got, err, tt.want)
			}
		})
	}
	if _, err := NextStamps([]string{"week 3"}, 1); err == nil {
		t.Error("NextStamps accepted a stamp that is neither an index nor a date")
	}
}
