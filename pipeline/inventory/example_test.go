package inventory_test

import (
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/inventory"
)

func ExampleProject() {
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	p := inventory.Project(inventory.Position{
		OnHand:    100,
		Today:     today,
		Demand:    []float64{30, 30, 30, 30, 30, 30, 30},
		UnitPrice: 12,
		Inbound: []inventory.Inbound{{
			Ref: "PO-1", Kind: inventory.KindPO, Qty: 50,
			Arrives: today.AddDate(0, 0, 5), Basis: inventory.BasisSupplierPromise,
		}},
	})
	for _, d := range p.Days {
		fmt.Printf("%s start %3.0f in %2.0f demand %2.0f served %2.0f unserved %2.0f end %2.0f\n",
			d.Date.Format(time.DateOnly), d.Start, d.Inbound, d.Demand, d.Served, d.Unserved, d.End)
	}
	fmt.Printf("days of supply %.2f\n", p.DaysOfSupply)
	fmt.Println("stockout", p.StockoutDate.Format(time.DateOnly))
	fmt.Printf("unserved %.0f, revenue at risk %.0f\n", p.UnservedQty, p.RevenueAtRisk)
	fmt.Println("covered by", p.CoveredBy, "on", p.RecoveryDate.Format(time.DateOnly))
	// Output:
	// 2026-12-01 start 100 in  0 demand 30 served 30 unserved  0 end 70
	// 2026-12-02 start  70 in  0 demand 30 served 30 unserved  0 end 40
	// 2026-12-03 start  40 in  0 demand 30 served 30 unserved  0 end 10
	// 2026-12-04 start  10 in  0 demand 30 served 10 unserved 20 end  0
	// 2026-12-05 start   0 in  0 demand 30 served  0 unserved 30 end  0
	// 2026-12-06 start   0 in 50 demand 30 served 30 unserved  0 end 20
	// 2026-12-07 start  20 in  0 demand 30 served 20 unserved 10 end  0
	// days of supply 3.33
	// stockout 2026-12-04
	// unserved 50, revenue at risk 600
	// covered by PO-1 on 2026-12-06
}
