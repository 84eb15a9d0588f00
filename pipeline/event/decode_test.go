package event

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testNow is the arrival clock for every test: five minutes after the
// newest occurred_at in testdata/valid.jsonl.
var testNow = time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC)

// readValid returns the lines of testdata/valid.jsonl in file order.
func readValid(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open("testdata/valid.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// examples returns the valid example of each type, keyed by type. It fails
// the test when the fixture does not hold exactly one line per type, so a
// type added to the contract cannot go untested.
func examples(tb testing.TB) map[Type][]byte {
	tb.Helper()
	byType := make(map[Type][]byte)
	for _, line := range readValid(tb) {
		var env struct{ Type Type }
		if err := json.Unmarshal(line, &env); err != nil {
			tb.Fatalf("valid.jsonl: %v: %s", err, line)
		}
		if _, dup := byType[env.Type]; dup {
			tb.Fatalf("valid.jsonl: two examples of %s", env.Type)
		}
		byType[env.Type] = line
	}
	for _, typ := range Types() {
		if _, ok := byType[typ]; !ok {
			tb.Fatalf("valid.jsonl: no example of %s", typ)
		}
	}
	if len(byType) != len(Types()) {
		tb.Fatalf("valid.jsonl: %d types, want the %d of Types()", len(byType), len(Types()))
	}
	return byType
}

// edit returns raw with the fields in del removed and those in set replaced.
// A json.RawMessage value is written verbatim, for inputs a Go value cannot
// express (null elements, out-of-range numbers).
func edit(tb testing.TB, raw []byte, set map[string]any, del ...string) []byte {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as written
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		tb.Fatalf("edit: %v", err)
	}
	for _, k := range del {
		delete(obj, k)
	}
	for k, v := range set {
		obj[k] = v
	}
	out, err := json.Marshal(obj)
	if err != nil {
		tb.Fatalf("edit: %v", err)
	}
	return out
}

// refusal asserts that err is an *Error with the given reason and field.
func refusal(t *testing.T, err error, reason Reason, field string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Decode error = %v (%T), want *Error %s on %q", err, err, reason, field)
	}
	if e.Reason != reason || e.Field != field {
		t.Fatalf("Decode refused with %s on %q (%s), want %s on %q", e.Reason, e.Field, e.Detail, reason, field)
	}
	if e.Detail == "" {
		t.Errorf("Decode refused with %s on %q and no detail", e.Reason, e.Field)
	}
}

