package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// CurrentSchema is the newest envelope schema this build understands.
const CurrentSchema = 1

// MaxIDLen is the longest event id the contract allows, in characters.
const MaxIDLen = 128

// maxTextLen bounds free-text fields so one partner record cannot bloat state.
const maxTextLen = 4096

type kind int

const (
	kString kind = iota
	kNumber
	kInt
	kTime     // RFC 3339
	kDateTime // RFC 3339 or YYYY-MM-DD
	kStrings
	kNumbers
)

// rule is how one number is bounded.
type rule int

const (
	anyNum  rule = iota
	nonNeg       // >= 0
	pos          // > 0
	nonZero      // != 0
)

type field struct {
	name     string
	kind     kind
	required bool
	rule     rule
}

func req(name string, k kind) field { return field{name: name, kind: k, required: true} }
func opt(name string, k kind) field { return field{name: name, kind: k} }
func reqN(name string, r rule) field {
	return field{name: name, kind: kNumber, required: true, rule: r}
}
func optN(name string, r rule) field { return field{name: name, kind: kNumber, rule: r} }

// Envelope fields, common to every type. Decode checks them in this order
// before it looks at the type's own fields.
var (
	fieldID         = req("id", kString)
	fieldType       = req("type", kString)
	fieldOccurredAt = req("occurred_at", kTime)
	fieldSource     = req("source", kString)
	fieldSchema     = opt("schema", kInt)
)

// schemas lists, per type, the fields the contract names. The envelope is
// checked separately.
var schemas = map[Type][]field{
	MasterSKU: {req("sku", kString), req("name", kString), reqN("unit_cost", nonNeg), reqN("unit_price", nonNeg),
		req("class", kString), optN("case_qty", pos), opt("substitutes", kStrings), optN("lead_time_days", nonNeg),
		opt("owner", kString), opt("category", kString)},
	MasterSite:            {req("site", kString), req("name", kString), req("region", kString), opt("timezone", kString)},
	MasterSupplier:        {req("supplier", kString), req("name", kString), opt("owner", kString)},
	MasterCustomer:        {req("customer", kString), req("name", kString), req("priority", kInt)},
	InventorySnapshot:     {req("sku", kString), req("site", kString), reqN("on_hand", nonNeg), optN("allocated", nonNeg), opt("uom", kString)},
	InventoryAdjusted:     {req("sku", kString), req("site", kString), reqN("delta", nonZero), opt("reason", kString), opt("uom", kString)},
	InventoryReceived:     {req("sku", kString), req("site", kString), reqN("qty", pos), opt("po", kString), opt("shipment", kString), opt("uom", kString)},
	OrderCreated:          {req("order", kString), req("sku", kString), req("site", kString), reqN("qty", pos), opt("customer", kString), opt("requested_at", kDateTime), opt("uom", kString)},
	OrderShipped:          {req("order", kString), req("sku", kString), req("site", kString), reqN("qty", nonNeg), opt("uom", kString)},
	POCreated:             {req("po", kString), req("sku", kString), req("site", kString), req("supplier", kString), reqN("qty", pos), req("promised_at", kDateTime), opt("lane", kString), opt("uom", kString)},
	PromiseChanged:        {req("po", kString), req("promised_at", kDateTime), optN("qty", pos), opt("reason", kString), opt("uom", kString)},
	ShipmentDispatched:    {req("shipment", kString), req("po", kString), req("eta", kDateTime), opt("lane", kString), opt("carrier", kString), optN("qty", pos), opt("uom", kString)},
	ShipmentDelayed:       {req("shipment", kString), req("eta", kDateTime), opt("reason", kString)},
	ShipmentDelivered:     {req("shipment", kString)},
	ForecastUpdated:       {req("sku", kString), req("site", kString), req("start", kDateTime), req("daily", kNumbers), opt("model", kString)},
	ExceptionAcknowledged: {req("alert", kString), req("by", kString), opt("note", kString)},
}

