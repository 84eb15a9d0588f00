package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestImportFile(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		opts      ImportOptions
		appendErr error
		appendOK  int // Appends that succeed before appendErr

		want       ImportStats // Bytes is checked against the file's size
		wantIDs    []string    // ids of the appended events, in order
		wantSizes  []int       // batch sizes, when the test is about them
		wantErr    string
		wantErrIs  error
		wantEvents []string // exact appended events, when the test is about them
	}{
		{
			name: "jsonl with a broken line and a list",
			path: "testdata/events.jsonl",
			want: ImportStats{Lines: 8, Appended: 5, Rejected: 2, Errors: []LineError{
				{Index: 3, Line: 5, Reason: "invalid_json", Detail: "unexpected end of JSON input"},
				{Index: 5, Line: 7, Reason: "invalid_json", Detail: "want a JSON object, got a list"},
			}},
			// wms-884 lacks on_hand: appended, for the consumer to quarantine.
			wantIDs: []string{"erp-sku-1001", "erp-site-east", "wms-881", "wms-883", "wms-884"},
		},
		{
			name: "csv with a short row",
			path: "testdata/events.csv",
			want: ImportStats{Lines: 5, Appended: 3, Rejected: 1, Errors: []LineError{
				{Index: 2, Line: 4, Reason: "invalid_json", Detail: "csv row has 8 cells, header has 9 columns"},
			}},
			wantEvents: []string{
				`{"id":"wms-881","type":"inventory.snapshot","occurred_at":"2026-11-27T09:10:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":140}`,
				`{"id":"erp-ord-5001","type":"order.created","occurred_at":"2026-11-27T09:00:00Z","source":"erp","sku":"SKU-1001","site":"DC-EAST","qty":12,"order":"ORD-5001"}`,
				// A number that is not one stays a string, for Decode to refuse.
				`{"id":"wms-885","type":"inventory.snapshot","occurred_at":"2026-11-27T09:30:00Z","source":"wms-east","sku":"SKU-1001","site":"DC-EAST","on_hand":"ten"}`,
			},
		},
		{
			name: "json array",
			path: "testdata/events.json",
			want: ImportStats{Lines: 13, Appended: 2, Rejected: 1, Errors: []LineError{
				{Index: 1, Line: 11, Reason: "invalid_json", Detail: "want a JSON object, got a number"},
			}},
			wantIDs: []string{"wms-881", "wms-882"},
		},
		{
			name: "json array whose syntax breaks",
			path: "testdata/broken.json",
			want: ImportStats{Lines: 3, Appended: 1},
			// The element before the break is appended.
			wantIDs: []string{"wms-881"},
			wantErr: `import testdata/broken.json: line 3: invalid_json: invalid character '{' after object key:value pair`,
		},
		{
			name:    "csv header that no row can fit",
			path:    "testdata/dupheader.csv",
			want:    ImportStats{Lines: 1},
			wantErr: `import testdata/dupheader.csv: line 1: invalid_json: csv header: csv column "id" appears twice in the header`,
		},
		{
			name:      "batches of two",
			path:      "testdata/five.jsonl",
			opts:      ImportOptions{BatchSize: 2},
			want:      ImportStats{Lines: 5, Appended: 5},
			wantIDs:   []string{"a", "b", "c", "d", "e"},
			wantSizes: []int{2, 2, 1},
		},
		{
			name: "format overrides the extension",
			path: "testdata/events.csv",
			opts: ImportOptions{Format: FormatJSONL},
			want: ImportStats{Lines: 5, Rejected: 5, Errors: []LineError{
				{Index: 0, Line: 1, Reason: "invalid_json", Detail: "invalid character 'i' looking for beginning of value"},
				{Index: 1, Line: 2, Reason: "invalid_json", Detail: "invalid character 'w' looking for beginning of value"},
				{Index: 2, Line: 3, Reason: "invalid_json", Detail: "invalid character 'e' looking for beginning of value"},
				{Index: 3, Line: 4, Reason: "invalid_json", Detail: "invalid character 'w' looking for beginning of value"},
				{Index: 4, Line: 5, Reason: "invalid_json", Detail: "invalid character ',' after top-level value"},
			}},
		},
		{
			name:      "appender fails on the second batch",
			path:      "testdata/five.jsonl",
			opts:      ImportOptions{BatchSize: 2},
			appendErr: errRedisDown,
			appendOK:  1,
			want:      ImportStats{Lines: 4, Appended: 2},
			wantIDs:   []string{"a", "b"},
			wantErrIs: errRedisDown,
			wantErr:   "import testdata/five.jsonl: append events before line 5: " + errRedisDown.Error(),
		},
		{
			name:    "unknown extension",
			path:    "testdata/events.txt",
			wantErr: "import testdata/events.txt: unknown format: name the file .jsonl, .ndjson, .json or .csv, or say the format (jsonl or csv)",
		},
		{
			name:      "missing file",
			path:      "testdata/missing.jsonl",
			wantErrIs: os.ErrNotExist,
			wantErr:   "import: open testdata/missing.jsonl: no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAppender{err: tt.appendErr, ok: tt.appendOK}
			var progress bytes.Buffer
			tt.opts.Progress = &progress
			got, err := ImportFile(t.Context(), a, tt.path, tt.opts)

			switch {
			case tt.wantErr == "" && tt.wantErrIs == nil && err != nil:
				t.Fatalf("ImportFile: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("ImportFile error = %v\nwant %s", err, tt.wantErr)
			case tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs):
				t.Errorf("ImportFile error = %v, want one that is %v", err, tt.wantErrIs)
			}
			if fi, err := os.Stat(tt.path); err == nil && tt.wantErr == "" {
				tt.want.Bytes = fi.Size()
			} else {
				tt.want.Bytes = got.Bytes // checked by its own test
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stats = %+v\nwant    %+v", got, tt.want)
			}
			if tt.wantIDs != nil {
				if ids := eventIDs(t, a.events()); !slices.Equal(ids, tt.wantIDs) {
					t.Errorf("appended ids %q, want %q", ids, tt.wantIDs)
				}
			}
			if tt.wantEvents != nil && !slices.Equal(a.events(), tt.wantEvents) {
				t.Errorf("appended\n%s\nwant\n%s", strings.Join(a.events(), "\n"), strings.Join(tt.wantEvents, "\n"))
			}
			if tt.wantSizes != nil && !slices.Equal(a.sizes(), tt.wantSizes) {
				t.Errorf("batch sizes %v, want %v", a.sizes(), tt.wantSizes)
			}
			if progress.Len() > 0 {
				t.Errorf("progress written to a non-terminal: %q", progress.String())
			}
		})
	}
}

