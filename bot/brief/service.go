package brief

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Service computes and writes briefings: what a Scheduler posts, what
// `quartermaster brief` prints and what chat answers when asked.
type Service struct {
	Sources Sources
	Options Options
	Writer  Writer
}

// Brief computes the report as of now and writes role's briefing.
func (s *Service) Brief(ctx context.Context, role string, now time.Time) (Briefing, error) {
	if err := CheckRole(role); err != nil {
		return Briefing{}, err
	}
	r, err := Compute(ctx, s.Sources, now, s.Options)
	if err != nil {
		return Briefing{}, err
	}
	return s.Writer.Write(ctx, r, role)
}

// Console posts briefings as text on a writer, and their charts as files
// in Dir when it is set.
type Console struct {
	Out io.Writer
	Dir string
	// Now names the chart files; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
}

// PostBrief implements Poster.
func (c *Console) PostBrief(_ context.Context, channel, text string, png []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var chart string
	if len(png) > 0 && c.Dir != "" {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		name := "briefing-" + now().UTC().Format("20060102T1504Z") + ".png"
		if channel != "" {
			name = "briefing-" + safeName(channel) + "-" + now().UTC().Format("20060102T1504Z") + ".png"
		}
		chart = filepath.Join(c.Dir, name)
		if err := os.WriteFile(chart, png, 0o644); err != nil {
			return fmt.Errorf("write briefing chart: %w", err)
		}
	}
	head := "briefing"
	if channel != "" {
		head += " for " + channel
	}
	if _, err := fmt.Fprintf(c.Out, "--- %s ---\n%s", head, text); err != nil {
		return fmt.Errorf("print briefing: %w", err)
	}
	if chart != "" {
		if _, err := fmt.Fprintf(c.Out, "chart: %s\n", chart); err != nil {
			return fmt.Errorf("print briefing: %w", err)
		}
	}
	return nil
}

// safeName keeps letters, digits, '-' and '_' of a channel name for a
// file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, s)
}
