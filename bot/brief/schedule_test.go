package brief_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/redistest"
)

// fakeBriefer writes a briefing naming its role and time.
type fakeBriefer struct{ calls atomic.Int64 }

func (f *fakeBriefer) Brief(_ context.Context, role string, at time.Time) (brief.Briefing, error) {
	f.calls.Add(1)
	return brief.Briefing{Role: role, Text: role + " " + at.UTC().Format(time.RFC3339), PNG: []byte{1}}, nil
}

// posts records what was posted, and fails the first failures posts.
type posts struct {
	mu       sync.Mutex
	got      []string
	failures int
	refuse   bool
	tries    int
}

func (p *posts) PostBrief(_ context.Context, channel, text string, png []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tries++
	if p.refuse {
		return &notify.Error{Err: errors.New("missing_scope")}
	}
	if p.failures > 0 {
		p.failures--
		return &notify.Error{Retryable: true, Err: errors.New("chat is down")}
	}
	p.got = append(p.got, fmt.Sprintf("%s: %s (%d bytes)", channel, text, len(png)))
	return nil
}

func (p *posts) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

var schedules = []brief.Schedule{
	// 07:00 on weekdays in Berlin: 06:00 UTC in winter.
	{Name: "eu-planners", Cron: "0 7 * * 1-5", TimeZone: "Europe/Berlin", Platform: "slack", Channel: "C0PLAN", Role: "planner"},
	// 08:30 every day in New York: 13:30 UTC in winter.
	{Name: "us-execs", Cron: "30 8 * * *", TimeZone: "America/New_York", Platform: "discord", Channel: "42", Role: "executive"},
}