func eventIDs(t *testing.T, events []string) []string {
	t.Helper()
	var ids []string
	for _, e := range events {
		var v struct{ ID string }
		if err := json.Unmarshal([]byte(e), &v); err != nil {
			t.Fatalf("appended event is not JSON: %v: %s", err, e)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

func TestImport(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    ImportOptions
		want    ImportStats
		wantIDs []string
	}{
		{
			name:    "jsonl by default",
			in:      "\n" + snapshot + "\n" + received + "\n",
			want:    ImportStats{Lines: 3, Appended: 2},
			wantIDs: []string{"wms-881", "wms-883"},
		},
		{
			name:    "array by its first byte",
			in:      "  [" + snapshot + "," + received + "]",
			want:    ImportStats{Lines: 1, Appended: 2},
			wantIDs: []string{"wms-881", "wms-883"},
		},
		{
			name:    "csv with a byte order mark and CRLF",
			in:      "\uFEFFid,type,occurred_at,source,shipment\r\ns-1,shipment.delivered,2026-11-27T09:10:00Z,tms,SHP-31\r\n",
			opts:    ImportOptions{Format: FormatCSV},
			want:    ImportStats{Lines: 2, Appended: 1},
			wantIDs: []string{"s-1"},
		},
		{
			name: "empty",
			in:   "",
		},
		{
			name: "empty csv",
			in:   "",
			opts: ImportOptions{Format: FormatCSV},
		},
		{
			name: "csv header only",
			in:   "id,type\n",
			opts: ImportOptions{Format: FormatCSV},
			want: ImportStats{Lines: 1},
		},
		{
			name: "csv is not guessed from the content",
			in:   "id,type\n",
			want: ImportStats{Lines: 1, Rejected: 1, Errors: []LineError{
				{Index: 0, Line: 1, Reason: "invalid_json", Detail: "invalid character 'i' looking for beginning of value"},
			}},
		},
		{
			name: "overlong line is rejected and the import goes on",
			in:   snapshot + "\n" + `{"id":"` + strings.Repeat("x", 300) + `"}` + "\n" + received,
			opts: ImportOptions{MaxLineBytes: 200},
			want: ImportStats{Lines: 3, Appended: 2, Rejected: 1, Errors: []LineError{
				{Index: 1, Line: 2, Reason: "invalid_json", Detail: "line longer than 200 bytes"},
			}},
			wantIDs: []string{"wms-881", "wms-883"},
		},
		{
			name: "errors are capped and all counted",
			in:   strings.Repeat("nope\n", MaxReportedErrors+50) + snapshot,
			want: ImportStats{Lines: MaxReportedErrors + 51, Appended: 1, Rejected: MaxReportedErrors + 50},
			// Errors checked below.
			wantIDs: []string{"wms-881"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAppender{}
			got, err := Import(t.Context(), a, strings.NewReader(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			tt.want.Bytes = int64(len(tt.in))
			if len(got.Errors) == MaxReportedErrors {
				if got.Errors[MaxReportedErrors-1].Line != MaxReportedErrors {
					t.Errorf("last reported error = %+v", got.Errors[MaxReportedErrors-1])
				}
				got.Errors = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stats = %+v\nwant    %+v", got, tt.want)
			}
			if ids := eventIDs(t, a.events()); !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("appended ids %q, want %q", ids, tt.wantIDs)
			}
		})
	}
}

func TestImportFileStdin(t *testing.T) {
	// ImportFile reads os.Stdin for "-"; a file stands in for it.
	f, err := os.Open("testdata/five.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = stdin }()

	a := &fakeAppender{}
	st, err := ImportFile(t.Context(), a, "-", ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Appended != 5 || len(a.events()) != 5 {
		t.Errorf("appended %d (%d seen), want 5", st.Appended, len(a.events()))
	}
}

func TestImportCancel(t *testing.T) {
	t.Run("during the import", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// The first Append cancels, as a signal arriving mid-import would.
		a := &fakeAppender{onCall: func(int) { cancel() }}
		st, err := ImportFile(ctx, a, "testdata/five.jsonl", ImportOptions{BatchSize: 2})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		want := "import testdata/five.jsonl: stopped after line 2: context canceled"
		if err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if st.Appended != 2 || !slices.Equal(a.sizes(), []int{2}) {
			t.Errorf("appended %d in batches %v, want the first batch of 2 only", st.Appended, a.sizes())
		}
	})
	t.Run("before the import", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		a := &fakeAppender{}
		_, err := ImportFile(ctx, a, "testdata/events.jsonl", ImportOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
		if n := len(a.events()); n != 0 {
			t.Errorf("appended %d events after cancellation", n)
		}
	})
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path string
		want Format
	}{
		{"a.jsonl", FormatJSONL},
		{"dir.d/a.NDJSON", FormatJSONL},
		{"a.json", FormatJSONL},
		{"a.csv", FormatCSV},
		{"a.txt", ""},
		{"a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := FormatOf(tt.path); got != tt.want {
				t.Errorf("FormatOf(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestProgressBar(t *testing.T) {
	// A terminal cannot be had in a test, so the bar is drawn into a buffer
	// the way newProgress would draw it on one.
	var out bytes.Buffer
	b := newBar(&out, 1000)
	b.add(400)
	b.add(600)
	b.close(true)
	if !strings.Contains(out.String(), "100%") || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("bar drew %q, want it full and its line ended", out.String())
	}
	if _, ok := newProgress(&out, 1000).(noProgress); !ok {
		t.Error("newProgress draws on a buffer, want nothing drawn off a terminal")
	}
	if _, ok := newProgress(nil, 1000).(noProgress); !ok {
		t.Error("newProgress(nil) draws")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := newProgress(f, 1000).(noProgress); !ok {
		t.Error("newProgress draws on a regular file, want nothing drawn off a terminal")
	}
}
