package intake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const testToken = "s3cret-token"

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// Events as producers send them.
const (
	snapshot = `{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}`
	received = `{"id":"wms-883","type":"inventory.received","occurred_at":"2026-11-27T09:12:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","qty":10}`
	// noOnHand lacks a required field, future is an hour ahead of testNow:
	// both are appended and quarantined by the consumer.
	noOnHand = `{"id":"wms-884","type":"inventory.snapshot","occurred_at":"2026-11-27T09:20:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST"}`
	future   = `{"id":"wms-885","type":"inventory.snapshot","occurred_at":"2026-11-27T11:00:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":1}`
)

func TestHandler(t *testing.T) {
	tests := []struct {
		name      string
		disabled  bool   // the server has no token
		method    string // POST when empty
		auth      string // the Authorization header; "Bearer "+testToken when empty
		header    http.Header
		body      []byte
		chunked   bool // send without a Content-Length
		opts      []Option
		appendErr error

		wantCode   int
		wantBody   string
		wantHeader http.Header
		wantEvents []string // appended, in order
	}{
		{
			name:     "disabled without a token",
			disabled: true,
			body:     []byte(`[` + snapshot + `]`),
			wantCode: http.StatusServiceUnavailable,
			wantBody: `{"error":"ingest API disabled: set QM_INGEST_TOKEN"}`,
		},
		{
			name:       "missing token",
			auth:       "-",
			body:       []byte(`[` + snapshot + `]`),
			wantCode:   http.StatusUnauthorized,
			wantBody:   `{"error":"missing or wrong bearer token"}`,
			wantHeader: http.Header{"Www-Authenticate": {`Bearer realm="quartermaster"`}},
		},
		{
			name:     "wrong token",
			auth:     "Bearer s3cret-tokem",
			body:     []byte(`[` + snapshot + `]`),
			wantCode: http.StatusUnauthorized,
			wantBody: `{"error":"missing or wrong bearer token"}`,
		},
		{
			name:     "token as a prefix of the right one",
			auth:     "Bearer s3cret",
			body:     []byte(`[` + snapshot + `]`),
			wantCode: http.StatusUnauthorized,
			wantBody: `{"error":"missing or wrong bearer token"}`,
		},
		{
			name:     "basic scheme",
			auth:     "Basic " + testToken,
			body:     []byte(`[` + snapshot + `]`),
			wantCode: http.StatusUnauthorized,
			wantBody: `{"error":"missing or wrong bearer token"}`,
		},
		{
			name:       "scheme is case-insensitive",
			auth:       "bearer " + testToken,
			body:       []byte(`[` + snapshot + `]`),
			wantCode:   http.StatusAccepted,
			wantBody:   `{"accepted":1,"will_quarantine":0}`,
			wantEvents: []string{snapshot},
		},
		{
			name:       "GET",
			method:     http.MethodGet,
			wantCode:   http.StatusMethodNotAllowed,
			wantBody:   `{"error":"method not allowed: use POST"}`,
			wantHeader: http.Header{"Allow": {"POST"}},
		},
		{
			name:     "body over the limit",
			body:     []byte(`[` + snapshot + `,` + snapshot + `]`),
			opts:     []Option{WithMaxBodyBytes(200)},
			wantCode: http.StatusRequestEntityTooLarge,
			wantBody: `{"error":"body larger than 200 bytes: split the batch"}`,
		},
		{
			name:     "chunked body over the limit",
			body:     []byte(`[` + snapshot + `,` + snapshot + `]`),
			chunked:  true,
			opts:     []Option{WithMaxBodyBytes(200)},
			wantCode: http.StatusRequestEntityTooLarge,
			wantBody: `{"error":"body larger than 200 bytes: split the batch"}`,
		},
		{
			name:     "more events than allowed",
			body:     lines(snapshot, received, noOnHand),
			opts:     []Option{WithMaxEvents(2)},
			wantCode: http.StatusRequestEntityTooLarge,
			wantBody: `{"error":"more than 2 events in one request: split the batch"}`,
		},
		{
			name:       "array",
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       []byte(`[` + snapshot + `,` + received + `]`),
			wantCode:   http.StatusAccepted,
			wantBody:   `{"accepted":2,"will_quarantine":0}`,
			wantEvents: []string{snapshot, received},
		},
		{
			name:   "pretty array is compacted with its content kept",
			header: http.Header{"Content-Type": {"application/json"}},
			body: []byte("\n  [\n  {\n    \"id\": \"wms-886\", \"type\": \"inventory.adjusted\",\n" +
				"    \"occurred_at\": \"2026-11-27T09:10:00Z\", \"source\": \"wms-east\",\n" +
				"    \"sku\": \"SKU-1001\", \"site\": \"DC-EAST\", \"delta\": -3.0,\n" +
				"    \"reason\": \"caf\\u00e9 <spill> & \\\"wet\\\"\"\n  }\n]\n"),
			wantCode: http.StatusAccepted,
			wantBody: `{"accepted":1,"will_quarantine":0}`,
			wantEvents: []string{`{"id":"wms-886","type":"inventory.adjusted","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east",` +
				`"sku":"SKU-1001","site":"DC-EAST","delta":-3.0,"reason":"caf\u00e9 <spill> & \"wet\""}`},
		},
		{
			name:       "NDJSON with blank and CRLF lines",
			header:     http.Header{"Content-Type": {"application/x-ndjson"}},
			body:       []byte(snapshot + "\r\n\r\n  \n" + received + "\r\n"),
			wantCode:   http.StatusAccepted,
			wantBody:   `{"accepted":2,"will_quarantine":0}`,
			wantEvents: []string{snapshot, received},
		},
		{
			name:       "NDJSON without a final newline or a Content-Type",
			body:       []byte(snapshot + "\n" + received),
			wantCode:   http.StatusAccepted,
			wantBody:   `{"accepted":2,"will_quarantine":0}`,
			wantEvents: []string{snapshot, received},
		},
		{
			name:     "one bad NDJSON line rejects the batch",
			body:     lines(snapshot, "", received, `{"id":"wms-887",`, noOnHand),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"1 of the events are not JSON objects; nothing was appended: fix them and resend the whole batch",
				"rejected":[{"index":2,"line":4,"reason":"invalid_json","detail":"unexpected end of JSON input"}]}`,
		},
		{
			name:     "array element that is not an object",
			body:     []byte("[\n" + snapshot + ",\n\"wms-886\",\n" + received + ",\n7\n]"),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"2 of the events are not JSON objects; nothing was appended: fix them and resend the whole batch",
				"rejected":[{"index":1,"line":3,"reason":"invalid_json","detail":"want a JSON object, got a string"},
				{"index":3,"line":5,"reason":"invalid_json","detail":"want a JSON object, got a number"}]}`,
		},
		{
			name:     "array whose syntax breaks",
			body:     []byte("[\n" + snapshot + ",\n" + `{"id":"wms-886" "type":"x"}` + ",\n" + received + "\n]"),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"1 of the events are not JSON objects; nothing was appended: fix them and resend the whole batch",
				"rejected":[{"index":1,"line":3,"reason":"invalid_json","detail":"invalid character '\"' after object key:value pair"}]}`,
		},
		{
			name:     "array not closed",
			body:     []byte("[" + snapshot + ",\n" + received),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"1 of the events are not JSON objects; nothing was appended: fix them and resend the whole batch",
				"rejected":[{"index":2,"line":2,"reason":"invalid_json","detail":"unexpected end of input: the array is not closed"}]}`,
		},
		{
			name:     "data after the array",
			body:     []byte("[" + snapshot + "]\n" + received),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"1 of the events are not JSON objects; nothing was appended: fix them and resend the whole batch",
				"rejected":[{"index":1,"line":2,"reason":"invalid_json","detail":"unexpected data after the array"}]}`,
		},
		{
			name:       "accepted with what will be quarantined",
			body:       lines(snapshot, noOnHand, future, received, `{"id":"x-1"}`),
			opts:       []Option{WithClock(func() time.Time { return testNow })},
			wantCode:   http.StatusAccepted,
			wantBody:   `{"accepted":5,"will_quarantine":3,"reasons":{"missing_field":2,"future_time":1}}`,
			wantEvents: []string{snapshot, noOnHand, future, received, `{"id":"x-1"}`},
		},
		{
			name:     "empty body",
			body:     []byte(" \n"),
			wantCode: http.StatusAccepted,
			wantBody: `{"accepted":0,"will_quarantine":0}`,
		},
		{
			name:     "empty array",
			body:     []byte("[]"),
			wantCode: http.StatusAccepted,
			wantBody: `{"accepted":0,"will_quarantine":0}`,
		},
		{
			name:     "compressed body",
			header:   http.Header{"Content-Encoding": {"gzip"}},
			body:     []byte("\x1f\x8b"),
			wantCode: http.StatusUnsupportedMediaType,
			wantBody: `{"error":"content encoding \"gzip\" is not supported: send the body uncompressed"}`,
		},
		{
			name:       "appender fails",
			body:       []byte(`[` + snapshot + `]`),
			appendErr:  errRedisDown,
			wantCode:   http.StatusServiceUnavailable,
			wantBody:   `{"error":"event stream unavailable: retry the whole batch"}`,
			wantHeader: http.Header{"Retry-After": {"1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAppender{err: tt.appendErr}
			token := testToken
			if tt.disabled {
				token = ""
			}
			opts := append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, tt.opts...)
			srv := httptest.NewServer(NewHandler(a, token, opts...))
			defer srv.Close()

			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length from the client
			}
			method := cmp.Or(tt.method, http.MethodPost)
			req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/v1/events", body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			switch tt.auth {
			case "":
				req.Header.Set("Authorization", "Bearer "+testToken)
			case "-":
			default:
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}

			if res.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d; body %s", res.StatusCode, tt.wantCode, got)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !jsonEqual(t, got, []byte(tt.wantBody)) {
				t.Errorf("body = %s\nwant %s", got, tt.wantBody)
			}
			if strings.Contains(string(got), "10.0.0.7") {
				t.Errorf("body leaks the appender's error: %s", got)
			}
			for k, v := range tt.wantHeader {
				if got := res.Header.Values(k); !slices.Equal(got, v) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if got := a.events(); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("appended %q\nwant %q", got, tt.wantEvents)
			}
			if n := len(a.sizes()); n > 1 {
				t.Errorf("appended in %d calls, want one batch per request", n)
			}
		})
	}
}

func TestHandlerRejectedListIsCapped(t *testing.T) {
	var body bytes.Buffer
	for range MaxReportedErrors + 20 {
		body.WriteString("nope\n")
	}
	a := &fakeAppender{}
	h := NewHandler(a, testToken)
	req := httptest.NewRequest(http.MethodPost, "/v1/events", &body)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	var res errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusBadRequest || len(res.Rejected) != MaxReportedErrors || res.RejectedTotal != MaxReportedErrors+20 {
		t.Errorf("got %d with %d rejected of %d, want 400 with %d of %d",
			rec.Code, len(res.Rejected), res.RejectedTotal, MaxReportedErrors, MaxReportedErrors+20)
	}
	if last := res.Rejected[len(res.Rejected)-1]; last.Index != MaxReportedErrors-1 || last.Line != MaxReportedErrors {
		t.Errorf("last reported = %+v", last)
	}
}

func TestHandlerMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	a := &fakeAppender{}
	// Two handlers on one registry share the counters rather than panic.
	h1 := NewHandler(a, testToken, WithRegisterer(reg))
	h2 := NewHandler(a, testToken, WithRegisterer(reg))

	post := func(h http.Handler, auth, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/events", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	post(h1, "Bearer "+testToken, string(lines(snapshot, received)))
	post(h2, "Bearer "+testToken, "["+snapshot+"]")
	post(h1, "Bearer nope", "["+snapshot+"]")
	post(h2, "Bearer "+testToken, "nope")

	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"qm_intake_requests_total,code=202": 2,
		"qm_intake_requests_total,code=401": 1,
		"qm_intake_requests_total,code=400": 1,
		"qm_intake_events_total,path=http":  3,
	}
	if !maps.Equal(got, want) {
		t.Errorf("metrics = %v\nwant %v", got, want)
	}
}
