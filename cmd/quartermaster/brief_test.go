package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/bot/llm/llmtest"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// briefScenario puts a small world in a private Redis under the default
// prefix, as a running bot would have left it: SKU1 at DC1 sells 20 a day
// and has 30 left, and its stockout alert is open.
func briefScenario(t *testing.T) map[string]string {
	t.Helper()
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	rdb, _, closeRedis, err := connect(context.Background(), srv.URL(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeRedis)
	ctx := context.Background()
	st := store.New(rdb, "qm:", 1, store.Options{})
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	at := today.AddDate(0, 0, -40).Format(time.RFC3339)
	evs := []string{
		fmt.Sprintf(`{"id":"m1","type":"masterdata.site","occurred_at":%q,"source":"erp","site":"DC1","name":"East","region":"east"}`, at),
		fmt.Sprintf(`{"id":"m2","type":"masterdata.sku","occurred_at":%q,"source":"erp","sku":"SKU1","name":"Widget","unit_cost":20,"unit_price":50,"class":"A","lead_time_days":14}`, at),
	}
	for i := 28; i >= 1; i-- {
		day := today.AddDate(0, 0, -i).Add(10 * time.Hour).Format(time.RFC3339)
		evs = append(evs,
			fmt.Sprintf(`{"id":"o%d","type":"order.created","occurred_at":%q,"source":"erp","order":"O%d","sku":"SKU1","site":"DC1","qty":20}`, i, day, i),
			fmt.Sprintf(`{"id":"sh%d","type":"order.shipped","occurred_at":%q,"source":"erp","order":"O%d","sku":"SKU1","site":"DC1","qty":20}`, i, day, i))
	}
	evs = append(evs, fmt.Sprintf(`{"id":"s1","type":"inventory.snapshot","occurred_at":%q,"source":"wms","sku":"SKU1","site":"DC1","on_hand":30}`, now.Add(-time.Hour).Format(time.RFC3339)))
	bodies := make([][]byte, len(evs))
	for i, e := range evs {
		bodies[i] = []byte(e)
	}
	if err := st.Append(ctx, bodies); err != nil {
		t.Fatal(err)
	}
	entries, err := st.Range(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := consume.NewProcessor(st, "test", time.Now).Process(ctx, entries); err != nil || len(out.Quarantine) > 0 {
		t.Fatalf("apply: %v %+v", err, out.Quarantine)
	}
	mgr := alert.NewManager(st, time.Now, nil) // raised now, after its events arrived
	if _, err := mgr.Fire(ctx, alert.Candidate{
		Kind: alert.KindStockout, SKU: "SKU1", Site: "DC1", Tier: score.Actionable, RevenueAtRisk: 4321,
		StockoutDate: today.AddDate(0, 0, 1).Format(time.DateOnly), Owner: "planner-east", Triggers: []string{"s1"},
		RecommendedAction: "Reorder 500 units",
	}); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"REDIS_URL": srv.URL()}
}

func TestBriefCommand(t *testing.T) {
	env := briefScenario(t)
	ctx := context.Background()
	today := time.Now().UTC().Format(time.DateOnly)

	out, errOut, err := cli(ctx, env, "brief", "--as", "executive")
	if err != nil {
		t.Fatal(err)
	}
	if after := time.Now().UTC().Format(time.DateOnly); after != today && strings.Contains(out, after) {
		today = after // the run crossed midnight
	}
	for _, want := range []string{"Daily briefing " + today + " for executives", "Top risks: 1 open stockout risk, $4,321 at risk", "• SKU1@DC1: $4,321 at risk from"} {
		if !strings.Contains(out, want) {
			t.Errorf("briefing lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "the words come from templates") {
		t.Errorf("stderr does not say the words are the template's: %q", errOut)
	}

	chart := filepath.Join(t.TempDir(), "risks.png")
	out, _, err = cli(ctx, env, "brief", "--json", "--chart", chart)
	if err != nil {
		t.Fatal(err)
	}
	var b brief.Briefing
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if b.Role != "planner" || b.Words != "template" || b.Report.OpenRisks != 1 || b.Report.AtRisk != 4321 || len(b.Facts.Facts) == 0 {
		t.Errorf("JSON briefing %+v", b)
	}
	// The stockout alert was raised an hour after its snapshot happened.
	if d := b.Report.Latency.Detection; d.N != 1 || d.MedianHours < 1 || d.MedianHours > 1.01 {
		t.Errorf("detection latency %+v, want 1 h", d)
	}
	raw, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() != brief.ChartWidth || img.Bounds().Dy() != brief.ChartHeight {
		t.Errorf("chart: %v", err)
	}

	if _, _, err := cli(ctx, env, "brief", "--as", "intern"); err == nil || !strings.Contains(err.Error(), "want one of planner") {
		t.Errorf("--as intern: %v", err)
	}
	if out, _, err := cli(ctx, nil, "brief", "--help"); err != nil || !strings.Contains(out, "Usage:") {
		t.Errorf("--help: %v\n%s", err, out)
	}
	if _, _, err := cli(ctx, nil, "brief"); err == nil || !strings.Contains(err.Error(), "REDIS_URL is unset") {
		t.Errorf("without Redis: %v", err)
	}
}

// With a model configured, its checked opening comes first; the numbers
// are the same.
func TestBriefCommandWithModel(t *testing.T) {
	env := briefScenario(t)
	srv := llmtest.New(t, func(openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
		return llmtest.Text("One stockout risk is open, with $4,321 at risk [F9]."), nil
	})
	env["OPENAI_API_KEY"], env["OPENAI_BASE_URL"] = llmtest.Key, srv.URL()
	out, errOut, err := cli(context.Background(), env, "brief", "--as", "finance")
	if err != nil {
		t.Fatal(err)
	}
	if _, rest, _ := strings.Cut(out, "\n\n"); !strings.HasPrefix(rest, "One stockout risk is open, with $4,321 at risk.\n") {
		t.Errorf("briefing does not open with the model's words:\n%s", out)
	}
	if strings.Contains(errOut, "templates") || strings.Contains(errOut, llmtest.Key) {
		t.Errorf("stderr: %q", errOut)
	}
}
