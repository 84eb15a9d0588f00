package store

import (
	"strconv"
	"strings"
)

// Keys names every Redis key Quartermaster uses. The layout is documented in
// the README; it is designed for Redis Cluster:
//
//   - the contract's streams keep their plain names (qm:events, qm:alerts,
//     qm:quarantine); their companions use the stream's full name as a hash
//     tag ({qm:alerts}:state) so scripts touching both stay on one slot;
//   - state lives under a generation (qm:s1:...) so `replay` can rebuild it
//     into fresh keys beside the live ones;
//   - everything about one stock position shares the tag {SKU@SITE}, so the
//     apply script is atomic on one shard and positions spread evenly;
//   - master data shares {md}, lookup indexes share {idx}.
type Keys struct {
	prefix string
	gen    int
}

// NewKeys returns the key names under prefix (for example "qm:") for state
// generation gen (1 and up).
func NewKeys(prefix string, gen int) Keys { return Keys{prefix: prefix, gen: gen} }

// Prefix is the configured key prefix.
func (k Keys) Prefix() string { return k.prefix }

// Generation is the state generation these keys address.
func (k Keys) Generation() int { return k.gen }

// Events is the raw event stream (the bronze layer).
func (k Keys) Events() string { return k.prefix + "events" }

// Quarantine is the stream of refused events.
func (k Keys) Quarantine() string { return k.prefix + "quarantine" }

// QuarantineSeen is the set of source entry ids already quarantined.
func (k Keys) QuarantineSeen() string { return "{" + k.Quarantine() + "}:seen" }

// QuarantineReplayed is the set of quarantine entry ids already re-submitted.
func (k Keys) QuarantineReplayed() string { return "{" + k.Quarantine() + "}:replayed" }

// Alerts is the stream of alert changes.
func (k Keys) Alerts() string { return k.prefix + "alerts" }

// AlertState is the hash of current alert records by fingerprint.
func (k Keys) AlertState() string { return "{" + k.Alerts() + "}:state" }

// GenerationPointer holds the number of the state generation in use.
func (k Keys) GenerationPointer() string { return k.prefix + "state:gen" }

func (k Keys) state() string { return k.prefix + "s" + strconv.Itoa(k.gen) + ":" }

// StatePattern matches every state key of this generation, for SCAN.
func (k Keys) StatePattern() string { return k.state() + "*" }

// Position keys of one SKU-site ("SKU@SITE").
func (k Keys) Pos(ss string) string      { return k.state() + "{" + ss + "}:pos" }
func (k Keys) Demand(ss string) string   { return k.state() + "{" + ss + "}:demand" }
func (k Keys) Shipped(ss string) string  { return k.state() + "{" + ss + "}:shipped" }
func (k Keys) Inbound(ss string) string  { return k.state() + "{" + ss + "}:inbound" }
func (k Keys) Deltas(ss string) string   { return k.state() + "{" + ss + "}:deltas" }
func (k Keys) Forecast(ss string) string { return k.state() + "{" + ss + "}:forecast" }

// Seen is the set of event ids applied to a SKU-site, bucketed by the
// events' own day so each bucket can expire after the dedupe window.
func (k Keys) Seen(ss, day string) string { return k.state() + "{" + ss + "}:seen:" + day }

// Master data, by kind ("sku", "site", "supplier", "customer", "ack").
func (k Keys) Master(kind string) string     { return k.state() + "{md}:" + kind }
func (k Keys) MasterTime(kind string) string { return k.state() + "{md}:" + kind + ":t" }
func (k Keys) MasterSeen(day string) string  { return k.state() + "{md}:seen:" + day }
func (k Keys) POIndex() string               { return k.state() + "{idx}:po" }
func (k Keys) ShipmentIndex() string         { return k.state() + "{idx}:shipment" }
func (k Keys) Positions() string             { return k.state() + "{idx}:skusites" }

// SKUSites is the set of sites where one SKU has state, for transfers.
func (k Keys) SKUSites(sku string) string { return k.state() + "{idx}:sites:" + sku }

// SplitSKUSite splits "SKU@SITE" at its last '@'.
func SplitSKUSite(ss string) (sku, site string) {
	i := strings.LastIndexByte(ss, '@')
	if i < 0 {
		return ss, ""
	}
	return ss[:i], ss[i+1:]
}
