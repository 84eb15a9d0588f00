package ask

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// now is the scenario's fixed clock: Tuesday 2026-03-10, noon UTC.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// fixture is the scenario loaded into a private prefix of the test Redis.
type fixture struct {
	st   *store.Store
	pol  *detect.Policy
	mgr  *alert.Manager
	proc *consume.Processor
	seq  store.IDClock
	last string // the last stream entry applied
}

// policy is the default policy file's detection policy, as app.DetectPolicy
// builds it (bot/app imports this package, so the test cannot import it).
func policy() *detect.Policy {
	cfg := config.Default()
	return &detect.Policy{
		HorizonDays: cfg.Stock.HorizonDays, DefaultLeadTimeDays: cfg.Stock.DefaultLeadTimeDays,
		ServiceLevel: cfg.Stock.ServiceLevel, Score: cfg.Tiers, Owner: cfg.Owners.Owner,
		Demand: &detect.Forecaster{Source: cfg.Stock.DemandSource, HistoryDays: cfg.Stock.HistoryDays, WindowDays: cfg.Stock.DemandWindowDays},
		Exceptions: detect.Thresholds{DelayDays: cfg.Exceptions.DelayDays, SlipDays: cfg.Exceptions.SlipDays,
			AnomalyFactor: cfg.Exceptions.AnomalyFactor, AnomalyMinUnits: cfg.Exceptions.AnomalyMinUnits,
			DriftRatio: cfg.Exceptions.DriftRatio},
	}
}

// readEvents reads a JSONL file of events.
func readEvents(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// load puts events through the real path (the raw stream, then decode,
// validation, resolution and apply), runs one detection sweep as the bot
// would at the fixed clock, then applies acknowledgements, which need the
// alerts they name.
func load(t testing.TB, events [][]byte) *fixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	st := store.New(rdb, prefix, 1, store.Options{})
	fx := &fixture{st: st, pol: policy(), proc: consume.NewProcessor(st, "test", clock)}
	fx.mgr = alert.NewManager(st, clock, nil)
	var main, acks [][]byte
	for _, ev := range events {
		var head struct{ Type string }
		json.Unmarshal(ev, &head)
		if head.Type == "exception.acknowledged" {
			acks = append(acks, ev)
		} else {
			main = append(main, ev)
		}
	}
	fx.apply(t, main)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := detect.NewRunner(st, fx.pol, []detect.Detector{detect.Stockout{}, detect.Late{}, detect.Anomaly{}}, fx.mgr, st.Positions,
		func() bool { return true }, clock, time.Hour, log, nil)
	r.SitesOf = st.SitesOf
	r.Sweep(ctx)
	fx.apply(t, acks)
	return fx
}

// apply appends events to the stream and processes them as the consumer
// does, acknowledging alerts as the bot does after each batch. Any event
// refused fails the test: the scenario is valid by construction.
func (fx *fixture) apply(t testing.TB, events [][]byte) {
	t.Helper()
	if len(events) == 0 {
		return
	}
	ctx := context.Background()
	ids := make([]string, len(events))
	for i := range events {
		ids[i] = fx.seq.Next(now)
	}
	if err := fx.st.AppendAt(ctx, ids, events); err != nil {
		t.Fatal(err)
	}
	entries, err := fx.st.Range(ctx, fx.last, int64(len(ids)))
	if err != nil {
		t.Fatal(err)
	}
	fx.last = ids[len(ids)-1]
	out, err := fx.proc.Process(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Quarantine) > 0 || len(out.Failed) > 0 {
		t.Fatalf("scenario events refused: %+v, failed %v", out.Quarantine, out.Failed)
	}
	for _, ack := range out.Acks {
		if _, err := fx.mgr.Acknowledge(ctx, ack.Alert, ack.By, ack.Note, []string{ack.ID}); err != nil {
			t.Fatal(err)
		}
	}
}

// scenario loads testdata/scenario.jsonl.
func scenario(t testing.TB) *fixture {
	t.Helper()
	return load(t, readEvents(t, "testdata/scenario.jsonl"))
}
