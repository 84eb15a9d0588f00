// Package inventory projects one SKU-site's stock day by day and derives the
// stock-alert metrics of the contract: days of supply, stockout date, unserved
// quantity and revenue at risk, and the inbound that ends the shortage.
//
// Planners check these numbers by hand, so every rule is written down here
// and the code follows it step by step. The package is pure: it reads no
// clock, store or network, and the same Position always gives the same
// Projection.
//
// # Inputs
//
// Today is the first projected day. Every date is reduced to its UTC day
// (midnight UTC), so a time of day never matters. Demand[i] is the forecast
// demand of day Today+i, and len(Demand) is the horizon. An inbound arrives
// on its Arrives day; one dated before Today (late, or with no date at all)
// is still expected and arrives on Today; one dated on or after the end of
// the horizon does not arrive within it and is ignored.
//
// A quantity, price or demand that is negative, NaN or infinite counts as
// zero, so bad data can never turn into a NaN or a negative metric. The event
// decoder already refuses such values; this is the last line of defence.
//
// # Days of supply
//
// DaysOfSupply = OnHand / (mean daily Demand over the horizon), before any
// inbound. It is +Inf when the horizon holds no demand at all.
//
// # The daily projection
//
// Each day, in order:
//
//	start     = the previous day's end (OnHand on Today)
//	available = start + inbound arriving that day
//	served    = min(available, demand)
//	unserved  = demand - served
//	end       = available - served
//
// Unserved demand is lost, not backordered: it never comes back on a later
// day. So start + inbound = served + end holds every day.
//
// # Stockout date
//
// The stockout date is the first day on which available < demand: projected
// on-hand, inbound counted, cannot cover that day's forecast demand. The
// comparison forgives float noise of one part in a billion (and 1e-9 units
// for demand below one unit), so 0.1+0.2 units cover a demand of 0.3. A day
// whose demand is zero (or within that noise) is never a stockout.
//
// # End of the shortage, and revenue at risk
//
// Only the first shortage episode counts. It ends on the first later day on
// which an inbound arrives and available >= demand; that inbound is
// CoveredBy and that day is the RecoveryDate.
//
// Two refinements make this exact when several inbounds meet, or when a day
// has no demand:
//
//   - Inbounds arriving on the same day are taken in Ref order, and CoveredBy
//     is the first whose quantity, added to the stock and to the inbounds
//     before it, covers the day's demand.
//   - A day with no demand tests nothing. An inbound arriving on it is judged
//     on the next day that has demand: if that day is covered, the shortage
//     ended on the inbound's arrival day. If that day is still short, the
//     inbound was too small and the shortage goes on.
//
// When no inbound within the horizon ends the shortage, the window ends on
// the day an order placed today would land: Today + LeadTimeDays, rounded
// down to a whole day as arrival times are. CoveredBy is then "" and
// RecoveryDate is that landing day. If the order would land on or before the
// stockout date, the window is empty: UnservedQty is 0 and RecoveryDate
// equals StockoutDate, meaning the loss is avoidable by ordering now. A
// LeadTimeDays that is not a positive number means the lead time is unknown,
// and the window runs to the end of the horizon, as it does when the order
// would land beyond the horizon; RecoveryDate is then zero.
//
// UnservedQty is the sum of the days' unserved demand from the stockout date
// (inclusive) to the RecoveryDate (exclusive), or to the end of the horizon
// when RecoveryDate is zero. RevenueAtRisk = UnservedQty * UnitPrice.
package inventory
