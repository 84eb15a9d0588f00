package intake

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is told the bytes an import reads. It is an interface so that
// the no-terminal case costs nothing and tests can draw into a buffer.
type progress interface {
	add(n int)
	// close ends the bar; done says whether the input was read to the end.
	close(done bool)
}

// newProgress returns a bar drawn on w when w is a terminal, and otherwise
// one that draws nothing: a bar's carriage returns would litter a pipe or a
// log file, and the caller reports the totals itself.
func newProgress(w io.Writer, size int64) progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return noProgress{}
	}
	return newBar(f, size)
}

type noProgress struct{}

func (noProgress) add(int)    {}
func (noProgress) close(bool) {}

type bar struct {
	pb *progressbar.ProgressBar
	w  io.Writer
}

// newBar draws a bar by bytes on w; size -1 means unknown (standard input).
func newBar(w io.Writer, size int64) *bar {
	return &bar{w: w, pb: progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		// Without a spinner ticker the bar starts no goroutine of its own;
		// it redraws as bytes arrive.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionSetRenderBlankState(true),
	)}
}

func (b *bar) add(n int) {
	// Drawing errors are a terminal gone away; the import goes on.
	_ = b.pb.Add(n)
}

func (b *bar) close(done bool) {
	if done {
		_ = b.pb.Finish()
	} else {
		_ = b.pb.Exit()
	}
	// End the bar's line, so what the caller prints next starts clean.
	fmt.Fprintln(b.w)
}
