// Package sim simulates a supply-chain network and emits its events in the
// contract's wire format, so that `quartermaster demo` and the tests can run
// the whole bot without a warehouse, an ERP or a carrier behind it.
//
// The network is SKUs (classes A, B and C) stocked at sites in two regions,
// bought from suppliers with their own lead times and reliability, and sold
// to customers. It runs as a discrete-event simulation on simulated time:
//
//   - New draws the network, the demand history before Config.Start and the
//     opening state (on-hand, open purchase orders) from the seed.
//   - Backfill renders that past as records: master data, aggregated order
//     history, open POs and their shipments, and one opening snapshot per
//     SKU-site.
//   - Advance runs the simulation forward. Each simulated day brings orders
//     (weekly seasonality, promotions, intermittent slow movers), shipments
//     from stock (short when stock runs out), a daily replenishment review
//     that raises POs under a reorder-point/order-up-to policy, supplier
//     dispatches, carrier delays, deliveries and receipts, nightly WMS
//     snapshots and occasional cycle-count adjustments.
//   - Scenario lists four scheduled disruptions: a port delay that makes a
//     class-A SKU run out within the first day, a supplier slip, a demand
//     spike and a broken WMS feed. The broken feed is the only source of
//     invalid records, and each of them carries its Fault.
//
// Records carry an arrival time as well as the event time, so that feeds can
// be late and out of order as real ones are. Everything is drawn from
// math/rand/v2 generators seeded from Config.Seed and processed in a fixed
// order: the same Config gives byte-identical records however Advance is
// stepped.
package sim
