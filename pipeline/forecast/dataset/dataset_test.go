package dataset

import (
	"math"
	"strings"
	"testing"
)

func TestReadLong(t *testing.T) {
	in := "unique_id,ds,y\nb,2001-01-01,1\na,1,2.5\nb,2001-02-01,NA\na,2,\nb,2001-03-01,3\n"
	got, err := ReadLong(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" {
		t.Fatalf("series %+v: want b then a, in order of first appearance", got)
	}
	b := got[0]
	if len(b.Y) != 3 || b.Y[0] != 1 || !math.IsNaN(b.Y[1]) || b.Y[2] != 3 || b.DS[2] != "2001-03-01" {
		t.Errorf("b = %+v", b)
	}
	if a := got[1]; len(a.Y) != 2 || a.Y[0] != 2.5 || !math.IsNaN(a.Y[1]) || a.DS[1] != "2" {
		t.Errorf("a = %+v", a)
	}
}

func TestReadLongErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "read header"},
		{"wrong header", "id,ds,value\n", "want columns unique_id, ds and y"},
		{"bad value", "unique_id,ds,y\na,1,x\n", `line 2: value "x"`},
		{"short row", "unique_id,ds,y\na,1\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLong(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadWide(t *testing.T) {
	in := "id,F1,F2,F3,F4\nW1,1.5,NA,2,NA\nW2,NA,NA,NA,NA\n"
	got, err := ReadWide(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "W1" || len(got[0].F) != 3 || got[0].F[0] != 1.5 || !math.IsNaN(got[0].F[1]) || got[0].F[2] != 2 {
		t.Errorf("W1 = %+v: want trailing NA dropped and the inner one kept as NaN", got)
	}
	if len(got[1].F) != 0 {
		t.Errorf("W2 = %+v: want no forecasts", got[1])
	}
	if _, err := ReadWide(strings.NewReader("id,F1\nW1,abc\n")); err == nil {
		t.Error("want an error for a non-numeric cell")
	}
}
