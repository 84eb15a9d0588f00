package event

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestCSVToJSON(t *testing.T) {
	snap := []string{"id", "type", "occurred_at", "source", "sku", "site", "on_hand"}
	cases := []struct {
		name   string
		header []string
		record []string
		want   string
	}{
		{"snapshot", snap,
			[]string{"wms-881", "inventory.snapshot", "2026-11-27T09:10:00Z", "wms-east", "SKU-1001", "DC-EAST", "140"},
			`{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}`},
		{"empty cells omitted", []string{"id", "sku", "on_hand", "allocated"},
			[]string{"a", "", "1", ""}, `{"id":"a","on_hand":1}`},
		{"blank cells omitted", []string{"id", "note", "qty"},
			[]string{"a", "  ", "\t"}, `{"id":"a"}`},
		{"no cells at all", []string{"id", "qty"}, []string{"", ""}, `{}`},
		{"number padded with spaces", []string{"on_hand"}, []string{" 12.5 "}, `{"on_hand":12.5}`},
		{"negative number stays a number for Decode to judge", []string{"delta"}, []string{"-3"}, `{"delta":-3}`},
		{"exponent", []string{"qty"}, []string{"1e3"}, `{"qty":1e3}`},
		{"integer fields", []string{"priority", "schema"}, []string{"2", "1"}, `{"priority":2,"schema":1}`},
		{"every numeric field",
			[]string{"unit_cost", "unit_price", "case_qty", "lead_time_days", "priority", "on_hand", "allocated", "delta", "qty", "schema"},
			[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
			`{"unit_cost":1,"unit_price":2,"case_qty":3,"lead_time_days":4,"priority":5,"on_hand":6,"allocated":7,"delta":8,"qty":9,"schema":10}`},
		// Anything JSON would not call a number is left for Decode to refuse.
		{"thousands separator stays a string", []string{"on_hand"}, []string{"1,200"}, `{"on_hand":"1,200"}`},
		{"decimal comma stays a string", []string{"qty"}, []string{"2,5"}, `{"qty":"2,5"}`},
		{"word stays a string", []string{"qty"}, []string{"ten"}, `{"qty":"ten"}`},
		{"hex stays a string", []string{"qty"}, []string{"0x10"}, `{"qty":"0x10"}`},
		{"Inf stays a string", []string{"qty"}, []string{"Inf"}, `{"qty":"Inf"}`},
		{"NaN stays a string", []string{"qty"}, []string{"NaN"}, `{"qty":"NaN"}`},
		{"leading plus stays a string", []string{"qty"}, []string{"+5"}, `{"qty":"+5"}`},
		{"leading dot stays a string", []string{"qty"}, []string{".5"}, `{"qty":".5"}`},
		{"trailing dot stays a string", []string{"qty"}, []string{"5."}, `{"qty":"5."}`},
		{"leading zero stays a string", []string{"qty"}, []string{"007"}, `{"qty":"007"}`},
		{"underscores stay a string", []string{"qty"}, []string{"1_000"}, `{"qty":"1_000"}`},
		{"unit suffix stays a string", []string{"qty"}, []string{"12 EA"}, `{"qty":"12 EA"}`},
		{"string that is not a number is kept verbatim", []string{"qty"}, []string{" ten "}, `{"qty":" ten "}`},
		// Strings are never numbers, whatever they look like.
		{"numeric sku stays a string", []string{"sku"}, []string{"1001"}, `{"sku":"1001"}`},
		{"numeric id stays a string", []string{"id"}, []string{"881"}, `{"id":"881"}`},
		{"string kept verbatim", []string{"sku"}, []string{" SKU-1 "}, `{"sku":" SKU-1 "}`},
		{"time stays a string", []string{"promised_at"}, []string{"2026-12-04"}, `{"promised_at":"2026-12-04"}`},
		{"unknown column passed as string", []string{"id", "bin"}, []string{"a", "42"}, `{"id":"a","bin":"42"}`},
		{"substitutes split", []string{"substitutes"}, []string{"SKU-1002|SKU-1003"}, `{"substitutes":["SKU-1002","SKU-1003"]}`},
		{"substitutes of one", []string{"substitutes"}, []string{"SKU-1002"}, `{"substitutes":["SKU-1002"]}`},
		{"substitutes numeric stay strings", []string{"substitutes"}, []string{"1002|1003"}, `{"substitutes":["1002","1003"]}`},
		{"substitutes gap kept for Decode", []string{"substitutes"}, []string{"A||B"}, `{"substitutes":["A","","B"]}`},
		{"daily split", []string{"daily"}, []string{"11.5|12|0"}, `{"daily":[11.5,12,0]}`},
		{"daily of one", []string{"daily"}, []string{"7"}, `{"daily":[7]}`},
		{"daily padded", []string{"daily"}, []string{"1 | 2"}, `{"daily":[1,2]}`},
		{"daily with a word", []string{"daily"}, []string{"12|n/a|13"}, `{"daily":[12,"n/a",13]}`},
		{"daily with a gap", []string{"daily"}, []string{"12||13"}, `{"daily":[12,"",13]}`},
		{"html characters not escaped", []string{"name"}, []string{"A&B <bulk>"}, `{"name":"A&B <bulk>"}`},
		{"quotes and newlines escaped", []string{"note"}, []string{"said \"late\"\nagain"}, `{"note":"said \"late\"\nagain"}`},
		{"byte order mark in header", []string{"\uFEFFid", "qty"}, []string{"a", "1"}, `{"id":"a","qty":1}`},
		{"header names padded", []string{" id ", "qty "}, []string{"a", "1"}, `{"id":"a","qty":1}`},
		{"unnamed empty column ignored", []string{"id", ""}, []string{"a", ""}, `{"id":"a"}`},
		{"header order kept", []string{"qty", "type", "id"}, []string{"1", "order.created", "z"}, `{"qty":1,"type":"order.created","id":"z"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CSVToJSON(tc.header, tc.record)
			if err != nil {
				t.Fatalf("CSVToJSON: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("CSVToJSON =\n%s\nwant\n%s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("CSVToJSON made invalid JSON: %s", got)
			}
		})
	}
}

func TestCSVToJSONErrors(t *testing.T) {
	cases := []struct {
		name   string
		header []string
		record []string
		want   string // in the error text
	}{
		{"row too short", []string{"id", "type"}, []string{"a"}, "1 cells, header has 2 columns"},
		{"row too long", []string{"id"}, []string{"a", "b"}, "2 cells, header has 1 columns"},
		{"column twice", []string{"id", "qty", "id"}, []string{"a", "1", "b"}, `"id" appears twice`},
		{"column twice after normalizing", []string{"qty", " qty"}, []string{"1", ""}, `"qty" appears twice`},
		{"data under an unnamed column", []string{"id", ""}, []string{"a", "140"}, "column 2 has no name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CSVToJSON(tc.header, tc.record)
			if err == nil {
				t.Fatalf("CSVToJSON = %s, want an error containing %q", got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CSVToJSON error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestCSVFile imports testdata/events.csv. Its first rows are the events of
// testdata/valid.jsonl and must decode to exactly the same events, which
// pins the typing of every field kind; the rest are rows a spreadsheet
// produces, with the outcome each must have.
func TestCSVFile(t *testing.T) {
	f, err := os.Open("testdata/events.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := rows[0], rows[1:]

	fromJSON := make(map[string]Event)
	for _, line := range readValid(t) {
		ev, err := Decode(line, testNow)
		if err != nil {
			t.Fatalf("valid.jsonl: %v", err)
		}
		fromJSON[ev.ID] = ev
	}
	type outcome struct {
		reason Reason
		field  string
	}
	want := map[string]outcome{
		"csv-spaces":        {},
		"csv-quoted":        {},
		"csv-thousands":     {ReasonInvalidField, "on_hand"},
		"csv-hex":           {ReasonInvalidField, "on_hand"},
		"csv-inf":           {ReasonInvalidField, "on_hand"},
		"csv-no-site":       {ReasonMissingField, "site"},
		"csv-negative":      {ReasonNegativeQuantity, "on_hand"},
		"csv-qty-word":      {ReasonInvalidField, "qty"},
		"csv-priority-word": {ReasonInvalidField, "priority"},
		"csv-daily-na":      {ReasonInvalidField, "daily"},
		"csv-subs-gap":      {ReasonInvalidField, "substitutes"},
	}

	seen := make(map[string]bool)
	for i, rec := range rows {
		id := rec[0]
		seen[id] = true
		t.Run(id, func(t *testing.T) {
			raw, err := CSVToJSON(header, rec)
			if err != nil {
				t.Fatalf("row %d: %v", i+2, err)
			}
			ev, err := Decode(raw, testNow)
			if jev, ok := fromJSON[id]; ok {
				if err != nil {
					t.Fatalf("Decode(%s): %v", raw, err)
				}
				if !reflect.DeepEqual(ev, jev) {
					t.Errorf("from CSV:\n%+v\nfrom JSON:\n%+v", ev, jev)
				}
				return
			}
			w, ok := want[id]
			if !ok {
				t.Fatalf("row %d: no expectation for id %q", i+2, id)
			}
			if w.reason == "" {
				if err != nil {
					t.Fatalf("Decode(%s): %v", raw, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Reason != w.reason || e.Field != w.field {
				t.Errorf("Decode(%s) error = %v, want %s on %q", raw, err, w.reason, w.field)
			}
		})
	}
	for id := range fromJSON {
		if !seen[id] {
			t.Errorf("events.csv has no row for %s of valid.jsonl", id)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("events.csv has no row %s", id)
		}
	}
}

// TestCSVNumericFields pins which contract fields the import turns into
// numbers, since it takes them from the schema table rather than a list.
func TestCSVNumericFields(t *testing.T) {
	var got []string
	for name, k := range kinds {
		if k == kNumber || k == kInt {
			got = append(got, name)
		}
	}
	sort.Strings(got)
	want := []string{"allocated", "case_qty", "delta", "lead_time_days", "on_hand", "priority", "qty", "schema", "unit_cost", "unit_price"}
	if !slices.Equal(got, want) {
		t.Errorf("numeric fields = %v, want %v", got, want)
	}
	for name, want := range map[string]kind{"substitutes": kStrings, "daily": kNumbers, "id": kString, "occurred_at": kTime, "eta": kDateTime} {
		if k, ok := kindOf(name); !ok || k != want {
			t.Errorf("kindOf(%q) = %v, %v; want %v", name, k, ok, want)
		}
	}
	if _, ok := kindOf("bin"); ok {
		t.Error(`kindOf("bin") reports a field the contract does not define`)
	}
}

// TestFieldKindsAgree holds the schema table to one kind per field name,
// which kindOf and so the CSV import rely on.
func TestFieldKindsAgree(t *testing.T) {
	for _, typ := range Types() {
		for _, f := range schemas[typ] {
			if k := kinds[f.name]; k != f.kind {
				t.Errorf("%s: %s is kind %d here and %d in another type", typ, f.name, f.kind, k)
			}
		}
	}
}
