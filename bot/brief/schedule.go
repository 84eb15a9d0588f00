package brief

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/quartermaster-ops/quartermaster/bot/notify"
)

// Schedule is one configured briefing: a role's briefing posted to a
// channel on a cron schedule in a time zone.
type Schedule struct {
	Name     string `yaml:"name" json:"name"`
	Cron     string `yaml:"cron" json:"cron"`         // five fields: minute hour day-of-month month day-of-week
	TimeZone string `yaml:"timezone" json:"timezone"` // IANA name, e.g. Europe/Berlin; "" is UTC
	Platform string `yaml:"platform" json:"platform"` // slack, discord or console
	Channel  string `yaml:"channel" json:"channel"`
	Role     string `yaml:"role" json:"role"`
}

// Poster posts a briefing, with its chart when png is not nil, to a
// channel. bot/slack's and bot/discord's Notifiers and Console implement
// it.
type Poster interface {
	PostBrief(ctx context.Context, channel, text string, png []byte) error
}

// Briefer writes a role's briefing as of now; *Service implements it.
type Briefer interface {
	Brief(ctx context.Context, role string, now time.Time) (Briefing, error)
}

// Lease claims a key for one owner for a while, so that one replica of
// many does a thing once; *store.Store implements it.
type Lease interface {
	Lock(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
}

// Defaults of SchedulerOptions.
const (
	// DefaultLeaseTTL keeps an occurrence claimed long after it was
	// posted, so a replica whose clock runs late cannot post it again.
	DefaultLeaseTTL = 48 * time.Hour
	DefaultAttempts = 3
	DefaultBackoff  = 5 * time.Second
	// maxWait is the longest Run sleeps before it looks at the clock
	// again, so a clock that jumps (a suspended host, the demo's
	// simulated time) is noticed.
	maxWait = time.Minute
)

// SchedulerOptions are what a Scheduler needs besides its schedules.
type SchedulerOptions struct {
	Briefer Briefer
	// Posters by platform (slack, discord, console). Every schedule's
	// platform needs one; give the console's for a platform without a
	// token.
	Posters map[string]Poster
	Lease   Lease
	// LeasePrefix starts each occurrence's key, e.g. "qm:" for
	// qm:brief:<name>:<scheduled time>.
	LeasePrefix string
	// Owner names this replica in the leases it takes.
	Owner string
	// LeaseTTL is how long an occurrence stays claimed; zero means
	// DefaultLeaseTTL.
	LeaseTTL time.Duration
	// Attempts and Backoff bound the posting of one occurrence by the
	// replica that claimed it; zero means the defaults.
	Attempts int
	Backoff  time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends, returning ctx's error then; nil
	// means a timer. Tests pair it with Now to run days in milliseconds.
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives each post and failure; nil discards.
	Log *slog.Logger
}

// Scheduler posts briefings on their schedules. Several replicas may run
// one each on the same Redis: each occurrence is claimed there first, and
// only the replica that claims it posts it.
type Scheduler struct {
	list []scheduled
	opt  SchedulerOptions
}

type scheduled struct {
	Schedule
	spec cron.Schedule
}

// parser reads the five standard cron fields; descriptors such as
// @daily and a TZ= prefix are refused, the time zone has its own key.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// NewScheduler checks every schedule and returns a Scheduler for them. Its
// error names each schedule that is wrong and why.
func NewScheduler(list []Schedule, opt SchedulerOptions) (*Scheduler, error) {
	if opt.Briefer == nil || opt.Lease == nil {
		return nil, errors.New("briefings: scheduler needs a briefer and a lease")
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = DefaultLeaseTTL
	}
	if opt.Attempts <= 0 {
		opt.Attempts = DefaultAttempts
	}
	if opt.Backoff <= 0 {
		opt.Backoff = DefaultBackoff
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sleep == nil {
		opt.Sleep = sleep
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opt: opt}
	var errs []error
	names := map[string]bool{}
	for i, sc := range list {
		spec, err := check(sc, opt.Posters)
		if err == nil && names[sc.Name] {
			err = errors.New("name used twice")
		}
		if err != nil {
			name := sc.Name
			if name == "" {
				name = fmt.Sprintf("#%d", i+1)
			}
			errs = append(errs, fmt.Errorf("briefing %q: %w", name, err))
			continue
		}
		names[sc.Name] = true
		s.list = append(s.list, scheduled{Schedule: sc, spec: spec})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// check parses one schedule and checks that it can be posted.
func check(sc Schedule, posters map[string]Poster) (cron.Schedule, error) {
	switch {
	case sc.Name == "":
		return nil, errors.New("no name")
	case strings.ContainsAny(sc.Name, " \t\n{}"):
		return nil, errors.New("name: want no spaces or braces, it names a Redis key")
	case posters[sc.Platform] == nil:
		var have []string
		for p := range posters {
			have = append(have, p)
		}
		slices.Sort(have)
		return nil, fmt.Errorf("platform %q: want one of %s", sc.Platform, strings.Join(have, ", "))
	case sc.Channel == "" && sc.Platform != "console":
		return nil, errors.New("no channel")
	}
	if err := CheckRole(sc.Role); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.TrimSpace(sc.Cron), "TZ=") || strings.HasPrefix(strings.TrimSpace(sc.Cron), "CRON_TZ=") {
		return nil, fmt.Errorf("cron %q: give the time zone in timezone, not in cron", sc.Cron)
	}
	zone := sc.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return nil, fmt.Errorf("timezone %q: want an IANA name such as Europe/Berlin", sc.TimeZone)
	}
	spec, err := parser.Parse(sc.Cron)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", sc.Cron, err)
	}
	spec.(*cron.SpecSchedule).Location = loc
	if spec.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("cron %q: never fires", sc.Cron)
	}
	return spec, nil
}

