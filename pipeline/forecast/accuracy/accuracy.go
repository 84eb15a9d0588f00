// Package accuracy is the forecast accuracy harness: it runs forecasting
// methods over the public data sets in ../shared/data/forecast and scores
// them exactly as the published tables were scored, so that each of our
// numbers can be read beside one nobody on this project wrote.
package accuracy

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/forecast"
	"github.com/quartermaster-ops/quartermaster/pipeline/forecast/dataset"
)

// The two protocols of the data README.
const (
	M4WeeklyHorizon = 13 // M4 Weekly: horizon 13, season 1
	M4WeeklySeason  = 1
	CarpartsHorizon = 12 // fev car_parts: horizon 12, season 12
	CarpartsSeason  = 12
)

// Published figures that exist only in the data README (the bias-aware
// score is this project's guard, not a published table).
var carpartsBiasAware = map[string]float64{"seasonal_naive": 1.735, "zero": 2.000}

// Method is a forecasting method to score. Published names the method in
// the published tables: its method_id in M4_point_forecast_scores_by_frequency
// and its model_name in fev_chronos_benchmarkII_selected ("" when it has
// none).
type Method struct {
	Name          string
	Func          forecast.Func
	M4Published   string
	FevPublished  string
	DemandClamped bool // apply forecast.NonNegative before scoring car parts
}

// Row is one method's scores on one data set, with the published figures
// beside them (NaN where there is none).
type Row struct {
	Dataset, Method string
	// M4 protocol.
	SMAPE, MASE, OWA          float64
	PubSMAPE, PubMASE, PubOWA float64
	// fev car-parts protocol.
	FevMASE, BiasAware       float64
	PubFevMASE, PubBiasAware float64
	Scored, Skipped          int // series in the fev MASE, series left out for a zero scale
	Elapsed                  time.Duration
	Forecasts                [][]float64 // per series, in file order
}

// Data is a loaded data set: training and test series paired by position.
type Data struct {
	Train, Test []dataset.Series
}

// Load reads <dir>/<name>_train.csv and <name>_test.csv and checks that
// they pair up.
func Load(dir, name string) (Data, error) {
	train, err := dataset.LoadLong(filepath.Join(dir, name+"_train.csv"))
	if err != nil {
		return Data{}, err
	}
	test, err := dataset.LoadLong(filepath.Join(dir, name+"_test.csv"))
	if err != nil {
		return Data{}, err
	}
	if len(train) != len(test) {
		return Data{}, fmt.Errorf("%s: %d training series but %d test series", name, len(train), len(test))
	}
	for i := range train {
		if train[i].ID != test[i].ID {
			return Data{}, fmt.Errorf("%s: series %d is %s in train but %s in test", name, i, train[i].ID, test[i].ID)
		}
	}
	return Data{Train: train, Test: test}, nil
}

// forecastAll runs f over every series with the horizon of its test part.
func forecastAll(d Data, f forecast.Func, m int, clamp bool) ([][]float64, time.Duration) {
	out := make([][]float64, len(d.Train))
	start := time.Now()
	// Series are independent: forecast them on every core. Scores are
	// summed afterwards in file order, so they do not depend on scheduling.
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := f(d.Train[i].Y, len(d.Test[i].Y), m)
				if clamp {
					r = forecast.NonNegative(r)
				}
				out[i] = r.Mean
			}
		}()
	}
	for i := range d.Train {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, time.Since(start)
}

// M4Weekly scores methods on M4 Weekly with the M4 protocol. The first
// method named Naive2 (by M4Published) is the OWA reference; without one,
// OWA is NaN.
func M4Weekly(dir string, methods []Method) ([]Row, error) {
	d, err := Load(dir, "m4_weekly")
	if err != nil {
		return nil, err
	}
	pub, err := readM4Published(filepath.Join(dir, "published", "M4_point_forecast_scores_by_frequency.csv"))
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(methods))
	var ref *forecast.M4Score
	scores := make([]forecast.M4Score, len(methods))
	for k, m := range methods {
		fc, elapsed := forecastAll(d, m.Func, M4WeeklySeason, false)
		for i := range d.Train {
			scores[k].Add(d.Train[i].Y, d.Test[i].Y, fc[i], M4WeeklySeason)
		}
		if m.M4Published == "Naive2" && ref == nil {
			ref = &scores[k]
		}
		p, ok := pub[m.M4Published]
		if !ok {
			p = [3]float64{math.NaN(), math.NaN(), math.NaN()}
		}
		rows = append(rows, Row{
			Dataset: "m4_weekly", Method: m.Name,
			SMAPE: scores[k].SMAPE(), MASE: scores[k].MASE(), OWA: math.NaN(),
			PubSMAPE: p[0], PubMASE: p[1], PubOWA: p[2],
			FevMASE: math.NaN(), BiasAware: math.NaN(), PubFevMASE: math.NaN(), PubBiasAware: math.NaN(),
			Elapsed: elapsed, Forecasts: fc,
		})
	}
	if ref != nil {
		for k := range rows {
			rows[k].OWA = scores[k].OWA(ref)
		}
	}
	return rows, nil
}

