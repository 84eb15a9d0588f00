package event_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

func ExampleDecode() {
	// now is when the event arrived; occurred_at may run ahead of it by at
	// most event.MaxFutureSkew.
	now := time.Date(2026, 11, 27, 9, 12, 0, 0, time.UTC)

	ev, err := event.Decode([]byte(`{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}`), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, ev.SKUSite(), *ev.OnHand, ev.OccurredAt.Format(time.RFC3339))

	// A refusal says why, as a reason code for the quarantine record and
	// the field at fault.
	_, err = event.Decode([]byte(`{"id":"wms-882","type":"inventory.snapshot","occurred_at":"2026-11-27T09:11:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":-4}`), now)
	var e *event.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, e.Field)
		fmt.Println(err)
	}
	// Output:
	// inventory.snapshot SKU-1001@DC-EAST 140 2026-11-27T09:10:00Z
	// negative_quantity on_hand
	// negative_quantity: on_hand: -4 is below zero
}