// kinds maps every field name the contract uses, envelope included, to its
// kind, so that importers (CSV) type a column the way Decode reads it
// without restating the field list. A name has one kind across all types;
// TestFieldKindsAgree holds the schema table to that.
var kinds = func() map[string]kind {
	m := make(map[string]kind)
	for _, f := range []field{fieldID, fieldType, fieldOccurredAt, fieldSource, fieldSchema} {
		m[f.name] = f.kind
	}
	for _, fields := range schemas {
		for _, f := range fields {
			m[f.name] = f.kind
		}
	}
	return m
}()

// kindOf returns the kind of a contract field, and false for a name the
// contract does not define.
func kindOf(name string) (kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// Types returns every event type of the contract, sorted.
func Types() []Type {
	return []Type{ExceptionAcknowledged, ForecastUpdated, InventoryAdjusted, InventoryReceived, InventorySnapshot,
		MasterCustomer, MasterSite, MasterSKU, MasterSupplier, OrderCreated, OrderShipped, POCreated,
		ShipmentDelayed, ShipmentDelivered, ShipmentDispatched, PromiseChanged}
}

// Decode parses and validates one event. now is the receiver's clock at
// arrival (for a stream entry, the time in its id), against which a future
// occurred_at is judged. Every refusal is an *Error with a Reason.
func Decode(raw []byte, now time.Time) (Event, error) {
	var ev Event
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return ev, errf(ReasonInvalidJSON, "", "want one JSON object")
	}
	obj, ok := members(raw)
	if !ok {
		// Let encoding/json say what is wrong.
		var m map[string]json.RawMessage
		err := json.Unmarshal(raw, &m)
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return ev, errf(ReasonInvalidJSON, "", "%v", err)
	}
	d := decoder{obj: obj}

	// Envelope.
	ev.ID = d.str(fieldID)
	if d.err == nil && utf8.RuneCountInString(ev.ID) > MaxIDLen {
		d.fail(errf(ReasonInvalidField, "id", "longer than %d characters", MaxIDLen))
	}
	typ := Type(d.str(fieldType))
	ev.OccurredAt = d.time(fieldOccurredAt)
	ev.Source = d.str(fieldSource)
	// An absent or null schema is the default, not schema 0.
	if _, ok := d.present(fieldSchema); ok && d.err == nil {
		ev.Schema = d.int(fieldSchema)
		if d.err == nil && (ev.Schema < 1 || ev.Schema > CurrentSchema) {
			d.fail(errf(ReasonUnsupported, "schema", "schema %d, this build reads 1 to %d", ev.Schema, CurrentSchema))
		}
	}
	if d.err != nil {
		return ev, d.err
	}
	fields, ok := schemas[typ]
	if !ok {
		return ev, errf(ReasonUnknownType, "type", "%q is not an event type", truncate(string(typ), 64))
	}
	ev.Type = typ
	if ev.OccurredAt.After(now.Add(MaxFutureSkew)) {
		return ev, errf(ReasonFutureTime, "occurred_at", "%s is %s ahead of arrival at %s",
			ev.OccurredAt.Format(time.RFC3339), ev.OccurredAt.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339))
	}

	for _, f := range fields {
		d.assign(&ev, f)
		if d.err != nil {
			return ev, d.err
		}
	}
	if err := check(&ev); err != nil {
		return ev, err
	}
	return ev, nil
}

// check applies the rules that span fields or enumerate values.
func check(ev *Event) *Error {
	switch ev.Type {
	case MasterSKU:
		if ev.Class != "A" && ev.Class != "B" && ev.Class != "C" {
			return errf(ReasonInvalidValue, "class", "%q, want A, B or C", truncate(ev.Class, 16))
		}
		for _, s := range ev.Substitutes {
			if s == "" {
				return errf(ReasonInvalidField, "substitutes", "empty sku in list")
			}
		}
	case MasterCustomer:
		if ev.Priority < 1 || ev.Priority > 3 {
			return errf(ReasonInvalidValue, "priority", "%d, want 1 (highest) to 3", ev.Priority)
		}
	case MasterSite:
		// "Local" names the receiving host's zone, not the site's, and would
		// make the same event mean different things on different hosts.
		if ev.Timezone != "" {
			if _, err := time.LoadLocation(ev.Timezone); err != nil || ev.Timezone == "Local" {
				return errf(ReasonInvalidValue, "timezone", "%q is not an IANA time zone", truncate(ev.Timezone, 64))
			}
		}
	case ForecastUpdated:
		if len(ev.Daily) == 0 {
			return errf(ReasonMissingField, "daily", "empty list")
		}
		for i, v := range ev.Daily {
			if v < 0 {
				return errf(ReasonNegativeQuantity, "daily", "day %d is %g", i, v)
			}
		}
	}
	if ev.UOM != "" && ev.UOM != UOMEach && ev.UOM != UOMCase {
		return errf(ReasonInvalidUOM, "uom", "%q, want EA or CS", truncate(ev.UOM, 16))
	}
	return nil
}