func TestDecodeValidExamples(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	want := map[Type]Event{
		MasterSKU: {ID: "erp-sku-1001", Type: MasterSKU, OccurredAt: at("2026-11-27T08:00:00Z"), Source: "erp",
			SKU: "SKU-1001", Name: "Pallet wrap 500mm", UnitCost: Num(4.2), UnitPrice: Num(9.5), Class: "A",
			CaseQty: Num(12), Substitutes: []string{"SKU-1002", "SKU-1003"}, LeadTimeDays: Num(14),
			Owner: "planner-east", Category: "packaging"},
		MasterSite: {ID: "erp-site-east", Type: MasterSite, OccurredAt: at("2026-11-27T08:00:00Z"), Source: "erp",
			Site: "DC-EAST", Name: "East distribution centre", Region: "us-east", Timezone: "America/New_York"},
		MasterSupplier: {ID: "erp-sup-acme", Type: MasterSupplier, OccurredAt: at("2026-11-27T08:00:00Z"), Source: "erp",
			Supplier: "SUP-ACME", Name: "Acme Films", Owner: "buyer-1"},
		MasterCustomer: {ID: "erp-cust-42", Type: MasterCustomer, OccurredAt: at("2026-11-27T08:00:00Z"), Source: "erp",
			Customer: "CUST-42", Name: "Northwind Retail", Priority: 1},
		InventorySnapshot: {ID: "wms-881", Type: InventorySnapshot, OccurredAt: at("2026-11-27T09:10:00Z"), Source: "wms-east",
			SKU: "SKU-1001", Site: "DC-EAST", OnHand: Num(140), Allocated: Num(20), UOM: UOMEach},
		InventoryAdjusted: {ID: "wms-882", Type: InventoryAdjusted, OccurredAt: at("2026-11-27T09:11:00Z"), Source: "wms-east",
			SKU: "SKU-1001", Site: "DC-EAST", Delta: Num(-3), Reason: "damaged in handling"},
		InventoryReceived: {ID: "wms-883", Type: InventoryReceived, OccurredAt: at("2026-11-27T09:12:00Z"), Source: "wms-east",
			SKU: "SKU-1001", Site: "DC-EAST", Qty: Num(10), PO: "PO-7001", Shipment: "SHP-31", UOM: UOMCase},
		OrderCreated: {ID: "erp-ord-5001", Type: OrderCreated, OccurredAt: at("2026-11-27T09:00:00Z"), Source: "erp",
			Order: "ORD-5001", SKU: "SKU-1001", Site: "DC-EAST", Qty: Num(24), Customer: "CUST-42",
			RequestedAt: at("2026-11-30T00:00:00Z")},
		OrderShipped: {ID: "wms-ship-5001", Type: OrderShipped, OccurredAt: at("2026-11-27T09:05:00Z"), Source: "wms-east",
			Order: "ORD-5001", SKU: "SKU-1001", Site: "DC-EAST", Qty: Num(0)},
		POCreated: {ID: "erp-po-7001", Type: POCreated, OccurredAt: at("2026-11-20T10:00:00Z"), Source: "erp",
			PO: "PO-7001", SKU: "SKU-1001", Site: "DC-EAST", Supplier: "SUP-ACME", Qty: Num(120),
			PromisedAt: at("2026-12-04T22:00:00Z"), Lane: "CN-SHA>US-NYC"},
		PromiseChanged: {ID: "sp-7001-2", Type: PromiseChanged, OccurredAt: at("2026-11-26T13:30:00Z"), Source: "supplier-portal",
			PO: "PO-7001", PromisedAt: at("2026-12-09T00:00:00Z"), Qty: Num(100), Reason: "resin shortage"},
		ShipmentDispatched: {ID: "tms-31-d", Type: ShipmentDispatched, OccurredAt: at("2026-11-27T02:00:00Z"), Source: "tms",
			Shipment: "SHP-31", PO: "PO-7001", ETA: at("2026-12-06T12:00:00Z"), Lane: "CN-SHA>US-NYC", Carrier: "Maersk", Qty: Num(100)},
		ShipmentDelayed: {ID: "tms-31-x", Type: ShipmentDelayed, OccurredAt: at("2026-11-27T07:45:00Z"), Source: "tms",
			Shipment: "SHP-31", ETA: at("2026-12-10T12:00:00Z"), Reason: "port congestion"},
		ShipmentDelivered: {ID: "tms-31-y", Type: ShipmentDelivered, OccurredAt: at("2026-11-27T09:14:59.5Z"), Source: "tms",
			Shipment: "SHP-31", Schema: 1},
		ForecastUpdated: {ID: "fc-1001-east", Type: ForecastUpdated, OccurredAt: at("2026-11-27T06:00:00Z"), Source: "forecaster",
			SKU: "SKU-1001", Site: "DC-EAST", Start: at("2026-11-28T00:00:00Z"), Daily: []float64{11.5, 12, 0, 13.25, 9}, Model: "ets-weekly"},
		ExceptionAcknowledged: {ID: "ack-al-77", Type: ExceptionAcknowledged, OccurredAt: at("2026-11-27T09:13:00Z"), Source: "slack",
			Alert: "AL-77", By: "U024BE7LH", Note: "called the carrier"},
	}
	if len(want) != len(Types()) {
		t.Fatalf("test expects %d types, Types() has %d", len(want), len(Types()))
	}
	for typ, raw := range examples(t) {
		t.Run(string(typ), func(t *testing.T) {
			got, err := Decode(raw, testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, want[typ]) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", got, want[typ])
			}
			// Times leave Decode in UTC, so that state keyed by time does not
			// depend on the producer's zone.
			for _, tm := range []time.Time{got.OccurredAt, got.RequestedAt, got.PromisedAt, got.ETA, got.Start} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Errorf("time %v is in %v, want UTC", tm, tm.Location())
				}
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	ex := examples(t)
	cases := []struct {
		name  string
		typ   Type
		set   map[string]any
		del   []string
		check func(t *testing.T, ev Event)
	}{
		{"id of 128 ascii characters", InventorySnapshot, map[string]any{"id": strings.Repeat("x", MaxIDLen)}, nil, nil},
		{"id of 128 multibyte characters", InventorySnapshot, map[string]any{"id": strings.Repeat("é", MaxIDLen)}, nil,
			func(t *testing.T, ev Event) {
				if ev.ID != strings.Repeat("é", MaxIDLen) {
					t.Errorf("ID = %q", ev.ID)
				}
			}},
		{"schema 1", InventorySnapshot, map[string]any{"schema": 1}, nil,
			func(t *testing.T, ev Event) {
				if ev.Schema != 1 {
					t.Errorf("Schema = %d, want 1", ev.Schema)
				}
			}},
		{"schema 1.0 is a whole number", InventorySnapshot, map[string]any{"schema": json.RawMessage("1.0")}, nil, nil},
		{"on_hand zero", InventorySnapshot, map[string]any{"on_hand": 0}, nil,
			func(t *testing.T, ev Event) {
				if ev.OnHand == nil || *ev.OnHand != 0 {
					t.Errorf("OnHand = %v, want a pointer to 0", ev.OnHand)
				}
			}},
		{"fractional quantity", InventoryReceived, map[string]any{"qty": 2.5}, nil, nil},
		{"negative delta", InventoryAdjusted, map[string]any{"delta": -40}, nil, nil},
		{"uom omitted", InventorySnapshot, nil, []string{"uom"},
			func(t *testing.T, ev Event) {
				if ev.UOM != "" {
					t.Errorf("UOM = %q, want empty (EA by default)", ev.UOM)
				}
			}},
		{"priority 3", MasterCustomer, map[string]any{"priority": 3}, nil, nil},
		{"class C", MasterSKU, map[string]any{"class": "C"}, nil, nil},
		{"timezone UTC", MasterSite, map[string]any{"timezone": "UTC"}, nil, nil},
		{"daily of zeros", ForecastUpdated, map[string]any{"daily": []float64{0, 0}}, nil, nil},
		{"occurred_at with offset", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T04:10:00-05:00"}, nil,
			func(t *testing.T, ev Event) {
				if want := time.Date(2026, 11, 27, 9, 10, 0, 0, time.UTC); !ev.OccurredAt.Equal(want) {
					t.Errorf("OccurredAt = %v, want %v", ev.OccurredAt, want)
				}
			}},
		{"occurred_at with nanoseconds", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:10:00.123456789Z"}, nil,
			func(t *testing.T, ev Event) {
				if ev.OccurredAt.Nanosecond() != 123456789 {
					t.Errorf("OccurredAt = %v, lost its nanoseconds", ev.OccurredAt)
				}
			}},
		// Dates alone are fine where the contract means a day, not an instant.
		{"promised_at date only", POCreated, map[string]any{"promised_at": "2026-12-04"}, nil,
			func(t *testing.T, ev Event) {
				if want := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC); !ev.PromisedAt.Equal(want) {
					t.Errorf("PromisedAt = %v, want %v", ev.PromisedAt, want)
				}
			}},
		{"eta date only", ShipmentDelayed, map[string]any{"eta": "2026-12-10"}, nil, nil},
		{"eta date only on dispatch", ShipmentDispatched, map[string]any{"eta": "2026-12-06"}, nil, nil},
		{"start with time", ForecastUpdated, map[string]any{"start": "2026-11-28T00:00:00Z"}, nil, nil},
		{"requested_at date only", OrderCreated, map[string]any{"requested_at": "2026-11-30"}, nil, nil},
		{"future boundary: 4 minutes ahead", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:19:00Z"}, nil, nil},
		{"future boundary: exactly 5 minutes ahead", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:20:00Z"}, nil, nil},
		{"far past", InventorySnapshot, map[string]any{"occurred_at": "1970-01-01T00:00:00Z"}, nil, nil},
		// Forward compatibility: producers may add fields before we read them.
		{"unknown extra fields", InventorySnapshot, map[string]any{
			"bin":         "A-03-2",
			"x_vendor":    map[string]any{"nested": []any{1, "two", nil}},
			"lot_numbers": []string{"L1", "L2"},
		}, nil, nil},
		{"field of another type is ignored", ShipmentDelivered, map[string]any{"qty": "lots", "uom": "KG"}, nil,
			func(t *testing.T, ev Event) {
				if ev.Qty != nil || ev.UOM != "" {
					t.Errorf("Qty = %v, UOM = %q: fields outside the type's schema were read", ev.Qty, ev.UOM)
				}
			}},
		// Null is absent: an optional field sent as null is the same as one
		// left out.
		{"null optional string", ShipmentDispatched, map[string]any{"carrier": nil}, nil,
			func(t *testing.T, ev Event) {
				if ev.Carrier != "" {
					t.Errorf("Carrier = %q, want empty", ev.Carrier)
				}
			}},
		{"null optional number", InventorySnapshot, map[string]any{"allocated": nil}, nil,
			func(t *testing.T, ev Event) {
				if ev.Allocated != nil {
					t.Errorf("Allocated = %v, want nil", *ev.Allocated)
				}
			}},
		{"null optional list", MasterSKU, map[string]any{"substitutes": nil}, nil,
			func(t *testing.T, ev Event) {
				if ev.Substitutes != nil {
					t.Errorf("Substitutes = %#v, want nil", ev.Substitutes)
				}
			}},
		{"null optional date", OrderCreated, map[string]any{"requested_at": nil}, nil,
			func(t *testing.T, ev Event) {
				if !ev.RequestedAt.IsZero() {
					t.Errorf("RequestedAt = %v, want zero", ev.RequestedAt)
				}
			}},
		{"null uom", InventorySnapshot, map[string]any{"uom": nil}, nil, nil},
		{"null schema", InventorySnapshot, map[string]any{"schema": nil}, nil,
			func(t *testing.T, ev Event) {
				if ev.Schema != 0 {
					t.Errorf("Schema = %d, want 0 (absent)", ev.Schema)
				}
			}},
		{"empty substitutes", MasterSKU, map[string]any{"substitutes": []string{}}, nil,
			func(t *testing.T, ev Event) {
				if ev.Substitutes != nil {
					t.Errorf("Substitutes = %#v, want nil so that [] and absent decode alike", ev.Substitutes)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := edit(t, ex[tc.typ], tc.set, tc.del...)
			ev, err := Decode(raw, testNow)
			if err != nil {
				t.Fatalf("Decode(%s): %v", raw, err)
			}
			if ev.Type != tc.typ {
				t.Errorf("Type = %q, want %q", ev.Type, tc.typ)
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
		})
	}
}

func TestDecodeInvalidJSON(t *testing.T) {
	cases := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"blank", " \n\t"},
		{"not json", "wms-881 inventory.snapshot SKU-1001 140"},
		{"array", `[{"id":"wms-881","type":"inventory.snapshot"}]`},
		{"string", `"inventory.snapshot"`},
		{"number", `140`},
		{"null", `null`},
		{"truncated", `{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","sou`},
		{"trailing comma", `{"id":"wms-881",}`},
		{"two objects", `{"id":"a"} {"id":"b"}`},
		{"single quotes", `{'id':'wms-881'}`},
		{"byte order mark", "\uFEFF{\"id\":\"wms-881\"}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.raw), testNow)
			refusal(t, err, ReasonInvalidJSON, "")
		})
	}
}

// TestDecodeMissingRequired deletes, nulls and blanks every required field
// of every type in turn, taking the list from the schema table itself so
// that a field added there is covered here.
func TestDecodeMissingRequired(t *testing.T) {
	envelope := []string{"id", "type", "occurred_at", "source"}
	for typ, raw := range examples(t) {
		required := append([]string(nil), envelope...)
		for _, f := range schemas[typ] {
			if f.required {
				required = append(required, f.name)
			}
		}
		for _, name := range required {
			t.Run(string(typ)+"/"+name+"/deleted", func(t *testing.T) {
				_, err := Decode(edit(t, raw, nil, name), testNow)
				refusal(t, err, ReasonMissingField, name)
			})
			t.Run(string(typ)+"/"+name+"/null", func(t *testing.T) {
				_, err := Decode(edit(t, raw, map[string]any{name: nil}), testNow)
				refusal(t, err, ReasonMissingField, name)
			})
		}
	}
}

func TestDecodeRefused(t *testing.T) {
	ex := examples(t)
	cases := []struct {
		name   string
		typ    Type // the valid example to start from
		set    map[string]any
		del    []string
		reason Reason
		field  string
	}{
		// missing_field, beyond the absent and null fields of TestDecodeMissingRequired.
		{"empty id", InventorySnapshot, map[string]any{"id": ""}, nil, ReasonMissingField, "id"},
		{"blank id", InventorySnapshot, map[string]any{"id": "  \t"}, nil, ReasonMissingField, "id"},
		{"empty type", InventorySnapshot, map[string]any{"type": ""}, nil, ReasonMissingField, "type"},
		{"empty source", InventorySnapshot, map[string]any{"source": ""}, nil, ReasonMissingField, "source"},
		{"empty sku", InventorySnapshot, map[string]any{"sku": ""}, nil, ReasonMissingField, "sku"},
		{"empty daily", ForecastUpdated, map[string]any{"daily": []float64{}}, nil, ReasonMissingField, "daily"},
		{"first missing envelope field wins", InventorySnapshot, nil, []string{"id", "source"}, ReasonMissingField, "id"},

		// invalid_field: the wrong JSON type or form.
		{"number as string", InventorySnapshot, map[string]any{"on_hand": "140"}, nil, ReasonInvalidField, "on_hand"},
		{"qty as string", OrderCreated, map[string]any{"qty": "24"}, nil, ReasonInvalidField, "qty"},
		{"string as number", InventorySnapshot, map[string]any{"sku": 1001}, nil, ReasonInvalidField, "sku"},
		{"id as number", InventorySnapshot, map[string]any{"id": 881}, nil, ReasonInvalidField, "id"},
		{"type as number", InventorySnapshot, map[string]any{"type": 3}, nil, ReasonInvalidField, "type"},
		{"source as object", InventorySnapshot, map[string]any{"source": map[string]any{"name": "wms"}}, nil, ReasonInvalidField, "source"},
		{"on_hand as boolean", InventorySnapshot, map[string]any{"on_hand": true}, nil, ReasonInvalidField, "on_hand"},
		{"on_hand as list", InventorySnapshot, map[string]any{"on_hand": []int{140}}, nil, ReasonInvalidField, "on_hand"},
		{"on_hand out of float range", InventorySnapshot, map[string]any{"on_hand": json.RawMessage("1e400")}, nil, ReasonInvalidField, "on_hand"},
		{"substitutes as string", MasterSKU, map[string]any{"substitutes": "SKU-1002"}, nil, ReasonInvalidField, "substitutes"},
		{"substitutes of numbers", MasterSKU, map[string]any{"substitutes": []int{1002}}, nil, ReasonInvalidField, "substitutes"},
		{"substitutes with empty sku", MasterSKU, map[string]any{"substitutes": []string{"SKU-1002", ""}}, nil, ReasonInvalidField, "substitutes"},
		{"substitutes with null", MasterSKU, map[string]any{"substitutes": json.RawMessage(`["SKU-1002",null]`)}, nil, ReasonInvalidField, "substitutes"},
		{"daily as number", ForecastUpdated, map[string]any{"daily": 12}, nil, ReasonInvalidField, "daily"},
		{"daily of strings", ForecastUpdated, map[string]any{"daily": []string{"12", "13"}}, nil, ReasonInvalidField, "daily"},
		{"daily with null", ForecastUpdated, map[string]any{"daily": json.RawMessage(`[12,null,13]`)}, nil, ReasonInvalidField, "daily"},
		{"priority fractional", MasterCustomer, map[string]any{"priority": 1.5}, nil, ReasonInvalidField, "priority"},
		{"priority as string", MasterCustomer, map[string]any{"priority": "1"}, nil, ReasonInvalidField, "priority"},
		{"schema as string", InventorySnapshot, map[string]any{"schema": "1"}, nil, ReasonInvalidField, "schema"},
		{"schema fractional", InventorySnapshot, map[string]any{"schema": 1.5}, nil, ReasonInvalidField, "schema"},
		{"id of 129 characters", InventorySnapshot, map[string]any{"id": strings.Repeat("x", MaxIDLen+1)}, nil, ReasonInvalidField, "id"},
		{"id of 129 multibyte characters", InventorySnapshot, map[string]any{"id": strings.Repeat("é", MaxIDLen+1)}, nil, ReasonInvalidField, "id"},
		{"id far too long", InventorySnapshot, map[string]any{"id": strings.Repeat("x", 10000)}, nil, ReasonInvalidField, "id"},
		{"free text too long", InventoryAdjusted, map[string]any{"reason": strings.Repeat("r", maxTextLen+1)}, nil, ReasonInvalidField, "reason"},

		// unknown_type.
		{"unknown type", InventorySnapshot, map[string]any{"type": "inventory.snapshots"}, nil, ReasonUnknownType, "type"},
		{"type in upper case", InventorySnapshot, map[string]any{"type": "INVENTORY.SNAPSHOT"}, nil, ReasonUnknownType, "type"},
		{"type with padding", InventorySnapshot, map[string]any{"type": " inventory.snapshot"}, nil, ReasonUnknownType, "type"},

		// unsupported_schema.
		{"schema 2", InventorySnapshot, map[string]any{"schema": 2}, nil, ReasonUnsupported, "schema"},
		{"schema 0", InventorySnapshot, map[string]any{"schema": 0}, nil, ReasonUnsupported, "schema"},
		{"schema -1", InventorySnapshot, map[string]any{"schema": -1}, nil, ReasonUnsupported, "schema"},
		// A newer schema may define types this build does not know, so the
		// schema is judged before the type.
		{"schema 2 with a new type", InventorySnapshot, map[string]any{"schema": 2, "type": "inventory.reserved"}, nil, ReasonUnsupported, "schema"},

		// invalid_time.
		{"occurred_at date only", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at without zone", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:10:00"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at with space", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27 09:10:00Z"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at day first", InventorySnapshot, map[string]any{"occurred_at": "27/11/2026 09:10"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at as unix seconds", InventorySnapshot, map[string]any{"occurred_at": 1795770600}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at hour 25", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T25:10:00Z"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at before 1970", InventorySnapshot, map[string]any{"occurred_at": "1969-12-31T23:59:59Z"}, nil, ReasonInvalidTime, "occurred_at"},
		{"occurred_at before 1970 in UTC", InventorySnapshot, map[string]any{"occurred_at": "1970-01-01T00:30:00+01:00"}, nil, ReasonInvalidTime, "occurred_at"},
		{"promised_at not a date", POCreated, map[string]any{"promised_at": "next tuesday"}, nil, ReasonInvalidTime, "promised_at"},
		{"promised_at as number", POCreated, map[string]any{"promised_at": 20261204}, nil, ReasonInvalidTime, "promised_at"},
		{"eta on 30 February", ShipmentDelayed, map[string]any{"eta": "2026-02-30"}, nil, ReasonInvalidTime, "eta"},
		{"eta past year 9999 in UTC", ShipmentDelayed, map[string]any{"eta": "9999-12-31T23:00:00-05:00"}, nil, ReasonInvalidTime, "eta"},
		{"start month only", ForecastUpdated, map[string]any{"start": "2026-11"}, nil, ReasonInvalidTime, "start"},
		{"requested_at empty", OrderCreated, map[string]any{"requested_at": ""}, nil, ReasonInvalidTime, "requested_at"},
		{"requested_at before 1970", OrderCreated, map[string]any{"requested_at": "1969-12-31"}, nil, ReasonInvalidTime, "requested_at"},

		// future_time: MaxFutureSkew is 5 minutes; testNow is 09:15Z.
		{"6 minutes ahead", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:21:00Z"}, nil, ReasonFutureTime, "occurred_at"},
		{"5 minutes and 1 nanosecond ahead", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T09:20:00.000000001Z"}, nil, ReasonFutureTime, "occurred_at"},
		{"6 minutes ahead written with offset", InventorySnapshot, map[string]any{"occurred_at": "2026-11-27T10:21:00+01:00"}, nil, ReasonFutureTime, "occurred_at"},
		{"next year", ShipmentDelivered, map[string]any{"occurred_at": "2027-11-27T09:10:00Z"}, nil, ReasonFutureTime, "occurred_at"},

		// negative_quantity.
		{"on_hand -1", InventorySnapshot, map[string]any{"on_hand": -1}, nil, ReasonNegativeQuantity, "on_hand"},
		{"allocated -1", InventorySnapshot, map[string]any{"allocated": -1}, nil, ReasonNegativeQuantity, "allocated"},
		{"received qty -1", InventoryReceived, map[string]any{"qty": -1}, nil, ReasonNegativeQuantity, "qty"},
		{"order qty -1", OrderCreated, map[string]any{"qty": -1}, nil, ReasonNegativeQuantity, "qty"},
		{"shipped qty -1", OrderShipped, map[string]any{"qty": -1}, nil, ReasonNegativeQuantity, "qty"},
		{"po qty -1", POCreated, map[string]any{"qty": -1}, nil, ReasonNegativeQuantity, "qty"},
		{"promise qty -0.5", PromiseChanged, map[string]any{"qty": -0.5}, nil, ReasonNegativeQuantity, "qty"},
		{"dispatched qty -1", ShipmentDispatched, map[string]any{"qty": -1}, nil, ReasonNegativeQuantity, "qty"},
		{"unit_cost negative", MasterSKU, map[string]any{"unit_cost": -0.01}, nil, ReasonNegativeQuantity, "unit_cost"},
		{"unit_price negative", MasterSKU, map[string]any{"unit_price": -9.5}, nil, ReasonNegativeQuantity, "unit_price"},
		{"case_qty negative", MasterSKU, map[string]any{"case_qty": -12}, nil, ReasonNegativeQuantity, "case_qty"},
		{"lead_time_days negative", MasterSKU, map[string]any{"lead_time_days": -1}, nil, ReasonNegativeQuantity, "lead_time_days"},
		{"daily with a negative", ForecastUpdated, map[string]any{"daily": []float64{12, -1, 13}}, nil, ReasonNegativeQuantity, "daily"},

		// invalid_value.
		{"received qty 0", InventoryReceived, map[string]any{"qty": 0}, nil, ReasonInvalidValue, "qty"},
		{"order qty 0", OrderCreated, map[string]any{"qty": 0}, nil, ReasonInvalidValue, "qty"},
		{"po qty 0", POCreated, map[string]any{"qty": 0}, nil, ReasonInvalidValue, "qty"},
		{"po qty -0", POCreated, map[string]any{"qty": json.RawMessage("-0")}, nil, ReasonInvalidValue, "qty"},
		{"case_qty 0", MasterSKU, map[string]any{"case_qty": 0}, nil, ReasonInvalidValue, "case_qty"},
		{"delta 0", InventoryAdjusted, map[string]any{"delta": 0}, nil, ReasonInvalidValue, "delta"},
		{"class D", MasterSKU, map[string]any{"class": "D"}, nil, ReasonInvalidValue, "class"},
		{"class in lower case", MasterSKU, map[string]any{"class": "a"}, nil, ReasonInvalidValue, "class"},
		{"priority 4", MasterCustomer, map[string]any{"priority": 4}, nil, ReasonInvalidValue, "priority"},
		{"priority 0", MasterCustomer, map[string]any{"priority": 0}, nil, ReasonInvalidValue, "priority"},
		{"bad timezone", MasterSite, map[string]any{"timezone": "Mars/Olympus_Mons"}, nil, ReasonInvalidValue, "timezone"},
		{"timezone escaping the zone database", MasterSite, map[string]any{"timezone": "../../etc/passwd"}, nil, ReasonInvalidValue, "timezone"},
		// "Local" would mean whatever zone the receiving host runs in.
		{"timezone Local", MasterSite, map[string]any{"timezone": "Local"}, nil, ReasonInvalidValue, "timezone"},

		// invalid_uom.
		{"uom KG", InventorySnapshot, map[string]any{"uom": "KG"}, nil, ReasonInvalidUOM, "uom"},
		{"uom in lower case", InventoryReceived, map[string]any{"uom": "ea"}, nil, ReasonInvalidUOM, "uom"},
		{"uom on an order", OrderShipped, map[string]any{"uom": "PAL"}, nil, ReasonInvalidUOM, "uom"},
		{"uom as number", InventorySnapshot, map[string]any{"uom": 1}, nil, ReasonInvalidField, "uom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := edit(t, ex[tc.typ], tc.set, tc.del...)
			_, err := Decode(raw, testNow)
			refusal(t, err, tc.reason, tc.field)
		})
	}
}

// TestDecodeReasonsCovered keeps the tables above honest: every reason
// Decode can return must have been asserted by at least one case.
func TestDecodeReasonsCovered(t *testing.T) {
	ex := examples(t)
	probes := map[Reason][]byte{
		ReasonInvalidJSON:      []byte("{"),
		ReasonMissingField:     edit(t, ex[InventorySnapshot], nil, "sku"),
		ReasonInvalidField:     edit(t, ex[InventorySnapshot], map[string]any{"on_hand": "1"}),
		ReasonUnknownType:      edit(t, ex[InventorySnapshot], map[string]any{"type": "x"}),
		ReasonUnsupported:      edit(t, ex[InventorySnapshot], map[string]any{"schema": 9}),
		ReasonInvalidTime:      edit(t, ex[InventorySnapshot], map[string]any{"occurred_at": "x"}),
		ReasonFutureTime:       edit(t, ex[InventorySnapshot], map[string]any{"occurred_at": "2030-01-01T00:00:00Z"}),
		ReasonNegativeQuantity: edit(t, ex[InventorySnapshot], map[string]any{"on_hand": -1}),
		ReasonInvalidValue:     edit(t, ex[InventoryAdjusted], map[string]any{"delta": 0}),
		ReasonInvalidUOM:       edit(t, ex[InventorySnapshot], map[string]any{"uom": "KG"}),
	}
	for reason, raw := range probes {
		_, err := Decode(raw, testNow)
		var e *Error
		if !errors.As(err, &e) || e.Reason != reason {
			t.Errorf("probe for %s: Decode error = %v", reason, err)
		}
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for typ, raw := range examples(t) {
		t.Run(string(typ), func(t *testing.T) {
			ev, err := Decode(raw, testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			again, err := Decode(out, testNow)
			if err != nil {
				t.Fatalf("Decode(Marshal(ev)): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(again, ev) {
				t.Errorf("round trip changed the event:\n got %+v\nwant %+v\nvia %s", again, ev, out)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"with field", &Error{Reason: ReasonMissingField, Field: "sku", Detail: "required for this event type"},
			"missing_field: sku: required for this event type"},
		{"without field", &Error{Reason: ReasonInvalidJSON, Detail: "want one JSON object"},
			"invalid_json: want one JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDecodeDetailTruncated pins that partner-controlled text echoed in a
// refusal is bounded, since details land in quarantine records and chat.
func TestDecodeDetailTruncated(t *testing.T) {
	ex := examples(t)
	long := strings.Repeat("é", 1000)
	for _, tc := range []struct {
		name  string
		typ   Type
		field string
	}{
		{"type", InventorySnapshot, "type"},
		{"class", MasterSKU, "class"},
		{"timezone", MasterSite, "timezone"},
		{"uom", InventorySnapshot, "uom"},
		{"occurred_at", InventorySnapshot, "occurred_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(edit(t, ex[tc.typ], map[string]any{tc.field: long}), testNow)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error = %v, want *Error", err)
			}
			if len(e.Detail) > 200 {
				t.Errorf("detail is %d bytes, want it truncated: %.80s…", len(e.Detail), e.Detail)
			}
		})
	}
}
