package intake

import (
	"bufio"
	"encoding/csv"
	"errors"

	"github.com/quartermaster-ops/quartermaster/pipeline/event"
)

// csvSource reads a header row of contract field names, then one event per
// row through event.CSVToJSON.
type csvSource struct {
	r      *csv.Reader
	header []string
	index  int
	line   int
}

func newCSVSource(br *bufio.Reader) *csvSource {
	r := csv.NewReader(br)
	// CSVToJSON checks each row against the header's width, and says more
	// than the reader's "wrong number of fields".
	r.FieldsPerRecord = -1
	return &csvSource{r: r}
}

func (s *csvSource) lines() int { return s.line }

func (s *csvSource) next() (record, error) {
	if s.header == nil {
		if err := s.readHeader(); err != nil {
			return record{}, err
		}
	}
	row, err := s.r.Read()
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		// The reader has consumed the broken row and goes on after it.
		s.line = max(s.line, pe.Line)
		s.index++
		return record{err: notObject(s.index-1, pe.StartLine, "csv: "+pe.Err.Error())}, nil
	}
	if err != nil {
		return record{}, err
	}
	start, _ := s.r.FieldPos(0)
	s.line, _ = s.r.FieldPos(len(row) - 1)
	s.index++
	raw, err := event.CSVToJSON(s.header, row)
	if err != nil {
		// A row that does not fit its header cannot become an object.
		return record{err: notObject(s.index-1, start, err.Error())}, nil
	}
	return object(raw, s.index-1, start), nil
}

// readHeader reads the header row. A header that cannot be read, or that no
// row can fit (a name used twice, say), ends the input with one error
// instead of the same rejection for every row.
func (s *csvSource) readHeader() error {
	h, err := s.r.Read()
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		s.line = pe.Line
		return notObject(0, pe.StartLine, "csv header: "+pe.Err.Error())
	}
	if err != nil {
		return err // io.EOF for an empty input
	}
	s.line, _ = s.r.FieldPos(len(h) - 1)
	// A row of blank cells converts to {} whenever the header is usable.
	if _, err := event.CSVToJSON(h, make([]string, len(h))); err != nil {
		return notObject(0, s.line, "csv header: "+err.Error())
	}
	s.header = h
	return nil
}
