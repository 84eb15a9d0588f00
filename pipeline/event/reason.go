package event

import "fmt"

// Reason is a quarantine reason code. Codes are part of the outside
// contract: dashboards and `quartermaster quarantine list` group by them.
type Reason string

// Reason codes, one per way an event can be refused.
const (
	ReasonInvalidJSON      Reason = "invalid_json"       // not a JSON object
	ReasonMissingField     Reason = "missing_field"      // a required field is absent or empty
	ReasonInvalidField     Reason = "invalid_field"      // a field has the wrong JSON type or form
	ReasonUnknownType      Reason = "unknown_type"       // type is not one of the contract's
	ReasonUnsupported      Reason = "unsupported_schema" // schema version newer than this build reads
	ReasonInvalidTime      Reason = "invalid_time"       // a time that is not RFC 3339 (or a date where one is allowed)
	ReasonFutureTime       Reason = "future_time"        // occurred_at more than MaxFutureSkew ahead of arrival
	ReasonNegativeQuantity Reason = "negative_quantity"  // a quantity or amount below zero
	ReasonInvalidValue     Reason = "invalid_value"      // out of range: zero where > 0 is required, bad class, priority
	ReasonUnknownSKU       Reason = "unknown_sku"        // referential integrity
	ReasonUnknownSite      Reason = "unknown_site"
	ReasonUnknownSupplier  Reason = "unknown_supplier"
	ReasonUnknownPO        Reason = "unknown_po"
	ReasonUnknownShipment  Reason = "unknown_shipment"
	ReasonInvalidUOM       Reason = "invalid_uom" // CS without a case_qty, or a unit we do not know
	ReasonPoison           Reason = "poison"      // delivered too often without being processed
)

// Referential reports whether a reason is a missing reference that a later
// event can cure, so `quarantine replay` may re-submit the event.
func (r Reason) Referential() bool {
	switch r {
	case ReasonUnknownSKU, ReasonUnknownSite, ReasonUnknownSupplier, ReasonUnknownPO, ReasonUnknownShipment:
		return true
	}
	return false
}

// Error says why an event was refused. It is returned by Decode and by the
// reference checks downstream, and becomes a quarantine record.
type Error struct {
	Reason Reason
	Field  string // the offending field, when there is one
	Detail string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
}

func errf(r Reason, field, format string, args ...any) *Error {
	return &Error{Reason: r, Field: field, Detail: fmt.Sprintf(format, args...)}
}