type decoder struct {
	obj map[string]json.RawMessage
	err *Error
}

func (d *decoder) fail(e *Error) {
	if d.err == nil {
		d.err = e
	}
}

// present returns the raw value of a field, treating JSON null as absent.
func (d *decoder) present(f field) (json.RawMessage, bool) {
	v, ok := d.obj[f.name]
	if !ok || string(v) == "null" {
		if f.required {
			d.fail(errf(ReasonMissingField, f.name, "required for this event type"))
		}
		return nil, false
	}
	return v, true
}

func (d *decoder) str(f field) string {
	v, ok := d.present(f)
	if !ok || d.err != nil {
		return ""
	}
	s, plain := plainString(v)
	if !plain {
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(errf(ReasonInvalidField, f.name, "want a string, got %s", JSONKind(v)))
			return ""
		}
	}
	if f.required && strings.TrimSpace(s) == "" {
		d.fail(errf(ReasonMissingField, f.name, "empty string"))
		return ""
	}
	if len(s) > maxTextLen {
		d.fail(errf(ReasonInvalidField, f.name, "longer than %d bytes", maxTextLen))
		return ""
	}
	return s
}

func (d *decoder) num(f field) *float64 {
	v, ok := d.present(f)
	if !ok || d.err != nil {
		return nil
	}
	n, plain := plainNumber(v)
	if !plain {
		if err := json.Unmarshal(v, &n); err != nil {
			if v[0] == '-' || ('0' <= v[0] && v[0] <= '9') {
				d.fail(errf(ReasonInvalidField, f.name, "%s is out of range", truncate(string(v), 32)))
			} else {
				d.fail(errf(ReasonInvalidField, f.name, "want a number, got %s", JSONKind(v)))
			}
			return nil
		}
	}
	if math.IsInf(n, 0) || math.IsNaN(n) {
		d.fail(errf(ReasonInvalidField, f.name, "not a finite number"))
		return nil
	}
	switch {
	case n < 0 && (f.rule == nonNeg || f.rule == pos):
		d.fail(errf(ReasonNegativeQuantity, f.name, "%g is below zero", n))
	case n == 0 && f.rule == pos:
		d.fail(errf(ReasonInvalidValue, f.name, "must be greater than zero"))
	case n == 0 && f.rule == nonZero:
		d.fail(errf(ReasonInvalidValue, f.name, "must not be zero"))
	}
	return &n
}

func (d *decoder) int(f field) int {
	p := d.num(f)
	if p == nil {
		return 0
	}
	if *p != math.Trunc(*p) || math.Abs(*p) > 1e9 {
		d.fail(errf(ReasonInvalidField, f.name, "want a whole number, got %g", *p))
		return 0
	}
	return int(*p)
}

