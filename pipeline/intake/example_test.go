package intake_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/intake"
)

// printStream stands in for the Redis stream: it prints what is appended.
type printStream struct{}

func (printStream) Append(_ context.Context, events [][]byte) error {
	for _, e := range events {
		fmt.Printf("XADD qm:events * event %s\n", e)
	}
	return nil
}

func ExampleNewHandler() {
	now := func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(intake.NewHandler(printStream{}, "s3cret", intake.WithClock(now)))
	defer srv.Close()

	// The second event lacks on_hand: it is appended all the same, and the
	// answer says the consumer will quarantine it.
	body := `{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}
{"id":"wms-884","type":"inventory.snapshot","occurred_at":"2026-11-27T09:20:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST"}
`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/events", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(res.StatusCode, " ", string(answer))
	// Output:
	// XADD qm:events * event {"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}
	// XADD qm:events * event {"id":"wms-884","type":"inventory.snapshot","occurred_at":"2026-11-27T09:20:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST"}
	// 202 {"accepted":2,"will_quarantine":1,"reasons":{"missing_field":1}}
}

func ExampleImportFile() {
	st, err := intake.ImportFile(context.Background(), printStream{}, "testdata/events.csv", intake.ImportOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d lines, %d appended, %d rejected\n", st.Lines, st.Appended, st.Rejected)
	for _, e := range st.Errors {
		fmt.Println(e.Error())
	}
	// Output:
	// XADD qm:events * event {"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}
	// XADD qm:events * event {"id":"erp-ord-5001","type":"order.created","occurred_at":"2026-11-27T09:00:00Z","source":"erp","sku":"SKU-1001","site":"DC-EAST","qty":12,"order":"ORD-5001"}
	// XADD qm:events * event {"id":"wms-885","type":"inventory.snapshot","occurred_at":"2026-11-27T09:30:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":"ten"}
	// 5 lines, 3 appended, 1 rejected
	// line 4: invalid_json: csv row has 8 cells, header has 9 columns
}
