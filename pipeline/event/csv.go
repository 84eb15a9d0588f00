package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// csvListSep separates the elements of a list field (substitutes, daily)
// within one CSV cell. A comma would collide with the CSV separator itself.
const csvListSep = "|"

// CSVToJSON converts one row of an event file in CSV to the JSON object of
// one event, ready for Decode. header names the contract field of each
// column, as in the file's first row.
//
// The import types a cell by its field's kind in the contract and never
// guesses beyond that: a cell of a numeric field (on_hand, qty, priority,
// schema...) becomes a JSON number when it is written as one, and otherwise
// stays a string so that Decode refuses it as invalid_field with the cell
// as the producer wrote it. A list field (substitutes, daily) is split on
// '|', each element typed the same way. Empty or blank cells are omitted,
// as a CSV cannot say null. Columns the contract does not name are passed
// as strings, as Decode ignores them. Strings are passed verbatim, since
// ids and references are compared exactly downstream.
//
// The members keep the header's order so that a quarantined row reads like
// the file it came from. CSVToJSON fails only for a row that does not fit
// its header: a cell count that differs, a name used twice, or a cell under
// a column with no name.
func CSVToJSON(header []string, record []string) ([]byte, error) {
	if len(record) != len(header) {
		return nil, fmt.Errorf("csv row has %d cells, header has %d columns", len(record), len(header))
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		name = columnName(name, i)
		cell := record[i]
		blank := strings.TrimSpace(cell) == ""
		if name == "" {
			// Spreadsheets often export a trailing unnamed column of
			// empty cells; only data without a name is an error.
			if blank {
				continue
			}
			return nil, fmt.Errorf("csv column %d has no name but holds %q", i+1, truncate(cell, 32))
		}
		if seen[name] {
			return nil, fmt.Errorf("csv column %q appears twice in the header", truncate(name, 64))
		}
		seen[name] = true
		if blank {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		if err := appendJSON(&buf, name); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := appendJSON(&buf, csvValue(name, cell)); err != nil {
			return nil, fmt.Errorf("csv column %q: %w", name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// columnName normalizes a header cell: spreadsheet exports put a UTF-8 byte
// order mark before the first name and sometimes pad names with spaces,
// neither of which can be part of a contract field name.
func columnName(name string, i int) string {
	if i == 0 {
		name = strings.TrimPrefix(name, "\uFEFF")
	}
	return strings.TrimSpace(name)
}

// csvValue types one non-blank cell by the kind of its field.
func csvValue(name, cell string) any {
	k, ok := kindOf(name)
	if !ok {
		return cell
	}
	switch k {
	case kNumber, kInt:
		return csvNumber(cell)
	case kStrings:
		return strings.Split(cell, csvListSep)
	case kNumbers:
		parts := strings.Split(cell, csvListSep)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = csvNumber(p)
		}
		return out
	}
	return cell
}

// csvNumber returns cell as a json.Number when, spaces aside, it is a JSON
// number literal, and as the string it is otherwise. JSON's grammar rather
// than strconv.ParseFloat decides, because ParseFloat also reads "Inf",
// "NaN", "0x1p4" and "1_000", which are not numbers in the contract.
func csvNumber(cell string) any {
	s := strings.TrimSpace(cell)
	if s != "" && (s[0] == '-' || ('0' <= s[0] && s[0] <= '9')) && json.Valid([]byte(s)) {
		return json.Number(s)
	}
	return cell
}

// appendJSON writes v to buf as JSON without escaping <, > and &: the
// object is data for Decode and a quarantine record for people, not HTML.
func appendJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends each value with a newline
	return nil
}