// Carparts scores methods on the car-parts data with the fev protocol and
// the bias-aware score.
func Carparts(dir string, methods []Method) ([]Row, error) {
	d, err := Load(dir, "carparts")
	if err != nil {
		return nil, err
	}
	pub, err := readFevPublished(filepath.Join(dir, "published", "fev_chronos_benchmarkII_selected.csv"), "monash_car_parts")
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(methods))
	for _, m := range methods {
		fc, elapsed := forecastAll(d, m.Func, CarpartsSeason, m.DemandClamped)
		var s forecast.DemandScore
		for i := range d.Train {
			s.Add(d.Train[i].Y, d.Test[i].Y, fc[i], CarpartsSeason)
		}
		scored, skipped := s.Series()
		pm, ok := pub[m.FevPublished]
		if !ok {
			pm = math.NaN()
		}
		pb, ok := carpartsBiasAware[m.FevPublished]
		if !ok {
			pb = math.NaN()
		}
		rows = append(rows, Row{
			Dataset: "carparts", Method: m.Name,
			SMAPE: math.NaN(), MASE: math.NaN(), OWA: math.NaN(),
			PubSMAPE: math.NaN(), PubMASE: math.NaN(), PubOWA: math.NaN(),
			FevMASE: s.MASE(), BiasAware: s.BiasAware(), PubFevMASE: pm, PubBiasAware: pb,
			Scored: scored, Skipped: skipped, Elapsed: elapsed, Forecasts: fc,
		})
	}
	return rows, nil
}

// Zero is the forecast of no demand at all, the degenerate method that MASE
// flatters on intermittent data; the harness scores it as a warning.
func Zero(y []float64, h, _ int) forecast.Result {
	fitted := make([]float64, len(y))
	return forecast.Result{Method: "zero", Mean: make([]float64, max(h, 0)), Fitted: fitted, Params: map[string]float64{}}
}

// Print writes rows as a table, ours beside the published figures.
func Print(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tmethod\tsMAPE\tpublished\tMASE\tpublished\tOWA\tpublished\tfev MASE\tpublished\tbias-aware\tREADME\ttime\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Dataset, r.Method,
			num(r.SMAPE), num(r.PubSMAPE), num(r.MASE), num(r.PubMASE), num(r.OWA), num(r.PubOWA),
			num(r.FevMASE), num(r.PubFevMASE), num(r.BiasAware), num(r.PubBiasAware),
			r.Elapsed.Round(time.Millisecond))
	}
	return tw.Flush()
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// readM4Published returns sMAPE, MASE and OWA on Weekly by method_id.
func readM4Published(path string) (map[string][3]float64, error) {
	recs, col, err := readTable(path)
	if err != nil {
		return nil, err
	}
	out := map[string][3]float64{}
	for _, rec := range recs {
		var v [3]float64
		for j, name := range []string{"sMAPE_Weekly", "MASE_Weekly", "OWA_Weekly"} {
			if v[j], err = strconv.ParseFloat(rec[col[name]], 64); err != nil {
				return nil, fmt.Errorf("%s: %s of %s: %w", path, name, rec[col["method_id"]], err)
			}
		}
		out[rec[col["method_id"]]] = v
	}
	return out, nil
}

// readFevPublished returns MASE on one fev data set by model_name.
func readFevPublished(path, config string) (map[string]float64, error) {
	recs, col, err := readTable(path)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, rec := range recs {
		if rec[col["dataset_config"]] != config {
			continue
		}
		v, err := strconv.ParseFloat(rec[col["MASE"]], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: MASE of %s: %w", path, rec[col["model_name"]], err)
		}
		out[rec[col["model_name"]]] = v
	}
	return out, nil
}

func readTable(path string) ([][]string, map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil, errors.New(path + ": empty")
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	return recs[1:], col, nil
}
