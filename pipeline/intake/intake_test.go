package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
)

// fakeAppender records the batches it is given. With err set it fails
// every Append after the first ok ones.
type fakeAppender struct {
	mu      sync.Mutex
	batches [][]string
	ok      int   // Appends that succeed before err is returned; 0 with err set: none
	err     error // returned once ok Appends have succeeded
	onCall  func(n int)
}

func (f *fakeAppender) Append(ctx context.Context, events [][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onCall != nil {
		f.onCall(len(f.batches))
	}
	if f.err != nil && len(f.batches) >= f.ok {
		return f.err
	}
	batch := make([]string, len(events))
	for i, e := range events {
		batch[i] = string(e)
	}
	f.batches = append(f.batches, batch)
	return nil
}

// events returns every appended event, in order.
func (f *fakeAppender) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.batches {
		out = append(out, b...)
	}
	return out
}

func (f *fakeAppender) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	return out
}

var errRedisDown = errors.New("dial tcp 10.0.0.7:6379: connection refused")

func TestObject(t *testing.T) {
	tests := []struct {
		name, in   string
		want       string
		wantDetail string
	}{
		{name: "compacts and keeps content", in: "{ \"b\" : 1.50,\n \"a\" : \"caf\\u00e9 <&>\" }",
			want: `{"b":1.50,"a":"caf\u00e9 <&>"}`},
		{name: "number", in: `42`, wantDetail: "want a JSON object, got a number"},
		{name: "string", in: `"x"`, wantDetail: "want a JSON object, got a string"},
		{name: "list", in: `[{}]`, wantDetail: "want a JSON object, got a list"},
		{name: "null", in: `null`, wantDetail: "want a JSON object, got null"},
		{name: "not JSON", in: `id=1`, wantDetail: "invalid character 'i' looking for beginning of value"},
		{name: "unterminated", in: `{"id":"a"`, wantDetail: "unexpected end of JSON input"},
		{name: "two objects", in: `{} {}`, wantDetail: "invalid character '{' after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := object([]byte(tt.in), 3, 4)
			if tt.wantDetail != "" {
				if rec.err == nil {
					t.Fatalf("object(%q) = %s, want error %q", tt.in, rec.raw, tt.wantDetail)
				}
				want := LineError{Index: 3, Line: 4, Reason: "invalid_json", Detail: tt.wantDetail}
				if *rec.err != want {
					t.Fatalf("object(%q) error = %+v, want %+v", tt.in, *rec.err, want)
				}
				return
			}
			if rec.err != nil {
				t.Fatalf("object(%q) error = %v", tt.in, rec.err)
			}
			if string(rec.raw) != tt.want {
				t.Errorf("object(%q) = %s, want %s", tt.in, rec.raw, tt.want)
			}
		})
	}
}

// jsonEqual reports whether two JSON texts hold the same value.
func jsonEqual(t *testing.T, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	return reflect.DeepEqual(g, w)
}

func lines(s ...string) []byte {
	var b bytes.Buffer
	for _, l := range s {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
