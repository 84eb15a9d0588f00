package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// Sender posts JSON with an idempotency key; approve.Webhook is one.
type Sender interface {
	Send(ctx context.Context, v any, key string) error
}

// WorkItems turns alerts into work items in another system (a ticket
// queue, an ERP task list) through a webhook: the first revision of an
// episode creates the item, later ones update it. Each call carries an
// idempotency key of the alert episode and revision, so a retried or
// repeated delivery never creates a second item.
type WorkItems struct {
	Sender Sender
}

// WorkItem is the JSON a work-item receiver gets.
type WorkItem struct {
	Queue  string      `json:"queue"`   // the route's channel
	Event  string      `json:"event"`   // "create" for a new episode, "update" after
	ItemID string      `json:"item_id"` // stable for the episode: the alert id
	Alert  alert.Alert `json:"alert"`
}

// Notify implements Notifier.
func (w WorkItems) Notify(ctx context.Context, queue string, a alert.Alert, prev *Ref) (Ref, error) {
	item := WorkItem{Queue: queue, Event: "update", ItemID: a.ID, Alert: a}
	if prev == nil {
		item.Event = "create"
	}
	key := a.ID + ":" + strconv.FormatInt(a.Revision, 10)
	if err := w.Sender.Send(ctx, item, key); err != nil {
		// A refusal says whether trying again can help; anything else (the
		// receiver unreachable) is worth another try.
		retryable := true
		var refusal interface{ Retryable() bool }
		if errors.As(err, &refusal) {
			retryable = refusal.Retryable()
		}
		return Ref{}, &Error{Retryable: retryable, Err: fmt.Errorf("work item %s: %w", a.ID, err)}
	}
	return Ref{Channel: queue, Message: a.ID}, nil
}
