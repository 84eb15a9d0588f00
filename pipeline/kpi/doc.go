// Package kpi computes the supply-chain key performance indicators of the
// validated state: fill rate and on-time-in-full from orders and shipments,
// supplier lead time, promise reliability and lead-time drift, and lane
// transit delay.
//
// Planners check these numbers by hand, so every figure is defined here and
// the code follows the definition step by step. The package is pure: it
// reads no clock, store or network, and the same input always gives the
// same output, down to the last bit of every float (sums run in a fixed
// order, never in map order).
//
// # Days, windows and rates
//
// Every day is a UTC day, as the store keys demand and shipments by the UTC
// day of the event. A Window is the whole days from the day of From up to,
// not including, the day of To; times of day are ignored.
//
// A Rate keeps its numerator and denominator next to its Value = Num / Den,
// so the share can be checked. Value is 0 when Den is 0, and the function
// that returns the Rate says so with ok = false or an Enough flag: no figure
// is ever NaN or infinite. A quantity that is negative, NaN or infinite
// counts as zero; the event decoder already refuses such values, and this is
// the last line of defence.
//
// # Fill rate
//
//	FillRate = units shipped on the days of the window / units ordered on the days of the window
//
// Orders are Position.Demand (order.created quantity by day) and shipments
// Position.Shipped (order.shipped quantity by day). This is a unit fill rate
// by calendar day as recorded: an order shipped on a later day counts on its
// shipping day, so a window that ships an earlier backlog can have a fill
// rate above 1. It is not capped, because capping would hide that backlog.
//
// # On time in full
//
// The store keeps quantities per day, not per order, so OTIF is computed by
// day: a day with orders is on time in full when the units shipped that day
// cover the units ordered that day (forgiving float noise of one part in a
// billion), and
//
//	OTIF = days on time in full / days with orders
//
// over the days of the window. A day with no orders does not count, whatever
// it shipped. This is a proxy: true per-order OTIF (each order shipped
// complete by its requested date) needs order-level state, each order's
// quantity, requested_at and shipments, which the store does not keep yet.
//
// # Lead time
//
// A PO is complete when it has a positive Qty and Received >= Qty, or when
// its shipment was delivered. Its arrival is its last receipt, or its
// delivery when it has no receipt, and
//
//	lead time = arrival - Created, in days of 24 hours (10.5 is ten and a half days)
//
// A complete PO with no Created or no arrival time, or one that arrived
// before it was created, is bad data and is skipped, so it cannot drag a
// mean. An open PO has no lead time yet.
//
// A PO is on time when it arrived by the end of the UTC day of its original
// promise (FirstPromised, the promise it was raised with; later promise
// changes do not move the goal). Its lateness is whole days:
//
//	late days = max(0, arrival day - original promise day)
//
// so a PO promised for the 10th that arrives on the 12th, at any hour, is 2
// days late. A PO with no recorded original promise still has a lead time
// but takes no part in promise reliability.
//
// # Suppliers
//
// Per supplier, over its completed POs:
//
//   - POs is how many there are; MeanDays is the mean lead time.
//   - P90Days is the 90th percentile by nearest rank: sort the lead times
//     ascending and take the k-th, k = ceil(0.9 * n). With 3 POs that is the
//     3rd (the longest); with 10 POs, the 9th. It is always one of the
//     observed lead times, never an interpolation.
//   - OnTime, the promise reliability, is POs on time / POs with an original
//     promise.
//   - MeanLateDays is the mean late days of the POs that were late, 0 when
//     none was.
//
// Drift compares the most recent lead times with the earlier ones. The POs
// are ordered by arrival; the last N (DefaultRecent when not given) are
// Recent and all before them Baseline, and
//
//	Ratio     = mean(Recent) / mean(Baseline)
//	DeltaDays = mean(Recent) - mean(Baseline)
//
// Drift is Enough to act on when both groups hold at least MinDriftSample
// POs. Ratio is 0 when the baseline mean is 0 (no ratio exists); means and
// DeltaDays are 0 when a group is empty.
//
// # Lanes
//
// Per lane (the PO's lane), over the shipments that were delivered and whose
// carrier gave a first ETA: a shipment is late when it was delivered after
// the end of the UTC day of its first ETA (the carrier's first word; later
// delays do not move the goal), and
//
//	Late       = late shipments / delivered shipments
//	delay days = delivery day - first ETA day, for a late shipment
//
// MeanDelayDays is the mean delay days of the late shipments, 0 when none
// was late. An early delivery is on time, not negatively late. A PO with no
// lane is in no lane's figures.
package kpi
