package llm

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after, ms string
		want      time.Duration
	}{
		{"", "", 0},
		{"2", "", 2 * time.Second},
		{" 2 ", "", 2 * time.Second},
		{"1.5", "", 1500 * time.Millisecond},
		{"0", "", 0},
		{"-3", "", 0},
		{"soon", "", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), "", 0},
		{"20", "250", 250 * time.Millisecond}, // the finer hint wins
		{"2", "nope", 2 * time.Second},
	} {
		a := &attempt{retryAfter: tc.after, retryMS: tc.ms}
		if got := retryAfter(a, now); got != tc.want {
			t.Errorf("Retry-After %q, -Ms %q: %v, want %v", tc.after, tc.ms, got, tc.want)
		}
	}
}

func TestScrub(t *testing.T) {
	if got := scrub(errors.New("bad key Bearer sk-1 and\nsk-1 again"), "sk-1"); got != "bad key Bearer <redacted> and <redacted> again" {
		t.Errorf("scrub = %q", got)
	}
	if got := scrub(errors.New("no key here"), ""); got != "no key here" {
		t.Errorf("scrub with no key = %q", got)
	}
	long := scrub(errors.New(strings.Repeat("é", 400)), "k")
	if !utf8.ValidString(long) || len(long) > maxMessage+len("…") || !strings.HasSuffix(long, "…") {
		t.Errorf("a long message is cut to %d bytes, valid UTF-8 %v", len(long), utf8.ValidString(long))
	}
}
