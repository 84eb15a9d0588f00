package intake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// source reads records one at a time, so that neither a large file nor a
// large request is turned into a second copy of itself before it is checked.
type source interface {
	// next returns the next record. A record that is not an event object
	// comes back with its err set, and the input goes on after it. next
	// returns io.EOF at the end, and any other error when the input cannot
	// go on (a read error, or a JSON array whose syntax breaks: there is no
	// telling where its next element starts); such a parse error is a
	// *LineError.
	next() (record, error)
	// lines returns the number of the last input line read.
	lines() int
}

// sniff returns the first byte of br that is not whitespace, without
// consuming anything, or 0 when there is none. It peeks one byte at a time
// because a pipe may deliver the start of the input long before it fills a
// buffer.
func sniff(br *bufio.Reader) (byte, error) {
	for n := 1; n <= br.Size(); n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			if err == io.EOF {
				err = nil
			}
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
	return 0, nil
}

// utf8BOM is what spreadsheet programs put before a CSV or JSON export;
// skipping it keeps the first header name or the first object intact.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func skipBOM(br *bufio.Reader) error {
	b, err := br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF {
		return err
	}
	if bytes.Equal(b, utf8BOM) {
		_, err := br.Discard(len(utf8BOM))
		return err
	}
	return nil
}

// lineSource reads one JSON object per line (NDJSON, JSONL). Blank lines are
// skipped; a line longer than max is a rejected record, not the end of the
// input, so one runaway line does not stop an import.
type lineSource struct {
	br    *bufio.Reader
	max   int
	buf   []byte
	line  int
	index int
}

func newLineSource(br *bufio.Reader, maxLine int) *lineSource {
	return &lineSource{br: br, max: maxLine}
}

func (s *lineSource) lines() int { return s.line }

func (s *lineSource) next() (record, error) {
	for {
		ln, tooLong, err := s.readLine()
		if err != nil {
			return record{}, err
		}
		s.line++
		if tooLong {
			s.index++
			return record{err: notObject(s.index-1, s.line, fmt.Sprintf("line longer than %d bytes", s.max))}, nil
		}
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 {
			continue
		}
		s.index++
		return object(ln, s.index-1, s.line), nil
	}
}

// readLine returns the next line, or reports it too long and skips the
// rest of it; bufio.Scanner would instead end the whole input at the first
// overlong line. The returned slice is valid until the next call.
func (s *lineSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if !tooLong {
			if len(s.buf)+len(chunk) > s.max {
				tooLong, s.buf = true, s.buf[:0]
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return s.buf, tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return s.buf, tooLong, nil
	}
}

// arraySource reads the elements of one JSON array, one at a time.
type arraySource struct {
	dec     *json.Decoder
	lc      *lineCounter
	index   int
	started bool
	done    bool
}

// newArraySource reads from r, which must start (after whitespace) with '['.
func newArraySource(r io.Reader) *arraySource {
	lc := &lineCounter{r: r}
	return &arraySource{dec: json.NewDecoder(lc), lc: lc}
}

func (s *arraySource) lines() int { return s.lc.lineAt(s.dec.InputOffset()) }

func (s *arraySource) next() (record, error) {
	if s.done {
		return record{}, io.EOF
	}
	if !s.started {
		s.started = true
		tok, err := s.dec.Token()
		if err != nil {
			return record{}, s.broken(err)
		}
		if tok != json.Delim('[') {
			return record{}, s.fault("want a JSON array or one JSON object per line")
		}
	}
	if !s.dec.More() {
		if _, err := s.dec.Token(); err != nil { // the closing ']'
			return record{}, s.broken(err)
		}
		// A streaming reader would silently ignore anything after the
		// array; say so instead.
		if _, err := s.dec.Token(); err != io.EOF {
			if err != nil {
				return record{}, s.broken(err)
			}
			return record{}, s.fault("unexpected data after the array")
		}
		s.done = true
		return record{}, io.EOF
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return record{}, s.broken(err)
	}
	start := s.dec.InputOffset() - int64(len(raw))
	s.index++
	return object(raw, s.index-1, s.lc.lineAt(start)), nil
}

// broken turns an error that ends the array into the error of the element
// at which it happened, when it is the input's fault rather than a read
// error.
func (s *arraySource) broken(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.fault("unexpected end of input: the array is not closed")
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return s.fault(err.Error())
	}
	return err
}

// fault reports a syntax error at the element being read. Its line is that
// of the element's first byte, since the decoder does not say where inside
// a value it gave up.
func (s *arraySource) fault(detail string) *LineError {
	line := s.lines()
	// The decoder stands before the element's leading whitespace.
	if br, ok := s.dec.Buffered().(io.ByteReader); ok {
		for {
			c, err := br.ReadByte()
			if err != nil || (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
				break
			}
			if c == '\n' {
				line++
			}
		}
	}
	return notObject(s.index, line, detail)
}

// lineCounter counts the newlines that pass through it, so that a byte
// offset reported by the JSON decoder can be turned into a line number
// without keeping the input. It keeps only the newlines beyond the last
// offset asked about, which is at most the decoder's read-ahead.
type lineCounter struct {
	r      io.Reader
	read   int64
	ahead  []int64 // offsets of newlines not yet passed, ascending
	passed int     // newlines before the last offset asked about
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := 0, p[:n]; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		c.ahead = append(c.ahead, c.read+int64(i+j))
		i += j + 1
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the line, counting from 1, of byte offset off. Offsets must
// not decrease from one call to the next.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.ahead) && c.ahead[i] < off {
		i++
	}
	c.passed += i
	c.ahead = c.ahead[i:]
	return c.passed + 1
}