func scheduler(t *testing.T, st *store.Store, owner string, b brief.Briefer, p brief.Poster, c *clock) *brief.Scheduler {
	t.Helper()
	s, err := brief.NewScheduler(schedules, brief.SchedulerOptions{
		Briefer: b, Posters: map[string]brief.Poster{"slack": p, "discord": p}, Lease: st,
		LeasePrefix: st.Keys().Prefix(), Owner: owner, Now: c.Now, Sleep: c.Sleep, Backoff: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a fake clock that sleeping moves forward, so a scheduler runs
// days in milliseconds.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return ctx.Err()
}

// Two replicas on one Redis post each occurrence once, whichever runs
// it first, and a time that is no occurrence posts nothing.
func TestTwoSchedulersPostOnce(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	var b fakeBriefer
	var p posts
	a := scheduler(t, st, "replica-a", &b, &p, &clock{})
	c := scheduler(t, st, "replica-b", &b, &p, &clock{})

	monday := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC) // 07:00 in Berlin
	for _, at := range []time.Time{monday, monday.Add(7*time.Hour + 30*time.Minute), monday.Add(time.Minute), monday.AddDate(0, 0, 5)} {
		var wg sync.WaitGroup
		for _, s := range []*brief.Scheduler{a, c, a, c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.RunDue(context.Background(), at); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	want := []string{
		"C0PLAN: planner 2026-11-30T06:00:00Z (1 bytes)",
		"42: executive 2026-11-30T13:30:00Z (1 bytes)",
		// Saturday: no planners' briefing, and no executives' at 06:00 UTC.
	}
	if got := p.list(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("posted\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("briefings written %d times, want 2: the losing replica computes nothing", n)
	}
	owner, err := rdb.Get(context.Background(), brief.LeaseKey(prefix, "eu-planners", monday)).Result()
	if err != nil || (owner != "replica-a" && owner != "replica-b") {
		t.Errorf("lease holder %q, %v", owner, err)
	}
	if ttl := rdb.TTL(context.Background(), brief.LeaseKey(prefix, "eu-planners", monday)).Val(); ttl < 47*time.Hour {
		t.Errorf("lease expires in %s, want about two days", ttl)
	}
}

// Run sleeps until each occurrence and posts it; with a clock that jumps
// to each occurrence, the test does not wait for real minutes.
func TestRunPostsEachOccurrence(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	var b fakeBriefer
	var p posts
	p.failures = 2                                                // the first post succeeds on its third attempt
	c := &clock{t: time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)} // Friday
	s := scheduler(t, st, "replica-a", &b, &p, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.list()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := p.list()
	want := []string{
		"C0PLAN: planner 2026-11-27T06:00:00Z (1 bytes)",
		"42: executive 2026-11-27T13:30:00Z (1 bytes)",
		"42: executive 2026-11-28T13:30:00Z (1 bytes)",
		"42: executive 2026-11-29T13:30:00Z (1 bytes)",
	}
	if len(got) < 4 || strings.Join(got[:4], "\n") != strings.Join(want, "\n") {
		t.Errorf("posted\n%s\nwant first\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A post that keeps failing is reported, and the occurrence stays claimed
// so no other replica posts it twice.
func TestPostFailureKeepsTheClaim(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	var b fakeBriefer
	p := &posts{failures: 10}
	s := scheduler(t, st, "replica-a", &b, p, &clock{})
	at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	err := s.RunDue(context.Background(), at)
	if err == nil || !strings.Contains(err.Error(), `briefing "eu-planners"`) || !strings.Contains(err.Error(), "after 3 attempts: retryable: chat is down") {
		t.Fatalf("err = %v", err)
	}
	p.failures = 0
	if err := scheduler(t, st, "replica-b", &b, p, &clock{}).RunDue(context.Background(), at); err != nil || len(p.list()) != 0 {
		t.Errorf("another replica posted a claimed occurrence: %v %v", err, p.list())
	}

	// A refusal is not tried again.
	p.refuse, p.tries = true, 0
	err = s.RunDue(context.Background(), at.AddDate(0, 0, 1))
	if err == nil || !strings.Contains(err.Error(), "after 1 attempts: permanent: missing_scope") || p.tries != 1 {
		t.Errorf("refused post: %v after %d tries", err, p.tries)
	}
}

func TestNewSchedulerNamesEveryMistake(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	st := store.New(rdb, prefix, 1, store.Options{})
	var p posts
	bad := []brief.Schedule{
		{Name: "ok", Cron: "0 7 * * *", Platform: "slack", Channel: "C1", Role: "planner"},
		{Name: "six-fields", Cron: "0 0 7 * * *", Platform: "slack", Channel: "C1", Role: "planner"},
		{Name: "zone", Cron: "0 7 * * *", TimeZone: "Mars/Olympus", Platform: "slack", Channel: "C1", Role: "planner"},
		{Name: "tz-in-cron", Cron: "CRON_TZ=UTC 0 7 * * *", Platform: "slack", Channel: "C1", Role: "planner"},
		{Name: "platform", Cron: "0 7 * * *", Platform: "teams", Channel: "C1", Role: "planner"},
		{Name: "role", Cron: "0 7 * * *", Platform: "slack", Channel: "C1", Role: "intern"},
		{Name: "channel", Cron: "0 7 * * *", Platform: "slack", Role: "planner"},
		{Name: "never", Cron: "0 7 30 2 *", Platform: "slack", Channel: "C1", Role: "planner"},
		{Name: "ok", Cron: "0 8 * * *", Platform: "slack", Channel: "C1", Role: "planner"},
		{Cron: "0 7 * * *", Platform: "slack", Channel: "C1", Role: "planner"},
	}
	_, err := brief.NewScheduler(bad, brief.SchedulerOptions{Briefer: &fakeBriefer{}, Posters: map[string]brief.Poster{"slack": &p}, Lease: st})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`briefing "six-fields": cron "0 0 7 * * *": expected exactly 5 fields`,
		`briefing "zone": timezone "Mars/Olympus"`,
		`briefing "tz-in-cron": cron "CRON_TZ=UTC 0 7 * * *": give the time zone in timezone`,
		`briefing "platform": platform "teams": want one of slack`,
		`briefing "role": role "intern"`,
		`briefing "channel": no channel`,
		`briefing "never": cron "0 7 30 2 *": never fires`,
		`briefing "ok": name used twice`,
		`briefing "#10": no name`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Count(err.Error(), "briefing ") != 9 {
		t.Errorf("want 9 mistakes:\n%v", err)
	}
}
