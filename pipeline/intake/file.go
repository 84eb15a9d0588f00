package intake

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is the format of an import's input.
type Format string

// The formats ImportFile reads.
const (
	// FormatJSONL is one JSON object per line (JSONL, NDJSON). A JSON array
	// of objects is read too, so a .json export works whichever it holds.
	FormatJSONL Format = "jsonl"
	// FormatCSV is a header row of contract field names, then one event
	// per row, converted by event.CSVToJSON.
	FormatCSV Format = "csv"
)

// FormatOf returns the format a file name's extension stands for, or ""
// when it stands for none.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".csv":
		return FormatCSV
	}
	return ""
}

// Import defaults.
const (
	DefaultBatchSize = 1000
	// DefaultMaxLineBytes is far above any real event; a longer line is
	// more likely a file that is not JSONL at all.
	DefaultMaxLineBytes = 1 << 20
)

// ImportOptions tunes an import. The zero value works.
type ImportOptions struct {
	// Format of the input. Empty means by the file's extension, and
	// FormatJSONL for standard input and Import. It is never guessed from
	// the content: a JSONL file with a broken first line read as CSV
	// would put rows of nonsense on the permanent raw stream.
	Format Format
	// BatchSize is how many events each Append carries, which bounds the
	// memory an import holds. 0 means DefaultBatchSize.
	BatchSize int
	// MaxLineBytes is the longest JSONL line read; a longer one is
	// rejected. 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// Progress is where a progress bar by bytes read is drawn, when it is
	// a terminal. Anything else (nil, a pipe, a log file, a buffer) gets
	// no output at all: the caller reports ImportStats.
	Progress io.Writer
}

func (o ImportOptions) withDefaults() ImportOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o
}

// ImportStats counts what an import read and did.
type ImportStats struct {
	// Lines is the number of the last input line read: blank lines and a
	// CSV header are included.
	Lines int
	// Appended is how many events the Appender took, in whole batches.
	Appended int
	// Rejected is how many records were not event objects and were not
	// appended.
	Rejected int
	// Errors says why, for the first MaxReportedErrors of them.
	Errors []LineError
	// Bytes is how many bytes were read.
	Bytes int64
}

// ImportFile appends the events of the file at path to the raw stream
// through a, in batches; path "-" reads standard input. Records that are
// not event objects (a line that is not a JSON object, a CSV row that does
// not convert) are not appended but counted and reported in the stats, and
// the import goes on. Objects that break the contract in other ways are
// appended, and the consumer quarantines them.
//
// An error ends the import and is returned with the stats so far: the
// events of the batches appended before it stay appended, and running the
// import again is safe because the consumer drops repeated event ids.
// Cancelling ctx stops the import before its next record, without
// appending the batch being filled.
func ImportFile(ctx context.Context, a Appender, path string, opts ImportOptions) (ImportStats, error) {
	if path == "-" {
		st, err := importFrom(ctx, a, os.Stdin, -1, opts)
		if err != nil {
			return st, fmt.Errorf("import stdin: %w", err)
		}
		return st, nil
	}
	if opts.Format == "" {
		opts.Format = FormatOf(path)
		if opts.Format == "" {
			return ImportStats{}, fmt.Errorf("import %s: unknown format: name the file .jsonl, .ndjson, .json or .csv, or say the format (jsonl or csv)", path)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return ImportStats{}, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	st, err := importFrom(ctx, a, f, size, opts)
	if err != nil {
		return st, fmt.Errorf("import %s: %w", path, err)
	}
	return st, nil
}

// Import is ImportFile reading from r, for input that is not a named file.
func Import(ctx context.Context, a Appender, r io.Reader, opts ImportOptions) (ImportStats, error) {
	return importFrom(ctx, a, r, -1, opts)
}

// importFrom does the work of an import; size is r's length for the
// progress bar, or -1 when unknown.
func importFrom(ctx context.Context, a Appender, r io.Reader, size int64, opts ImportOptions) (st ImportStats, err error) {
	opts = opts.withDefaults()
	bar := newProgress(opts.Progress, size)
	defer func() { bar.close(err == nil) }()
	br := bufio.NewReaderSize(&countingReader{r: r, n: &st.Bytes, bar: bar}, 64<<10)
	if err := skipBOM(br); err != nil {
		return st, fmt.Errorf("read: %w", err)
	}
	src, err := newSource(br, opts)
	if err != nil {
		return st, err
	}

	batch := make([][]byte, 0, opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := a.Append(ctx, batch); err != nil {
			return fmt.Errorf("append events before line %d: %w", src.lines()+1, err)
		}
		st.Appended += len(batch)
		// A fresh slice rather than batch[:0], so that nothing the
		// Appender might still refer to is overwritten.
		batch = make([][]byte, 0, opts.BatchSize)
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("stopped after line %d: %w", st.Lines, err)
		}
		rec, err := src.next()
		st.Lines = src.lines()
		if err == io.EOF {
			break
		}
		if err != nil {
			// What came before the error is appended, so the stats
			// describe the input up to the line it names.
			if ferr := flush(); ferr != nil {
				return st, errors.Join(err, ferr)
			}
			if le, ok := errors.AsType[*LineError](err); ok {
				// The decoder may stop short of the line it faults.
				st.Lines = max(st.Lines, le.Line)
				return st, err
			}
			return st, fmt.Errorf("read after line %d: %w", st.Lines, err)
		}
		if rec.err != nil {
			st.Rejected++
			if len(st.Errors) < MaxReportedErrors {
				st.Errors = append(st.Errors, *rec.err)
			}
			continue
		}
		batch = append(batch, rec.raw)
		if len(batch) == opts.BatchSize {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	return st, flush()
}

// newSource picks the reader of the input's format. JSON input is read as
// an array when it starts with '[', which a line of JSONL never does.
func newSource(br *bufio.Reader, opts ImportOptions) (source, error) {
	format := cmp.Or(opts.Format, FormatJSONL)
	switch format {
	case FormatJSONL:
		first, err := sniff(br)
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if first == '[' {
			return newArraySource(br), nil
		}
		return newLineSource(br, opts.MaxLineBytes), nil
	case FormatCSV:
		return newCSVSource(br), nil
	}
	return nil, fmt.Errorf("unknown format %q: want %s or %s", format, FormatJSONL, FormatCSV)
}

// countingReader counts the bytes read through it and moves the progress
// bar along.
type countingReader struct {
	r   io.Reader
	n   *int64
	bar progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	c.bar.add(n)
	return n, err
}
