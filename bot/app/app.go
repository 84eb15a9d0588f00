// Package app wires Quartermaster together: the event consumer, the
// detectors and alert lifecycle, the chat notifier and the HTTP listener.
// The command line builds an App and runs it; tests run the same App
// in-process against a real Redis.
package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/quartermaster-ops/quartermaster/bot/approve"
	"github.com/quartermaster-ops/quartermaster/bot/ask"
	"github.com/quartermaster-ops/quartermaster/bot/brief"
	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/console"
	"github.com/quartermaster-ops/quartermaster/bot/discord"
	"github.com/quartermaster-ops/quartermaster/bot/interact"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/bot/notify"
	"github.com/quartermaster-ops/quartermaster/bot/silence"
	"github.com/quartermaster-ops/quartermaster/bot/slack"
	"github.com/quartermaster-ops/quartermaster/bot/summary"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/consume"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/pipeline/score"
	"github.com/quartermaster-ops/quartermaster/store"
	"github.com/quartermaster-ops/quartermaster/store/audit"
)

// Options are everything an App needs from outside. Now is the clock of
// detection (the wall clock in production, the simulated one in the demo).
type Options struct {
	Config   config.Config
	Env      config.Env
	Redis    redis.UniversalClient
	Listen   string // host:port for HTTP; "" for none
	Consumer string // this replica's name in the consumer group
	Now      func() time.Time
	Out      io.Writer // the console chat
	Log      *slog.Logger
	// Notifiers are the chat platforms with credentials; the console is
	// always there.
	Notifiers []PlatformNotifier
}

// PlatformNotifier is a chat platform's notifier and the name routes use.
type PlatformNotifier struct {
	Platform string
	Notifier notify.Notifier
}

// App is one running bot replica.
type App struct {
	opt      Options
	Store    *store.Store
	Registry *prometheus.Registry
	consumer *consume.Consumer
	runner   *detect.Runner
	dispatch *notify.Dispatcher
	alerts   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	people   *interact.Handler // what people ask of alerts from chat
	book     *approve.Book
	silences *silence.Store    // people's silences, shared by every replica
	discord  *discord.Endpoint // Discord's interactions: buttons and /qm; nil without DISCORD_PUBLIC_KEY
	// Slack's /qm and Events API endpoints in HTTP mode; nil without
	// SLACK_SIGNING_SECRET (events also need SLACK_BOT_TOKEN).
	slackCommands *slack.CommandsHandler
	slackEvents   *slack.EventsHandler
	model         *llm.Client // the language model; nil writes from templates
	summary       *summary.Summarizer
	asker         *ask.Asker     // questions in chat and on /v1/ask
	briefs        *brief.Service // the daily briefing
	schedule      *brief.Scheduler
	handler       http.Handler

	mu   sync.Mutex
	addr string // the bound listen address, once listening
}

