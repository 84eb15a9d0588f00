// Package event defines the supply-chain events Quartermaster consumes,
// decodes them strictly and says precisely why one is rejected.
//
// The wire format is the contract's: one JSON object per event with an
// envelope (id, type, occurred_at, source, schema) and fields by type.
// Unknown fields are ignored so producers can add fields compatibly.
package event

import (
	"time"
)

// Type names an event kind, for example "inventory.snapshot".
type Type string

// The event types of contract v1.
const (
	MasterSKU             Type = "masterdata.sku"
	MasterSite            Type = "masterdata.site"
	MasterSupplier        Type = "masterdata.supplier"
	MasterCustomer        Type = "masterdata.customer"
	InventorySnapshot     Type = "inventory.snapshot"
	InventoryAdjusted     Type = "inventory.adjusted"
	InventoryReceived     Type = "inventory.received"
	OrderCreated          Type = "order.created"
	OrderShipped          Type = "order.shipped"
	POCreated             Type = "po.created"
	PromiseChanged        Type = "supplier.promise_changed"
	ShipmentDispatched    Type = "shipment.dispatched"
	ShipmentDelayed       Type = "shipment.delayed"
	ShipmentDelivered     Type = "shipment.delivered"
	ForecastUpdated       Type = "forecast.updated"
	ExceptionAcknowledged Type = "exception.acknowledged"
)

// Units of measure. A quantity in CS is multiplied by the SKU's case_qty.
const (
	UOMEach = "EA"
	UOMCase = "CS"
)

// MaxFutureSkew is how far ahead of the receiver's clock an event's
// occurred_at may be before it is quarantined as a future time.
const MaxFutureSkew = 5 * time.Minute

// Event is one decoded, validated event. Only the fields of its type are
// set; optional numbers are pointers so that an absent field and zero differ.
type Event struct {
	ID         string    `json:"id"`
	Type       Type      `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Source     string    `json:"source"`
	Schema     int       `json:"schema,omitempty"`

	// References.
	SKU      string `json:"sku,omitempty"`
	Site     string `json:"site,omitempty"`
	Supplier string `json:"supplier,omitempty"`
	Customer string `json:"customer,omitempty"`
	Order    string `json:"order,omitempty"`
	PO       string `json:"po,omitempty"`
	Shipment string `json:"shipment,omitempty"`
	Alert    string `json:"alert,omitempty"`

	// Master data.
	Name         string   `json:"name,omitempty"`
	UnitCost     *float64 `json:"unit_cost,omitempty"`
	UnitPrice    *float64 `json:"unit_price,omitempty"`
	Class        string   `json:"class,omitempty"`
	CaseQty      *float64 `json:"case_qty,omitempty"`
	Substitutes  []string `json:"substitutes,omitempty"`
	LeadTimeDays *float64 `json:"lead_time_days,omitempty"`
	Owner        string   `json:"owner,omitempty"`
	Category     string   `json:"category,omitempty"`
	Region       string   `json:"region,omitempty"`
	Timezone     string   `json:"timezone,omitempty"`
	Priority     int      `json:"priority,omitempty"`

	// Quantities, in the unit named by UOM (EA when empty).
	OnHand    *float64 `json:"on_hand,omitempty"`
	Allocated *float64 `json:"allocated,omitempty"`
	Delta     *float64 `json:"delta,omitempty"`
	Qty       *float64 `json:"qty,omitempty"`
	UOM       string   `json:"uom,omitempty"`

	// Dates.
	RequestedAt time.Time `json:"requested_at,omitzero"`
	PromisedAt  time.Time `json:"promised_at,omitzero"`
	ETA         time.Time `json:"eta,omitzero"`
	Start       time.Time `json:"start,omitzero"`

	// Logistics and free text. Free text comes from partners and is untrusted.
	Lane    string    `json:"lane,omitempty"`
	Carrier string    `json:"carrier,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Note    string    `json:"note,omitempty"`
	By      string    `json:"by,omitempty"`
	Model   string    `json:"model,omitempty"`
	Daily   []float64 `json:"daily,omitempty"`
}

// Num returns a pointer to v, for building events in code.
func Num(v float64) *float64 { return &v }

// SKUSite returns the stock position an event belongs to as "SKU@SITE",
// or "" when the event names no SKU and site of its own.
func (e *Event) SKUSite() string {
	if e.SKU == "" || e.Site == "" {
		return ""
	}
	return e.SKU + "@" + e.Site
}
