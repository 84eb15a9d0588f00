package event

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode holds Decode to three properties on any input: it does not
// panic; what it accepts survives json.Marshal and decodes again to the
// same event (so the stream, quarantine replay and state rebuilds agree);
// and what it refuses carries a reason code for the quarantine record.
func FuzzDecode(f *testing.F) {
	for _, line := range readValid(f) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw, testNow)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error %v is a %T, want *Error", err, err)
			}
			if e.Reason == "" {
				t.Fatalf("Decode error %v has no reason", err)
			}
			return
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("Marshal of an accepted event: %v\ninput %q", err, raw)
		}
		again, err := Decode(out, testNow)
		if err != nil {
			t.Fatalf("accepted %q, refused its re-marshal %s: %v", raw, out, err)
		}
		if !reflect.DeepEqual(again, ev) {
			t.Fatalf("round trip changed the event:\n got %+v\nwant %+v\ninput %q", again, ev, raw)
		}
	})
}
