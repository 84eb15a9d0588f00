package slack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

func ExampleNotifier_Notify() {
	// A stand-in for https://slack.com/api/ that accepts every message.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":true,"channel":"C0SUPPLY","ts":"1764234600.000100"}`)
	}))
	defer srv.Close()

	n := slack.New("xoxb-your-token",
		slack.WithAPIURL(srv.URL+"/"), // SLACK_API_URL in production, if set
		slack.WithMentions(map[string]string{"planner-mro": "<!subteam^S0PLANNERS>"}),
	)
	a := alert.Alert{
		ID: "qm-0123456789abcdef-1", Kind: alert.KindStockout, Tier: score.Critical, State: alert.Firing,
		SKU: "SKU-1001", Site: "DC-EAST", DetectedAt: time.Now(), RevenueAtRisk: 12400,
		StockoutDate: "2026-12-01", RecommendedAction: "Expedite PO-7731", Owner: "planner-mro",
	}
	ref, err := n.Notify(context.Background(), "#supply-alerts", a, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("posted %s in %s\n", ref.Message, ref.Channel)

	// The next revision edits that message and replies in its thread.
	a.Revision, a.Change, a.RevenueAtRisk = 2, alert.Updated, 15800
	ref, err = n.Notify(context.Background(), "#supply-alerts", a, &ref)
	fmt.Println(ref.Message, err)
	// Output:
	// posted 1764234600.000100 in C0SUPPLY
	// 1764234600.000100 <nil>
}
