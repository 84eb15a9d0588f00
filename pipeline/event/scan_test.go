package event

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// The fast paths must read exactly what encoding/json reads.
func TestFastPathsAgree(t *testing.T) {
	objects := []string{
		`{"a":1,"b":"x","c":[1,{"d":"}"}],"e":{"f":[]},"g":null,"h":true}`,
		` { "a" : "esc\"aped" , "b\u0041" : "\u00e9t\u00e9" , "a" : 2 } `,
		`{"k":"tab\there","n":-1.5e-3,"s":"","u":"naïve ☃","nested":{"x":{"y":[[["z"]]]}}}`,
		`{}`,
	}
	for _, raw := range objects {
		checkMembers(t, []byte(raw))
	}
	for _, s := range []string{`"plain"`, `"a\"b"`, `"\u0041"`, `"é"`, "\"\xff\"", `""`, `"a\\b"`} {
		want := ""
		json.Unmarshal([]byte(s), &want)
		if got, ok := plainString([]byte(s)); ok && got != want {
			t.Errorf("plainString(%s) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"0", "-0", "1.5", "-2e10", "1E-7", "123456789012345678901234567890"} {
		var want float64
		json.Unmarshal([]byte(s), &want)
		if got, ok := plainNumber([]byte(s)); !ok || got != want {
			t.Errorf("plainNumber(%s) = %v %v, want %v", s, got, ok, want)
		}
	}
}

func checkMembers(t *testing.T, raw []byte) {
	t.Helper()
	var want map[string]json.RawMessage
	wantErr := json.Unmarshal(raw, &want)
	got, ok := members(bytes.TrimSpace(raw))
	if (wantErr == nil) != ok {
		t.Fatalf("members(%q) ok=%v, encoding/json err=%v", raw, ok, wantErr)
	}
	if !ok {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("members(%q) = %d members, want %d", raw, len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
			t.Errorf("members(%q)[%s] = %s, want %s", raw, strconv.Quote(k), got[k], v)
		}
	}
}

func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"x\"y","c":[{"d":"]"}]}`))
	f.Add([]byte(`{"id":"e1","type":"inventory.snapshot","on_hand":5}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			return
		}
		checkMembers(t, raw)
	})
}