// New builds an App: it reads the state generation in use, loads the Lua
// scripts and registers metrics. It starts nothing.
func New(ctx context.Context, opt Options) (*App, error) {
	cfg := opt.Config
	var discordKey ed25519.PublicKey
	if pk := opt.Env.DiscordPublicKey; pk != "" {
		var err error
		if discordKey, err = discord.ParsePublicKey(pk); err != nil {
			return nil, fmt.Errorf("DISCORD_PUBLIC_KEY: %w", err)
		}
	}
	st, err := store.Open(ctx, opt.Redis, cfg.Prefix, store.Options{DedupeWindow: time.Duration(cfg.Ingest.DedupeWindow)})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &App{opt: opt, Store: st, Registry: reg}
	a.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qm_alert_changes_total", Help: "Alert revisions written, by kind, tier and change.",
	}, []string{"kind", "tier", "change"})
	a.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "qm_decision_latency_seconds",
		Help:    "Decision latency by stage: detection (newest event behind an alert to the alert), acknowledgement, mitigation (to an approved action) and recovery (to resolution, by auto or people), from first detection.",
		Buckets: prometheus.ExponentialBuckets(60, 2, 14), // 1 minute to about 11 days
	}, []string{"stage", "resolved_by"})
	reg.MustRegister(a.alerts, a.latency)

	mgr := alert.NewManager(st, opt.Now, a.notify)
	auditLog := audit.New(opt.Redis, cfg.Prefix, audit.Options{Now: opt.Now})
	var hook *approve.Webhook
	if opt.Env.ActionsWebhook != "" {
		hook = &approve.Webhook{URL: opt.Env.ActionsWebhook}
	}
	a.book = approve.New(opt.Redis, cfg.Prefix, auditLog, approve.Options{
		Policy: approve.Policy{Approvers: cfg.Approvals.Approvers, TwoPersonOver: cfg.Approvals.TwoPersonOver, TTL: time.Duration(cfg.Approvals.TTL)},
		Roles:  cfg.Roles, Webhook: hook, Now: opt.Now,
	})
	pol := DetectPolicy(cfg)
	a.silences = silence.New(opt.Redis, cfg.Prefix, opt.Now, nil)
	if err := a.words(cfg, pol); err != nil {
		return nil, err
	}
	a.people = &interact.Handler{Alerts: mgr, Roles: cfg.Roles, Audit: auditLog, Book: a.book, Status: a.status(pol),
		Silences: a.silences, Ask: a.ask, Brief: a.brief}
	mgr.For, mgr.GroupWait = time.Duration(cfg.Alerts.For), time.Duration(cfg.Alerts.GroupWait)
	detectors := []detect.Detector{detect.Stockout{}, detect.Late{}, detect.Anomaly{}}
	metrics := consume.NewMetrics(reg)
	a.consumer = consume.NewConsumer(st, consume.Config{
		Group: cfg.Ingest.Group, Consumer: opt.Consumer, BatchSize: cfg.Ingest.BatchSize,
		Block: time.Duration(cfg.Ingest.Block), ClaimMinIdle: time.Duration(cfg.Ingest.ClaimMinIdle),
		ClaimInterval: time.Duration(cfg.Ingest.ClaimInterval), MaxDeliveries: int64(cfg.Ingest.MaxDeliveries),
	}, opt.Log, metrics, a.afterBatch(mgr), opt.Now)
	a.runner = detect.NewRunner(st, pol, detectors, mgr, st.Positions, a.consumer.CaughtUp, opt.Now, time.Duration(cfg.Stock.SweepInterval), opt.Log, reg)
	reg.MustRegister(newGroupCollector(st, cfg.Ingest.Group))
	chain := make([]alert.Step, len(cfg.Alerts.Escalation))
	for i, s := range cfg.Alerts.Escalation {
		chain[i] = alert.Step{After: time.Duration(s.After), Owner: s.Owner}
	}
	feeds := feedWatch(cfg, st, pol)
	a.runner.Feeds, pol.Freshness = feeds.Check, feeds.Freshness
	a.runner.SitesOf = st.SitesOf
	a.runner.GroupWait = mgr.GroupWait
	a.runner.Review = func(ctx context.Context) error {
		cur, err := st.CurrentAlerts(ctx)
		if err != nil {
			return err
		}
		return mgr.Review(ctx, cur, chain, time.Duration(cfg.Alerts.RepeatInterval))
	}
	if discordKey != nil {
		a.discord, err = discord.NewEndpoint(discord.EndpointConfig{
			Key: discordKey, Click: a.people.Handle, Now: opt.Now, Log: opt.Log,
			Command: func(ctx context.Context, user, channel, text string) (string, error) {
				return a.people.Command(ctx, config.PlatformDiscord, user, channel, text)
			},
		})
		if err != nil {
			return nil, err
		}
	}
	a.handler = a.routes()
	a.dispatch = a.chat(cfg)
	if err := a.dispatch.Prepare(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// words builds what writes for people: the model client (when the
// environment names one), alert summaries, answers to questions and the
// briefings with their schedule.
func (a *App) words(cfg config.Config, pol *detect.Policy) error {
	opt, st := a.opt, a.Store
	if llm.Configured(opt.Env) {
		var err error
		if a.model, err = llm.New(opt.Env, LLMOptions(cfg, a.Registry, opt.Log)); err != nil {
			return err
		}
	}
	rejected, err := summary.NewRejectedCounter(a.Registry)
	if err != nil {
		return err
	}
	links := facts.Policy{AllowLinks: cfg.LLM.AllowLinks}
	a.summary = &summary.Summarizer{Log: opt.Log, Rejected: rejected, Policy: links}
	a.asker = ask.New(st, pol, ask.Options{Model: a.model, Now: opt.Now, Log: opt.Log, Registerer: a.Registry, AllowLinks: cfg.LLM.AllowLinks})
	a.briefs = &brief.Service{
		Sources: brief.Sources{State: st, History: brief.StreamHistory{Store: st}, Proposals: a.book},
		Options: brief.Options{Policy: pol, Targets: cfg.KPITargets},
		Writer:  brief.Writer{Log: opt.Log, Policy: links},
	}
	if a.model != nil { // never a typed nil in the interfaces
		a.summary.Model, a.briefs.Writer.Model = a.model, a.model
	}
	a.schedule, err = a.scheduler(cfg)
	return err
}

// feedWatch judges the event feeds with the policy file's thresholds.
func feedWatch(cfg config.Config, st *store.Store, pol *detect.Policy) *detect.FeedWatch {
	f := cfg.Feeds
	return &detect.FeedWatch{Store: st, Owner: pol.Owner("", "", "", "", ""), Feeds: detect.Feeds{
		MinSilence: time.Duration(f.StaleAfter), GapFactor: f.GapFactor, Learn: time.Duration(f.LearnFor),
		Window: time.Duration(f.QualityWindow), MinShare: f.QualityMinShare,
		MinQuarantined: f.QualityMinRefused, ClearShare: f.QualityClearShare,
	}}
}

// LLMOptions is what the model client takes from the policy file.
func LLMOptions(cfg config.Config, reg prometheus.Registerer, log *slog.Logger) llm.Options {
	prices := make(map[string]llm.Price, len(cfg.LLM.Prices))
	for m, p := range cfg.LLM.Prices {
		prices[m] = llm.Price{InputPerM: p.InputPerM, OutputPerM: p.OutputPerM}
	}
	return llm.Options{Timeout: time.Duration(cfg.LLM.Timeout), Attempts: cfg.LLM.Attempts, Prices: prices, Registerer: reg, Log: log}
}

// DetectPolicy is what the detectors and what-ifs take from the policy
// file.
func DetectPolicy(cfg config.Config) *detect.Policy {
	return &detect.Policy{
		HorizonDays: cfg.Stock.HorizonDays, DefaultLeadTimeDays: cfg.Stock.DefaultLeadTimeDays,
		ServiceLevel: cfg.Stock.ServiceLevel, Score: cfg.Tiers, Owner: cfg.Owners.Owner,
		Demand: &detect.Forecaster{Source: cfg.Stock.DemandSource, HistoryDays: cfg.Stock.HistoryDays, WindowDays: cfg.Stock.DemandWindowDays},
		Exceptions: detect.Thresholds{DelayDays: cfg.Exceptions.DelayDays, SlipDays: cfg.Exceptions.SlipDays,
			AnomalyFactor: cfg.Exceptions.AnomalyFactor, AnomalyMinUnits: cfg.Exceptions.AnomalyMinUnits,
			DriftRatio: cfg.Exceptions.DriftRatio},
	}
}

// afterBatch hands changed positions to the detector and acknowledgements
// from other systems to the alert lifecycle.
func (a *App) afterBatch(mgr *alert.Manager) consume.AppliedFunc {
	return func(ctx context.Context, out consume.Outcome) {
		a.runner.Mark(ctx, out.Touched)
		for _, ack := range out.Acks {
			if _, err := mgr.Acknowledge(ctx, ack.Alert, ack.By, ack.Note, []string{ack.ID}); err != nil {
				a.opt.Log.Warn("acknowledge alert", "alert", ack.Alert, "event", ack.ID, "err", err)
			}
		}
	}
}

// notify counts alert changes and the decision latencies they close;
// delivery to chat reads them back from the alert stream (see
// notify.Dispatcher), so a crash between the two loses nothing.
func (a *App) notify(_ context.Context, al alert.Alert) {
	a.alerts.WithLabelValues(al.Kind, string(al.Tier), string(al.Change)).Inc()
	since := al.DetectedAt.Sub(al.FirstDetectedAt).Seconds()
	switch al.Change {
	case alert.Raised:
		if al.SignalAt != nil {
			a.latency.WithLabelValues("detection", "").Observe(al.FirstDetectedAt.Sub(*al.SignalAt).Seconds())
		}
	case alert.Acknowledge:
		a.latency.WithLabelValues("acknowledgement", "").Observe(since)
	case alert.Proposed:
		// Observed once: on the revision that set MitigatedAt.
		if m := al.MitigatedAt; m != nil && m.Equal(al.DetectedAt) {
			a.latency.WithLabelValues("mitigation", "").Observe(m.Sub(al.FirstDetectedAt).Seconds())
		}
	case alert.ResolvedChg:
		// The share resolved automatically is the "auto" share of the
		// recovery observations.
		by := "auto"
		if al.AcknowledgedBy != "" || al.MitigatedAt != nil {
			by = "people"
		}
		a.latency.WithLabelValues("recovery", by).Observe(since)
	}
}

// chat builds the dispatcher of alert changes to the configured routes.
// Platforms without a token fall back to the console, as start-up says.
func (a *App) chat(cfg config.Config) *notify.Dispatcher {
	notifiers := map[string]notify.Notifier{config.PlatformConsole: console.New(a.opt.Out)}
	for _, n := range a.opt.Notifiers {
		notifiers[n.Platform] = n.Notifier
	}
	if url := a.opt.Env.ActionsWebhook; url != "" {
		// One try per send: the dispatcher owns retries and backoff.
		notifiers[config.PlatformWebhook] = notify.WorkItems{Sender: &approve.Webhook{URL: url, Attempts: 1}}
	}
	var routes []notify.Route
	for _, r := range cfg.Routes {
		if r.Platform == config.PlatformWebhook && notifiers[config.PlatformWebhook] == nil {
			a.opt.Log.Warn("route to webhook skipped: QM_ACTIONS_WEBHOOK is unset", "queue", r.Channel)
			continue
		}
		platform := r.Platform
		if notifiers[platform] == nil {
			platform = config.PlatformConsole
		}
		r := r
		routes = append(routes, notify.Route{Platform: platform, Channel: r.Channel, Role: r.Role,
			Match: func(al alert.Alert) bool { return r.Match(al.Tier, al.Site) }})
	}
	return &notify.Dispatcher{
		St: a.Store, Routes: routes, Notifiers: notifiers, Group: "notify", Consumer: a.opt.Consumer,
		Block: time.Second, Log: a.opt.Log, Attempts: 5, Sent: notify.NewSentCounter(a.Registry), Mute: a.muted,
		Summarize: a.summarize, InfoDigest: time.Duration(cfg.Alerts.InfoDigest),
		// Slack's and Discord's documented pace is about one message a
		// second per channel; storms beyond it become digests.
		Pace: map[string]time.Duration{config.PlatformSlack: time.Second, config.PlatformDiscord: time.Second},
	}
}

// Briefing writes the daily briefing for role as of now, as /qm brief
// does.
func (a *App) Briefing(ctx context.Context, role string) (string, error) {
	return a.brief(ctx, "", role)
}

// mention answers a question asked by mentioning the bot in Slack, under
// the asker's role.
func (a *App) mention(ctx context.Context, user, _, text string) (string, error) {
	return a.people.Ask(ctx, user, a.opt.Config.Roles[user], text)
}

// ask answers a question from chat under the asker's role; people
// without a role get the most restricted view.
func (a *App) ask(ctx context.Context, user, role, question string) (string, error) {
	ans, err := a.asker.Answer(ctx, ask.Question{Text: question, Role: role, User: user})
	if err != nil {
		return "", err
	}
	return ans.Plain(), nil
}

// brief writes the briefing for a chat user's role; without a role, the
// planner's, which shows no cost or margin.
func (a *App) brief(ctx context.Context, _, role string) (string, error) {
	if role == "" {
		role = config.RolePlanner
	}
	b, err := a.briefs.Brief(ctx, role, a.opt.Now())
	if err != nil {
		return "", err
	}
	return b.Text, nil
}

// scheduler builds the briefings' scheduler. A schedule's platform with no
// token falls back to the console, as routes do.
func (a *App) scheduler(cfg config.Config) (*brief.Scheduler, error) {
	posters := map[string]brief.Poster{config.PlatformConsole: &brief.Console{Out: a.opt.Out}}
	for _, n := range a.opt.Notifiers {
		if p, ok := n.Notifier.(brief.Poster); ok {
			posters[n.Platform] = p
		}
	}
	var list []brief.Schedule
	for _, b := range cfg.Briefings {
		platform := b.Platform
		if posters[platform] == nil {
			platform = config.PlatformConsole
		}
		list = append(list, brief.Schedule{Name: b.Name, Cron: b.Cron, TimeZone: b.TimeZone, Platform: platform, Channel: b.Channel, Role: b.Role})
	}
	s, err := brief.NewScheduler(list, brief.SchedulerOptions{Briefer: a.briefs, Posters: posters, Lease: a.Store,
		LeasePrefix: cfg.Prefix, Owner: a.opt.Consumer, Now: a.opt.Now, Log: a.opt.Log})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return s, nil
}

// summarize writes an open actionable or critical alert's summary for a
// channel's readers. The model (when configured) writes only the changes
// that page people, raises, escalations and repeats, so a busy day does
// not become a model call per revision; templates write the rest.
func (a *App) summarize(ctx context.Context, al alert.Alert, role string) string {
	if al.State == alert.Resolved || al.Tier.Rank() < score.Actionable.Rank() {
		return ""
	}
	s := a.summary
	if s.Model != nil && al.Change != alert.Raised && al.Change != alert.Escalated && al.Change != alert.Repeated {
		plain := *s
		plain.Model = nil
		s = &plain
	}
	sum, err := s.Summarize(ctx, al, role)
	if err != nil {
		a.opt.Log.Warn("summary not written", "alert", al.ID, "role", role, "err", err)
		return ""
	}
	return sum.Text
}

// muted keeps out of chat the alert changes people silenced (see
// bot/silence), and inhibits alerts another open alert stands for:
//   - a position's supplier_slip while a supplier-wide supplier_slip for
//     the same supplier is open (the group lists every position);
//   - a position's shipment_delay while its stockout_risk is open and
//     recommends expediting that same shipment (one cause, one page).
func (a *App) muted(ctx context.Context, al alert.Alert) (bool, error) {
	if id, ok, err := a.silences.Match(ctx, al); err != nil || ok {
		if ok {
			a.opt.Log.Debug("alert change silenced", "alert", al.ID, "change", al.Change, "silence", id)
		}
		return ok, err
	}
	var fp string
	var covers func(other alert.Alert) bool
	switch {
	case al.Kind == alert.KindSupplierSlip && al.Site != "" && al.Labels["supplier"] != "":
		fp = alert.Fingerprint(alert.KindSupplierSlip, "", "", al.Labels["supplier"])
		covers = func(alert.Alert) bool { return true }
	case al.Kind == alert.KindShipmentDelay && al.Site != "":
		ref := strings.TrimPrefix(al.ActionKey, alert.KindShipmentDelay+" ")
		fp = alert.Fingerprint(alert.KindStockout, al.SKU, al.Site)
		covers = func(other alert.Alert) bool { return other.ActionKey == "expedite "+ref }
	default:
		return false, nil
	}
	raw, _, err := a.Store.Alert(ctx, fp)
	if err != nil || raw == nil {
		return false, err
	}
	var other alert.Alert
	if err := json.Unmarshal(raw, &other); err != nil {
		return false, fmt.Errorf("decode alert %s: %w", fp, err)
	}
	return other.State != alert.Resolved && covers(other), nil
}

// Addr is the address the HTTP listener bound, once Run has started it.
func (a *App) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addr
}

