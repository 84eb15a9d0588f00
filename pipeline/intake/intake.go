// Package intake puts events on the raw event stream by the two ways besides
// a producer's own XADD: the HTTP endpoint POST /v1/events (NewHandler) and
// the file import behind `quartermaster ingest FILE` (ImportFile, Import).
//
// Both only append raw JSON objects. Validation and quarantine happen later,
// in the stream consumer, so that the stream stays the complete raw record
// that `quartermaster replay` rebuilds state from: an object that breaks the
// contract (a missing field, an unknown type) is appended here and
// quarantined there with its full record. What intake refuses is only input
// that is not a JSON object at all, because there is no event in it to keep.
package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// Appender appends raw events to the event stream, in order. It returns only
// after all are durable in Redis, or an error (then none or some were
// appended; callers retry whole batches, duplicates are dropped downstream by
// event id). It must not keep events after it returns.
type Appender interface {
	Append(ctx context.Context, events [][]byte) error
}

// MaxReportedErrors bounds how many LineErrors an import or a 400 response
// lists, so one broken file cannot produce an unbounded report. Every
// rejected record is still counted.
const MaxReportedErrors = 100

// LineError says why one input record is not an event object and where it
// is. It is also the shape of each entry of a 400 response's "rejected" list.
type LineError struct {
	// Index is the record's position among the non-blank records of the
	// input (the element's position in a JSON array), counting from 0.
	Index int `json:"index"`
	// Line is the input line the record starts on, counting from 1.
	Line   int          `json:"line"`
	Reason event.Reason `json:"reason"`
	Detail string       `json:"detail"`
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Reason, e.Detail)
}

// record is one raw event as read from the input: a compact JSON object, or
// the reason it is not one.
type record struct {
	raw []byte
	err *LineError
}

// notObject is the error of a record that is not a JSON object.
func notObject(index, line int, detail string) *LineError {
	return &LineError{Index: index, Line: line, Reason: event.ReasonInvalidJSON, Detail: detail}
}

// object checks that raw is exactly one JSON object and returns it compacted.
// Compacting drops only insignificant whitespace (which NDJSON needs gone
// anyway), so the object reaches the stream as the producer wrote it: key
// order, the spelling of numbers and string escapes are kept. raw must not
// be empty.
func object(raw []byte, index, line int) record {
	if raw[0] != '{' {
		detail := "want a JSON object"
		if json.Valid(raw) {
			detail += ", got " + event.JSONKind(raw)
		} else if err := json.Unmarshal(raw, new(any)); err != nil {
			detail = err.Error()
		}
		return record{err: notObject(index, line, detail)}
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	// Compact validates as it goes, and refuses a second value after the
	// first, so "{...} {...}" on one line is refused rather than half-kept.
	if err := json.Compact(&buf, raw); err != nil {
		return record{err: notObject(index, line, err.Error())}
	}
	return record{raw: buf.Bytes()}
}