// Next is the first occurrence of any schedule after t.
func (s *Scheduler) Next(t time.Time) time.Time {
	var next time.Time
	for _, sc := range s.list {
		if n := sc.spec.Next(t); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// Run posts each occurrence of every schedule as it comes, until ctx
// ends. An occurrence missed while no replica ran is not posted late.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.list) == 0 {
		<-ctx.Done()
		return nil
	}
	for {
		next := s.Next(s.opt.Now())
		for {
			wait := next.Sub(s.opt.Now())
			if wait <= 0 {
				break
			}
			if s.opt.Sleep(ctx, min(wait, maxWait)) != nil {
				return nil
			}
		}
		if err := s.RunDue(ctx, next); err != nil && ctx.Err() == nil {
			s.opt.Log.Error("briefing not posted", "at", next, "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// RunDue posts the briefings of every schedule that has an occurrence at
// at (to the minute). Each occurrence is claimed first, under a key of its
// schedule's name and time: of several replicas calling RunDue for the
// same occurrence, one posts and the others do nothing. The claim is kept
// if posting fails, so a briefing is never posted twice; the failure is
// returned.
func (s *Scheduler) RunDue(ctx context.Context, at time.Time) error {
	at = at.Truncate(time.Minute)
	var errs []error
	for _, sc := range s.list {
		if !sc.spec.Next(at.Add(-time.Second)).Equal(at) {
			continue
		}
		if err := s.post(ctx, sc, at); err != nil {
			errs = append(errs, fmt.Errorf("briefing %q at %s: %w", sc.Name, at.UTC().Format(time.RFC3339), err))
		}
	}
	return errors.Join(errs...)
}

// LeaseKey is the key that claims schedule name's occurrence at at.
func LeaseKey(prefix, name string, at time.Time) string {
	return prefix + "brief:" + name + ":" + at.UTC().Format("2006-01-02T15:04Z")
}

func (s *Scheduler) post(ctx context.Context, sc scheduled, at time.Time) error {
	ok, err := s.opt.Lease.Lock(ctx, LeaseKey(s.opt.LeasePrefix, sc.Name, at), s.opt.Owner, s.opt.LeaseTTL)
	if err != nil {
		return err
	}
	if !ok {
		s.opt.Log.Debug("briefing posted by another replica", "briefing", sc.Name, "at", at)
		return nil
	}
	b, err := s.opt.Briefer.Brief(ctx, sc.Role, at)
	if err != nil {
		return err
	}
	poster := s.opt.Posters[sc.Platform]
	for attempt := 1; ; attempt++ {
		err = poster.PostBrief(ctx, sc.Channel, b.Text, b.PNG)
		if err == nil {
			s.opt.Log.Info("briefing posted", "briefing", sc.Name, "platform", sc.Platform, "channel", sc.Channel,
				"role", sc.Role, "words", b.Words, "chart", len(b.PNG) > 0)
			return nil
		}
		// A refusal (a missing scope, an unknown channel) will answer
		// the same however often it is asked.
		var ne *notify.Error
		refused := errors.As(err, &ne) && !ne.Retryable
		if attempt >= s.opt.Attempts || refused {
			return fmt.Errorf("post to %s %s after %d attempts: %w", sc.Platform, sc.Channel, attempt, err)
		}
		s.opt.Log.Warn("briefing post failed, retrying", "briefing", sc.Name, "attempt", attempt, "err", err)
		wait := s.opt.Backoff << (attempt - 1)
		if ne != nil && ne.RetryAfter > wait {
			wait = ne.RetryAfter
		}
		if s.opt.Sleep(ctx, wait) != nil {
			return fmt.Errorf("post to %s %s: %w", sc.Platform, sc.Channel, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