// Handler serves the HTTP API; tests can use it without a listener.
func (a *App) Handler() http.Handler { return a.handler }

// Run runs the replica until ctx ends or a part fails, then stops every
// part and waits for it.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g group
	if a.opt.Listen != "" {
		ln, err := net.Listen("tcp", a.opt.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", a.opt.Listen, err)
		}
		a.mu.Lock()
		a.addr = ln.Addr().String()
		a.mu.Unlock()
		srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
		g.Go(cancel, func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http: %w", err)
			}
			return nil
		})
		g.Go(cancel, func() error {
			<-ctx.Done()
			sctx, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			return srv.Shutdown(sctx)
		})
	}
	// Deferred answers (/qm ask and brief, mentions) may still be on
	// their way when the bot stops: each endpoint waits for its own.
	for _, c := range a.closers() {
		g.Go(cancel, func() error {
			<-ctx.Done()
			cctx, done := context.WithTimeout(context.Background(), 30*time.Second)
			defer done()
			return c.Close(cctx)
		})
	}
	if env := a.opt.Env; env.DiscordBotToken != "" && env.DiscordAppID != "" {
		g.Go(cancel, func() error {
			rctx, done := context.WithTimeout(ctx, 30*time.Second)
			defer done()
			if err := discord.Register(rctx, env.DiscordBotToken, env.DiscordAppID, env.DiscordGuildID); err != nil {
				a.opt.Log.Warn("discord: /qm not registered; its slash command may be missing or stale", "err", err)
			} else {
				a.opt.Log.Info("discord: /qm registered", "app", env.DiscordAppID, "guild", env.DiscordGuildID)
			}
			return nil
		})
	}
	g.Go(cancel, func() error { return a.consumer.Run(ctx) })
	g.Go(cancel, func() error { return a.runner.Run(ctx) })
	g.Go(cancel, func() error { return a.dispatch.Run(ctx) })
	g.Go(cancel, func() error { return a.dispatch.RunDigests(ctx) })
	g.Go(cancel, func() error { return a.schedule.Run(ctx) })
	if a.opt.Env.ActionsWebhook != "" {
		g.Go(cancel, func() error { return a.redeliver(ctx) })
	}
	if env := a.opt.Env; env.SlackAppToken != "" && env.SlackBotToken != "" {
		// Socket Mode: Slack's buttons and /qm reach the bot over a
		// WebSocket it opens, with no public endpoint.
		g.Go(cancel, func() error {
			return slack.Socket(ctx, env.SlackAppToken, env.SlackBotToken, slack.SocketOptions{
				APIURL: env.SlackAPIURL, Click: a.people.Handle, Log: a.opt.Log, Mention: a.mention,
				Command: func(ctx context.Context, user, channel, text string) (string, error) {
					return a.people.Command(ctx, "slack", user, channel, text)
				},
			})
		})
	}
	return g.Wait()
}

// closer is an endpoint with answers in flight to wait for at shutdown.
type closer interface {
	Close(ctx context.Context) error
}

func (a *App) closers() []closer {
	var out []closer
	if a.discord != nil {
		out = append(out, a.discord)
	}
	if a.slackCommands != nil {
		out = append(out, a.slackCommands)
	}
	if a.slackEvents != nil {
		out = append(out, a.slackEvents)
	}
	return out
}

// redeliver sends approved actions the webhook did not take, every
// redeliver_interval, until ctx ends.
func (a *App) redeliver(ctx context.Context) error {
	t := time.NewTicker(time.Duration(a.opt.Config.Approvals.RedeliverInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := a.book.Redeliver(ctx); err != nil && ctx.Err() == nil {
				a.opt.Log.Warn("redeliver approved actions", "delivered", n, "err", err)
			}
		}
	}
}

// group runs goroutines, cancels the rest when one fails and returns the
// first error.
type group struct {
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func (g *group) Go(cancel func(), f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() { g.err = err })
			cancel()
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	return g.err
}
