// Package dataset reads the forecast accuracy data sets: long series files
// (unique_id,ds,y) and the M4 organisers' wide forecast files (id,F1..F48).
// It is the only part of the forecasting code that does I/O, so package
// forecast stays pure.
package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// Series is one time series of a long file, oldest observation first.
type Series struct {
	ID string
	DS []string  // time stamps as written: an integer index or an ISO date
	Y  []float64 // NaN where the file says NA or leaves the value empty
}

// ReadLong reads a long CSV with the header unique_id,ds,y. Series come back
// in the order of their first row, and each keeps the order of its rows: the
// files are written oldest first, and the M4 and fev scores pair series by
// position, so nothing here sorts.
func ReadLong(r io.Reader) ([]Series, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	iID, okID := col["unique_id"]
	iDS, okDS := col["ds"]
	iY, okY := col["y"]
	if !okID || !okDS || !okY {
		return nil, fmt.Errorf("header %q: want columns unique_id, ds and y", header)
	}
	var out []Series
	index := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		y, err := parseValue(rec[iY])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		id := rec[iID]
		k, ok := index[id]
		if !ok {
			k = len(out)
			index[id] = k
			out = append(out, Series{ID: id})
		}
		out[k].DS = append(out[k].DS, rec[iDS])
		out[k].Y = append(out[k].Y, y)
	}
}

// Wide is one row of a wide forecast file: a series id and its forecasts,
// with the trailing NA cells beyond the horizon removed.
type Wide struct {
	ID string
	F  []float64
}

// ReadWide reads a wide file with the header id,F1,...,Fk, as the M4
// organisers publish their forecasts. The files pad every row to the longest
// horizon of the competition (48) with NA; those trailing cells are dropped,
// and an NA before a number is kept as NaN so that a gap is never hidden.
func ReadWide(r io.Reader) ([]Wide, error) {
	cr := csv.NewReader(r)
	if _, err := cr.Read(); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	var out []Wide
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		f := make([]float64, 0, len(rec)-1)
		for _, cell := range rec[1:] {
			v, err := parseValue(cell)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			f = append(f, v)
		}
		for len(f) > 0 && math.IsNaN(f[len(f)-1]) {
			f = f[:len(f)-1]
		}
		out = append(out, Wide{ID: rec[0], F: f})
	}
}

// LoadLong reads a long file from disk.
func LoadLong(path string) ([]Series, error) {
	return load(path, ReadLong)
}

// LoadWide reads a wide file from disk.
func LoadWide(path string) ([]Wide, error) {
	return load(path, ReadWide)
}

func load[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// parseValue reads one numeric cell; NA and the empty cell mean missing.
func parseValue(s string) (float64, error) {
	if s == "" || s == "NA" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: %w", s, err)
	}
	return v, nil
}