func (d *decoder) time(f field) time.Time {
	v, ok := d.present(f)
	if !ok || d.err != nil {
		return time.Time{}
	}
	s, plain := plainString(v)
	if !plain {
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(errf(ReasonInvalidTime, f.name, "want an RFC 3339 string, got %s", JSONKind(v)))
			return time.Time{}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && f.kind == kDateTime {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		want := "RFC 3339"
		if f.kind == kDateTime {
			want = "RFC 3339 or YYYY-MM-DD"
		}
		d.fail(errf(ReasonInvalidTime, f.name, "%q is not %s", truncate(s, 64), want))
		return time.Time{}
	}
	// The range is judged in UTC, the zone Decode returns, so that every
	// accepted time marshals back to RFC 3339 and decodes again: an offset
	// can carry a time in year 9999 into year 10000.
	t = t.UTC()
	if t.Year() < 1970 || t.Year() > 9999 {
		d.fail(errf(ReasonInvalidTime, f.name, "year %d out of range in UTC", t.Year()))
		return time.Time{}
	}
	return t
}

func (d *decoder) strs(f field) []string {
	v, ok := d.present(f)
	if !ok || d.err != nil {
		return nil
	}
	// Pointers tell a null element from an empty string, which Unmarshal
	// would otherwise make of it.
	var elems []*string
	if err := json.Unmarshal(v, &elems); err != nil {
		d.fail(errf(ReasonInvalidField, f.name, "want a list of strings, got %s", listKind(v)))
		return nil
	}
	if len(elems) == 0 {
		return nil // [] and absent mean the same, and must marshal the same
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		if e == nil {
			d.fail(errf(ReasonInvalidField, f.name, "element %d is null", i))
			return nil
		}
		out[i] = *e
	}
	return out
}

func (d *decoder) nums(f field) []float64 {
	v, ok := d.present(f)
	if !ok || d.err != nil {
		return nil
	}
	// Pointers tell a null element from 0, which Unmarshal would otherwise
	// make of it: a forecast day that is unknown is not a day of no demand.
	var elems []*float64
	if err := json.Unmarshal(v, &elems); err != nil {
		d.fail(errf(ReasonInvalidField, f.name, "want a list of numbers, got %s", listKind(v)))
		return nil
	}
	if len(elems) == 0 {
		return nil
	}
	out := make([]float64, len(elems))
	for i, e := range elems {
		if e == nil {
			d.fail(errf(ReasonInvalidField, f.name, "element %d is null", i))
			return nil
		}
		out[i] = *e
	}
	return out
}

// assign decodes field f into its place in ev.
func (d *decoder) assign(ev *Event, f field) {
	switch f.name {
	case "sku":
		ev.SKU = d.str(f)
	case "site":
		ev.Site = d.str(f)
	case "supplier":
		ev.Supplier = d.str(f)
	case "customer":
		ev.Customer = d.str(f)
	case "order":
		ev.Order = d.str(f)
	case "po":
		ev.PO = d.str(f)
	case "shipment":
		ev.Shipment = d.str(f)
	case "alert":
		ev.Alert = d.str(f)
	case "name":
		ev.Name = d.str(f)
	case "unit_cost":
		ev.UnitCost = d.num(f)
	case "unit_price":
		ev.UnitPrice = d.num(f)
	case "class":
		ev.Class = d.str(f)
	case "case_qty":
		ev.CaseQty = d.num(f)
	case "substitutes":
		ev.Substitutes = d.strs(f)
	case "lead_time_days":
		ev.LeadTimeDays = d.num(f)
	case "owner":
		ev.Owner = d.str(f)
	case "category":
		ev.Category = d.str(f)
	case "region":
		ev.Region = d.str(f)
	case "timezone":
		ev.Timezone = d.str(f)
	case "priority":
		ev.Priority = d.int(f)
	case "on_hand":
		ev.OnHand = d.num(f)
	case "allocated":
		ev.Allocated = d.num(f)
	case "delta":
		ev.Delta = d.num(f)
	case "qty":
		ev.Qty = d.num(f)
	case "uom":
		ev.UOM = d.str(f)
	case "requested_at":
		ev.RequestedAt = d.time(f)
	case "promised_at":
		ev.PromisedAt = d.time(f)
	case "eta":
		ev.ETA = d.time(f)
	case "start":
		ev.Start = d.time(f)
	case "lane":
		ev.Lane = d.str(f)
	case "carrier":
		ev.Carrier = d.str(f)
	case "reason":
		ev.Reason = d.str(f)
	case "note":
		ev.Note = d.str(f)
	case "by":
		ev.By = d.str(f)
	case "model":
		ev.Model = d.str(f)
	case "daily":
		ev.Daily = d.nums(f)
	default:
		panic("event: schema names unhandled field " + f.name)
	}
}

// JSONKind names the kind of a valid JSON value ("a string", "a list", ...)
// for error details.
func JSONKind(v []byte) string {
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// listKind describes v for a list that failed to decode: either v is not a
// list at all, or one of its elements is wrong.
func listKind(v json.RawMessage) string {
	if v[0] == '[' {
		return "a list with an element of another kind or out of range"
	}
	return JSONKind(v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
