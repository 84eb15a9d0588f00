package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast"
	"github.com/quartermaster-ops/quartermaster/pipeline/forecast/dataset"
)

func newForecast(g *globals) *cobra.Command {
	var in, out, details string
	var horizon, season int
	cmd := &cobra.Command{
		Use:   "forecast --in FILE --horizon H [--season M] --out FILE",
		Short: "Forecast every series of a long CSV (unique_id,ds,y) and write unique_id,ds,yhat",
		Long: `Forecast reads a long CSV with the header unique_id,ds,y (ds an integer
index or an ISO date, each series oldest first), forecasts every series H
steps ahead with the method that did best on the series' own recent history
(see pipeline/forecast.Auto), and writes unique_id,ds,yhat with ds
continuing each series. Without --season the season length is taken from
the time stamps: 12 for monthly dates, 4 for quarterly, 7 for daily, 1
otherwise. --details writes one JSON line per series with its demand
pattern, method, parameters, holdout error and spread. Uses every core.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" || horizon < 1 {
				return usageError{fmt.Errorf("need --in FILE, --out FILE and --horizon of at least 1")}
			}
			series, err := dataset.LoadLong(in)
			if err != nil {
				return fmt.Errorf("read %s: %w", in, err)
			}
			start := time.Now()
			results, err := forecastAll(series, horizon, season, progress(g.stderr, len(series)))
			if err != nil {
				return err
			}
			if err := writeForecasts(out, series, results, horizon); err != nil {
				return err
			}
			if details != "" {
				if err := writeDetails(details, series, results); err != nil {
					return err
				}
			}
			took := time.Since(start)
			fmt.Fprintf(g.stdout, "forecast %d series %d steps ahead in %s (%.0f series/s); wrote %s\n",
				len(series), horizon, took.Round(time.Millisecond), float64(len(series))/took.Seconds(), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&in, "in", "", "long CSV with unique_id,ds,y")
	cmd.Flags().StringVar(&out, "out", "", "where to write unique_id,ds,yhat")
	cmd.Flags().IntVar(&horizon, "horizon", 0, "steps to forecast")
	cmd.Flags().IntVar(&season, "season", 0, "season length; default from the time stamps")
	cmd.Flags().StringVar(&details, "details", "", "also write per-series method, parameters and errors as JSON lines")
	return cmd
}

// forecastAll runs forecast.Auto over every series on all cores.
func forecastAll(series []dataset.Series, h, season int, tick func()) ([]forecast.Forecast, error) {
	out := make([]forecast.Forecast, len(series))
	stamps := make([]int, len(series))
	for i, s := range series {
		m := season
		if m <= 0 {
			m = inferSeason(s.DS)
		}
		stamps[i] = m
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = forecast.Auto(series[i].Y, h, stamps[i])
				tick()
			}
		}()
	}
	for i := range series {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, nil
}

// inferSeason guesses the season length from the last two time stamps.
func inferSeason(ds []string) int {
	if len(ds) < 2 {
		return 1
	}
	a, errA := time.Parse(time.DateOnly, ds[len(ds)-2])
	b, errB := time.Parse(time.DateOnly, ds[len(ds)-1])
	if errA != nil || errB != nil {
		return 1
	}
	months := (b.Year()-a.Year())*12 + int(b.Month()-a.Month())
	switch days := b.Sub(a).Hours() / 24; {
	case a.Day() == b.Day() && months == 1:
		return 12
	case a.Day() == b.Day() && months == 3:
		return 4
	case days == 1:
		return 7
	}
	return 1
}

func writeForecasts(path string, series []dataset.Series, results []forecast.Forecast, h int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write forecasts: %w", err)
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	w.Write([]string{"unique_id", "ds", "yhat"})
	for i, s := range series {
		next, err := dataset.NextStamps(s.DS, h)
		if err != nil {
			f.Close()
			return fmt.Errorf("series %s: %w", s.ID, err)
		}
		for j, v := range results[i].Mean {
			w.Write([]string{s.ID, next[j], strconv.FormatFloat(v, 'g', 10, 64)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func writeDetails(path string, series []dataset.Series, results []forecast.Forecast) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write details: %w", err)
	}
	enc := json.NewEncoder(f)
	for i, r := range results {
		rec := map[string]any{
			"unique_id": series[i].ID, "method": r.Method, "pattern": r.Class.Pattern,
			"adi": finite(r.Class.ADI), "cv2": finite(r.Class.CV2), "params": r.Params,
			"in_sample_mae": finite(r.InSampleMAE), "holdout_mae": finite(r.HoldoutMAE),
			"holdout_bias": finite(r.HoldoutBias), "spread": finite(r.Spread), "ranked": r.Ranked(),
		}
		if err := enc.Encode(rec); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return f.Close()
}

// finite turns NaN and infinities, which JSON cannot hold, into null.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// progress returns a tick function that draws a bar on a terminal and does
// nothing elsewhere.
func progress(w io.Writer, total int) func() {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("forecast"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	var mu sync.Mutex
	return func() { mu.Lock(); bar.Add(1); mu.Unlock() }
}
