package event

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// The consumer decodes every event, so Decode avoids encoding/json's
// reflection on its hot path: the document is checked once with
// json.Valid, split into its top-level members without copying, and plain
// strings and numbers are read straight from the bytes. Anything unusual
// (escapes, odd bytes) takes the encoding/json path, so the results are the
// same either way; TestFastPathsAgree pins that.

// members splits a valid JSON object into its top-level members. Values
// are sub-slices of raw; a repeated key keeps its last value, as
// encoding/json does.
func members(raw []byte) (map[string]json.RawMessage, bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	obj := make(map[string]json.RawMessage, 12)
	i := skipSpace(raw, 1)
	for i < len(raw) && raw[i] != '}' {
		end := skipString(raw, i)
		key, ok := plainString(raw[i:end])
		if !ok {
			if err := json.Unmarshal(raw[i:end], &key); err != nil {
				return nil, false
			}
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // ':'
		vend := skipValue(raw, i)
		obj[key] = raw[i:vend]
		i = skipSpace(raw, vend)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return obj, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// plainString reads a JSON string with no escapes and valid UTF-8 without
// allocating a decoder; ok is false when encoding/json must do it.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// plainNumber reads a JSON number; ok is false for anything else.
func plainNumber(v []byte) (float64, bool) {
	if len(v) == 0 || !(v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) {
		return 0, false
	}
	n, err := strconv.ParseFloat(string(v), 64)
	return n, err == nil
}
