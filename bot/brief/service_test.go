package brief_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
)

// A Service computes and writes in one call; the console prints the text
// and writes the chart beside it.
func TestServiceToConsole(t *testing.T) {
	w := newWorld(t)
	svc := &brief.Service{Sources: w.sources, Options: w.policy}
	b, err := svc.Brief(context.Background(), "finance", now)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := compute(t, w).Text("finance")
	if b.Text != want || len(b.PNG) == 0 {
		t.Fatalf("service briefing differs from the report's text, or has no chart:\n%s", b.Text)
	}
	if _, err := svc.Brief(context.Background(), "intern", now); err == nil {
		t.Error("briefing for an unknown role")
	}

	var out bytes.Buffer
	dir := t.TempDir()
	c := &brief.Console{Out: &out, Dir: dir, Now: func() time.Time { return now }}
	if err := c.PostBrief(context.Background(), "#ops/finance", b.Text, b.PNG); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "briefing-_ops_finance-20261127T0900Z.png")
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, b.PNG) {
		t.Errorf("chart file %s: %v", path, err)
	}
	if s := out.String(); !strings.HasPrefix(s, "--- briefing for #ops/finance ---\n"+b.Text) || !strings.HasSuffix(s, "chart: "+path+"\n") {
		t.Errorf("console printed:\n%s", s)
	}
}
