// Package notify delivers alert changes to chat: one message per alert,
// edited in place as the alert changes, with its history as thread replies.
// Each platform has a Notifier; the dispatcher (see Dispatcher) decides
// which channels hear of a change and remembers the message it posted, so
// the next change edits it instead of posting again.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// Ref is a platform's handle on the message of one alert in one channel,
// kept in the notification log between changes.
type Ref struct {
	Channel string `json:"channel"` // the platform's channel id the message lives in
	Message string `json:"message"` // Slack: the message ts; Discord: the message id
	Thread  string `json:"thread"`  // where history replies go (Slack: the parent ts; Discord: a thread channel id), "" if none yet
}

// Notifier delivers alert changes to one platform.
type Notifier interface {
	// Notify posts alert a as a new message in channel when prev is nil,
	// or edits the message prev names to show a and adds one reply to its
	// thread saying what changed. It returns the reference to keep for
	// the next change. ctx bounds the whole call, retries included.
	Notify(ctx context.Context, channel string, a alert.Alert, prev *Ref) (Ref, error)
}

// Error is a delivery failure with its class: whether trying again can
// help, and after how long the platform asked us to wait.
type Error struct {
	Retryable  bool
	RetryAfter time.Duration // 0 when the platform named no wait
	Err        error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (retry after %s): %v", kind, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying, and after how long.
func Retryable(err error) (bool, time.Duration) {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable, e.RetryAfter
	}
	return false, 0
}
