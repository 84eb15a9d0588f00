package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

// Config is the policy file: what the bot should do, as opposed to Env,
// which says where things are and holds the secrets. A zero Config is not
// usable; start from Default, which Parse and Load do.
type Config struct {
	// Prefix starts every Redis key, so several bots can share one Redis.
	Prefix     string            `yaml:"prefix"`
	Ingest     Ingest            `yaml:"ingest"`
	Stock      Stock             `yaml:"stock"`
	Exceptions Exceptions        `yaml:"exceptions"`
	Feeds      Feeds             `yaml:"feeds"`
	Alerts     Alerts            `yaml:"alerts"`
	Approvals  Approvals         `yaml:"approvals"`
	Tiers      score.Policy      `yaml:"tiers"`
	Owners     Owners            `yaml:"owners"`
	Routes     []Route           `yaml:"routes"`
	Roles      map[string]string `yaml:"roles"` // chat user id -> role
	// Briefings are the daily briefings' schedules; KPITargets the
	// targets they compare KPIs with.
	Briefings  []Briefing         `yaml:"briefings"`
	KPITargets map[string]float64 `yaml:"kpi_targets"`
	LLM        LLM                `yaml:"llm"`
}

// LLM tunes calls to the language model; where it is comes from the
// environment.
type LLM struct {
	Timeout  Duration `yaml:"timeout"`  // per attempt
	Attempts int      `yaml:"attempts"` // tries of one call on 429, 5xx and timeouts
	// Prices, by model (or Azure deployment), in US dollars per million
	// tokens, so every call's cost is counted.
	Prices map[string]LLMPrice `yaml:"prices"`
	// AllowLinks are the hosts (and their subdomains) generated text may
	// link to; a link anywhere else makes the template speak instead.
	AllowLinks []string `yaml:"allow_links"`
}

// LLMPrice is what a model costs.
type LLMPrice struct {
	InputPerM  float64 `yaml:"input_per_m"`
	OutputPerM float64 `yaml:"output_per_m"`
}

// Validate checks the model settings.
func (l LLM) Validate() error {
	if l.Timeout <= 0 {
		return errorf("timeout", "%s, want more than 0", l.Timeout)
	}
	if l.Attempts < 1 || l.Attempts > 10 {
		return errorf("attempts", "%d, want 1 to 10", l.Attempts)
	}
	for i, h := range l.AllowLinks {
		if h == "" || strings.ContainsAny(h, "/:@ ") {
			return errorf(fmt.Sprintf("allow_links[%d]", i), "%q, want a host name such as wiki.example.com", h)
		}
	}
	for _, m := range sortedKeys(l.Prices) {
		p := l.Prices[m]
		if !(p.InputPerM >= 0 && p.InputPerM < 1e6 && p.OutputPerM >= 0 && p.OutputPerM < 1e6) {
			return errorf("prices."+m, "want input_per_m and output_per_m of 0 or more")
		}
	}
	return nil
}

// Briefing is one schedule of the daily briefing: when, where, for whom.
type Briefing struct {
	Name     string `yaml:"name"`     // unique; names the occurrence replicas agree on
	Cron     string `yaml:"cron"`     // five fields: minute hour day-of-month month day-of-week
	TimeZone string `yaml:"timezone"` // IANA name, e.g. Europe/Berlin; UTC when empty
	Platform string `yaml:"platform"` // slack, discord or console
	Channel  string `yaml:"channel"`
	Role     string `yaml:"role"` // whose briefing: planner, finance, executive, ...
}

// kpis are the KPIs a briefing compares with targets.
var kpis = []string{"fill_rate", "otif", "supplier_on_time"}

// Validate checks one briefing schedule.
func (b Briefing) Validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return errorf("name", "empty, want a name for the schedule")
	}
	if _, err := cron.ParseStandard(b.Cron); err != nil {
		return errorf("cron", "%q: %v, want five fields such as \"0 7 * * 1-5\"", b.Cron, err)
	}
	if _, err := time.LoadLocation(b.TimeZone); err != nil {
		return errorf("timezone", "%q, want an IANA time zone such as Europe/Berlin", b.TimeZone)
	}
	if b.Platform != PlatformSlack && b.Platform != PlatformDiscord && b.Platform != PlatformConsole {
		return errorf("platform", "%q, want slack, discord or console", b.Platform)
	}
	if strings.TrimSpace(b.Channel) == "" {
		return errorf("channel", "empty, want a channel id or name")
	}
	if !slices.Contains(roles, b.Role) {
		return errorf("role", "%q, want one of %s", b.Role, strings.Join(roles, ", "))
	}
	return nil
}

// Ingest tunes how events are read from the Redis stream.
type Ingest struct {
	Group         string   `yaml:"group"`          // consumer group
	BatchSize     int      `yaml:"batch_size"`     // entries per XREADGROUP
	Block         Duration `yaml:"block"`          // XREADGROUP BLOCK
	ClaimMinIdle  Duration `yaml:"claim_min_idle"` // pending entries idle this long are reclaimed
	ClaimInterval Duration `yaml:"claim_interval"` // how often to look for them
	MaxDeliveries int      `yaml:"max_deliveries"` // deliveries before an entry is quarantined as poison
	DedupeWindow  Duration `yaml:"dedupe_window"`  // how long event ids are remembered
}

// Stock tunes the stock projection behind stockout alerts.
type Stock struct {
	HorizonDays         int                `yaml:"horizon_days"`           // days projected ahead
	DemandSource        string             `yaml:"demand_source"`          // engine, external, blend or trailing_mean
	HistoryDays         int                `yaml:"history_days"`           // days of order history the forecaster reads
	DemandWindowDays    int                `yaml:"demand_window_days"`     // trailing days averaged by trailing_mean
	DefaultLeadTimeDays float64            `yaml:"default_lead_time_days"` // when the SKU's master data has none
	ServiceLevel        map[string]float64 `yaml:"service_level"`          // cycle service level by SKU class, for safety stock
	SweepInterval       Duration           `yaml:"sweep_interval"`         // full re-evaluation of every SKU-site
}

// Alerts tunes the alert lifecycle.
type Alerts struct {
	// For is how long a new condition must hold before its alert fires, so
	// that one noisy event pages nobody; 0 fires at once.
	For Duration `yaml:"for"`
	// GroupWait holds a new per-position alert that a supplier-wide alert
	// may group at least this long, so the group reaches chat first.
	GroupWait Duration `yaml:"group_wait"`
	// InfoDigest gathers info changes for Slack and Discord into one
	// digest message per channel this often; 0 posts each as a message.
	InfoDigest Duration `yaml:"info_digest"`
	// RepeatInterval re-sends a critical alert nobody has acknowledged;
	// 0 never does.
	RepeatInterval Duration `yaml:"repeat_interval"`
	// Escalation passes an unacknowledged critical alert to the next owner
	// after each step's time since it was first detected.
	Escalation []EscalationStep `yaml:"escalation"`
}

// EscalationStep is one step of the escalation chain.
type EscalationStep struct {
	After Duration `yaml:"after"`
	Owner string   `yaml:"owner"`
}

// Validate checks the lifecycle settings.
func (a Alerts) Validate() error {
	switch {
	case a.For < 0:
		return errorf("for", "%s, want 0 or more", a.For)
	case a.GroupWait < 0:
		return errorf("group_wait", "%s, want 0 or more", a.GroupWait)
	case a.InfoDigest < 0 || (a.InfoDigest > 0 && a.InfoDigest < Duration(time.Minute)):
		return errorf("info_digest", "%s, want 0 (off) or at least 1m", a.InfoDigest)
	case a.RepeatInterval < 0:
		return errorf("repeat_interval", "%s, want 0 (never) or more", a.RepeatInterval)
	}
	var last Duration
	for i, s := range a.Escalation {
		key := fmt.Sprintf("escalation[%d]", i)
		switch {
		case s.After <= last:
			return errorf(key+".after", "%s, want more than the step before (%s)", s.After, last)
		case strings.TrimSpace(s.Owner) == "":
			return errorf(key+".owner", "empty, want the team or person who takes over")
		}
		last = s.After
	}
	return nil
}

// Approvals say who may approve which proposed action.
type Approvals struct {
	// Approvers lists, by action kind (expedite, transfer, reorder,
	// reallocate, reduce_promotion, or "*" for any), the roles that may
	// approve it.
	Approvers map[string][]string `yaml:"approvers"`
	// TwoPersonOver: an action committing at least this much money needs
	// two different approvers.
	TwoPersonOver float64 `yaml:"two_person_over"`
	// TTL is how long a proposal stays open.
	TTL Duration `yaml:"ttl"`
	// RedeliverInterval is how often approved actions the webhook did not
	// take are sent again.
	RedeliverInterval Duration `yaml:"redeliver_interval"`
}

// Validate checks the approval policy.
func (a Approvals) Validate() error {
	for _, kind := range sortedKeys(a.Approvers) {
		if len(a.Approvers[kind]) == 0 {
			return errorf("approvers."+kind, "no roles, want at least one of %s", strings.Join(roles, ", "))
		}
		for _, r := range a.Approvers[kind] {
			if !slices.Contains(roles, r) {
				return errorf("approvers."+kind, "%q is not a role, want one of %s", r, strings.Join(roles, ", "))
			}
		}
	}
	switch {
	case !(a.TwoPersonOver >= 0):
		return errorf("two_person_over", "%v, want 0 or more", a.TwoPersonOver)
	case a.TTL <= 0:
		return errorf("ttl", "%s, want more than 0", a.TTL)
	case a.RedeliverInterval <= 0:
		return errorf("redeliver_interval", "%s, want more than 0", a.RedeliverInterval)
	}
	return nil
}

// Exceptions say when a supply or demand change becomes an alert.
type Exceptions struct {
	DelayDays       float64 `yaml:"delay_days"`        // carrier ETA past its first by this many days: shipment_delay
	SlipDays        float64 `yaml:"slip_days"`         // supplier promise past the original by this many days: supplier_slip
	AnomalyFactor   float64 `yaml:"anomaly_factor"`    // a day's orders this many times the trailing mean: demand_anomaly
	AnomalyMinUnits float64 `yaml:"anomaly_min_units"` // ... and at least this many units
	DriftRatio      float64 `yaml:"drift_ratio"`       // a supplier's recent lead times this many times its baseline: lead_time_drift
}

// Validate checks the thresholds; 0 turns a detector off.
func (e Exceptions) Validate() error {
	for _, f := range []struct {
		key string
		v   float64
	}{{"delay_days", e.DelayDays}, {"slip_days", e.SlipDays}, {"anomaly_factor", e.AnomalyFactor}, {"anomaly_min_units", e.AnomalyMinUnits}, {"drift_ratio", e.DriftRatio}} {
		if !(f.v >= 0 && f.v <= 1e6) { // also rejects NaN
			return errorf(f.key, "%v, want 0 (off) or more", f.v)
		}
	}
	if e.AnomalyFactor > 0 && e.AnomalyFactor < 1 {
		return errorf("anomaly_factor", "%v, want 0 (off) or at least 1", e.AnomalyFactor)
	}
	if e.DriftRatio > 0 && e.DriftRatio <= 1 {
		return errorf("drift_ratio", "%v, want 0 (off) or more than 1", e.DriftRatio)
	}
	return nil
}

// Feeds says when an event feed (a `source`) has gone quiet or sends too
// many bad records: the stale_feed and data_quality alerts.
type Feeds struct {
	// StaleAfter is the least silence that counts as stale; a source that
	// is usually quiet longer needs GapFactor times its usual gap.
	StaleAfter Duration `yaml:"stale_after"`
	GapFactor  float64  `yaml:"gap_factor"`
	// LearnFor is how long a new source is watched before it can be stale.
	LearnFor Duration `yaml:"learn_for"`
	// A source whose refused share over QualityWindow reaches
	// QualityMinShare, with at least QualityMinRefused records refused,
	// raises data_quality; it clears below QualityClearShare.
	QualityWindow     Duration `yaml:"quality_window"`
	QualityMinShare   float64  `yaml:"quality_min_share"`
	QualityMinRefused int      `yaml:"quality_min_refused"`
	QualityClearShare float64  `yaml:"quality_clear_share"`
}

// maxFeedWindow bounds quality_window: feed counts are kept 72 hours.
const maxFeedWindow = 48 * time.Hour

// Validate checks the feed settings.
func (f Feeds) Validate() error {
	switch {
	case f.StaleAfter <= 0:
		return errorf("stale_after", "%s, want more than 0", f.StaleAfter)
	case !(f.GapFactor >= 1 && f.GapFactor <= 100):
		return errorf("gap_factor", "%v, want 1 to 100", f.GapFactor)
	case f.LearnFor < 0:
		return errorf("learn_for", "%s, want 0 or more", f.LearnFor)
	case f.QualityWindow <= 0 || time.Duration(f.QualityWindow) > maxFeedWindow:
		return errorf("quality_window", "%s, want more than 0 and at most 48h", f.QualityWindow)
	case !(f.QualityMinShare > 0 && f.QualityMinShare <= 1):
		return errorf("quality_min_share", "%v, want a share above 0 and at most 1", f.QualityMinShare)
	case f.QualityMinRefused < 1:
		return errorf("quality_min_refused", "%d, want 1 or more", f.QualityMinRefused)
	case !(f.QualityClearShare > 0 && f.QualityClearShare <= f.QualityMinShare):
		return errorf("quality_clear_share", "%v, want above 0 and at most quality_min_share (%v)", f.QualityClearShare, f.QualityMinShare)
	}
	return nil
}

// Demand sources for the stock projection.
const (
	DemandEngine   = "engine"        // the forecasting engine on order history
	DemandExternal = "external"      // the newest forecast.updated, the engine where it has none
	DemandBlend    = "blend"         // the mean of both where both exist
	DemandTrailing = "trailing_mean" // the mean of the last demand_window_days
)

// Owners assigns each alert a team. The maps are matched exactly.
type Owners struct {
	Default    string            `yaml:"default"`
	BySKU      map[string]string `yaml:"by_sku"`
	ByCategory map[string]string `yaml:"by_category"`
	BySite     map[string]string `yaml:"by_site"`
	ByRegion   map[string]string `yaml:"by_region"`
}

// Route sends alerts of some tiers, optionally for some sites only, to one
// channel of one chat platform.
type Route struct {
	Platform string       `yaml:"platform"` // slack, discord or console
	Channel  string       `yaml:"channel"`  // channel id or name on that platform
	Tiers    []score.Tier `yaml:"tiers"`
	Sites    []string     `yaml:"sites,omitempty"` // empty means every site
	// Role is who reads the channel: its alerts' summaries are written for
	// that role (planner when empty).
	Role string `yaml:"role,omitempty"`
}

// The chat platforms a Route can name, and "webhook": work items posted to
// QM_ACTIONS_WEBHOOK (the route's channel names the queue, for example the
// ticket project).
const (
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
	PlatformConsole = "console"
	PlatformWebhook = "webhook"
)

// The roles a chat user can hold. A role decides how answers and briefings
// are framed for the user, as `--as ROLE` does on the command line.
const (
	RolePlanner   = "planner"
	RoleBuyer     = "buyer"
	RoleFinance   = "finance"
	RoleExecutive = "executive"
	RoleAdmin     = "admin"
	// RoleSiteManager runs a plant or a distribution centre: dates and
	// quantities first.
	RoleSiteManager = "site_manager"
)

var (
	platforms = []string{PlatformSlack, PlatformDiscord, PlatformConsole, PlatformWebhook}
	roles     = []string{RolePlanner, RoleBuyer, RoleFinance, RoleExecutive, RoleAdmin, RoleSiteManager}
)

// Roles lists the roles a chat user can hold, for the packages that write
// for each of them.
func Roles() []string { return slices.Clone(roles) }

// Limits that Validate enforces.
const (
	maxBatchSize = 10000 // larger batches hold a Redis reply in memory for little gain
	maxDays      = 366   // a year and a leap day; longer projections are not stock policy
)

// Default is every default in one place. Each call returns fresh maps, so a
// caller may change its copy.
func Default() Config {
	return Config{
		Prefix: "qm:",
		Ingest: Ingest{
			Group:         "quartermaster",
			BatchSize:     500,
			Block:         Duration(2 * time.Second),
			ClaimMinIdle:  Duration(time.Minute),
			ClaimInterval: Duration(30 * time.Second),
			MaxDeliveries: 5,
			// Producers retry for days after an outage; 35 days covers a
			// monthly batch re-sent late.
			DedupeWindow: Duration(35 * day),
		},
		Stock: Stock{
			HorizonDays:         56,
			DemandSource:        DemandEngine,
			HistoryDays:         182,
			DemandWindowDays:    28,
			DefaultLeadTimeDays: 14,
			ServiceLevel:        map[string]float64{"A": 0.98, "B": 0.95, "C": 0.90},
			SweepInterval:       Duration(5 * time.Minute),
		},
		Alerts: Alerts{GroupWait: Duration(time.Minute), InfoDigest: Duration(time.Hour), RepeatInterval: Duration(4 * time.Hour), Escalation: []EscalationStep{}},
		Approvals: Approvals{
			Approvers: map[string][]string{
				"expedite": {"buyer", "finance", "admin"}, "transfer": {"planner", "buyer", "admin"},
				"reorder": {"buyer", "finance", "admin"}, "reduce_promotion": {"finance", "executive", "admin"}, "*": {"admin"},
			},
			TwoPersonOver: 25000, TTL: Duration(24 * time.Hour), RedeliverInterval: Duration(time.Minute),
		},
		Exceptions: Exceptions{DelayDays: 2, SlipDays: 3, AnomalyFactor: 10, AnomalyMinUnits: 10, DriftRatio: 1.25},
		Feeds: Feeds{StaleAfter: Duration(6 * time.Hour), GapFactor: 1.5, LearnFor: Duration(24 * time.Hour),
			QualityWindow: Duration(3 * time.Hour), QualityMinShare: 0.05, QualityMinRefused: 5, QualityClearShare: 0.025},
		Tiers: score.DefaultPolicy(),
		// Empty rather than nil maps, so that the dump of String lists every
		// key and loads back to an equal Config.
		Owners: Owners{
			Default:    "supply-planning",
			BySKU:      map[string]string{},
			ByCategory: map[string]string{},
			BySite:     map[string]string{},
			ByRegion:   map[string]string{},
		},
		// With no routes configured, the console still shows every alert,
		// which is what the demo and a first run need.
		Routes: []Route{{
			Platform: PlatformConsole,
			Channel:  "alerts",
			Tiers:    []score.Tier{score.Info, score.Actionable, score.Critical},
		}},
		Roles:      map[string]string{},
		Briefings:  []Briefing{},
		KPITargets: map[string]float64{"fill_rate": 0.95, "otif": 0.90, "supplier_on_time": 0.90},
		LLM:        LLM{Timeout: Duration(20 * time.Second), Attempts: 3, Prices: map[string]LLMPrice{}, AllowLinks: []string{}},
	}
}

// String dumps the config as YAML, for `quartermaster config` and debugging.
// The config holds no secrets; those are in Env.
func (c Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("# config: %v\n", err)
	}
	return string(b)
}

// Validate reports the first invalid setting, naming it by its YAML path.
func (c Config) Validate() error {
	if !strings.HasSuffix(c.Prefix, ":") || strings.ContainsAny(c.Prefix, "{}") {
		// Braces would form a Redis Cluster hash tag and pin every key to one slot.
		return errorf("prefix", "%q, want a prefix ending in ':' without '{' or '}', such as \"qm:\"", c.Prefix)
	}
	if err := c.Ingest.Validate(); err != nil {
		return in("ingest", err)
	}
	if err := c.Stock.Validate(); err != nil {
		return in("stock", err)
	}
	if err := c.Exceptions.Validate(); err != nil {
		return in("exceptions", err)
	}
	if err := c.Feeds.Validate(); err != nil {
		return in("feeds", err)
	}
	if err := c.LLM.Validate(); err != nil {
		return in("llm", err)
	}
	if err := c.Alerts.Validate(); err != nil {
		return in("alerts", err)
	}
	if err := c.Approvals.Validate(); err != nil {
		return in("approvals", err)
	}
	if err := c.Tiers.Validate(); err != nil {
		return in("tiers", err)
	}
	if err := c.Owners.Validate(); err != nil {
		return in("owners", err)
	}
	for i, r := range c.Routes {
		if err := r.Validate(); err != nil {
			return in(fmt.Sprintf("routes[%d]", i), err)
		}
	}
	names := map[string]bool{}
	for i, b := range c.Briefings {
		if err := b.Validate(); err != nil {
			return in(fmt.Sprintf("briefings[%d]", i), err)
		}
		if names[b.Name] {
			return errorf(fmt.Sprintf("briefings[%d].name", i), "%q is used twice, want unique names", b.Name)
		}
		names[b.Name] = true
	}
	for _, k := range sortedKeys(c.KPITargets) {
		if !slices.Contains(kpis, k) {
			return errorf("kpi_targets."+k, "unknown KPI, want one of %s", strings.Join(kpis, ", "))
		}
		if v := c.KPITargets[k]; !(v > 0 && v <= 1) {
			return errorf("kpi_targets."+k, "%v, want a share above 0 and at most 1", v)
		}
	}
	for _, id := range sortedKeys(c.Roles) {
		if id == "" {
			return errorf("roles", "empty user id")
		}
		if role := c.Roles[id]; !slices.Contains(roles, role) {
			return errorf("roles."+id, "%q, want one of %s", role, strings.Join(roles, ", "))
		}
	}
	return nil
}

// Validate checks the stream settings.
func (i Ingest) Validate() error {
	switch {
	case strings.TrimSpace(i.Group) == "":
		return errorf("group", "empty, want a consumer group name")
	case i.BatchSize < 1 || i.BatchSize > maxBatchSize:
		return errorf("batch_size", "%d, want 1 to %d", i.BatchSize, maxBatchSize)
	case i.Block <= 0:
		// BLOCK 0 waits forever, and the reader could then never stop.
		return errorf("block", "%s, want more than 0", i.Block)
	case i.ClaimMinIdle <= 0:
		return errorf("claim_min_idle", "%s, want more than 0", i.ClaimMinIdle)
	case i.ClaimInterval <= 0:
		return errorf("claim_interval", "%s, want more than 0", i.ClaimInterval)
	case i.MaxDeliveries < 1:
		return errorf("max_deliveries", "%d, want 1 or more", i.MaxDeliveries)
	case i.DedupeWindow <= 0:
		return errorf("dedupe_window", "%s, want more than 0", i.DedupeWindow)
	}
	return nil
}

// Validate checks the projection settings.
func (s Stock) Validate() error {
	switch {
	case s.HorizonDays < 1 || s.HorizonDays > maxDays:
		return errorf("horizon_days", "%d, want 1 to %d", s.HorizonDays, maxDays)
	case s.DemandSource != DemandEngine && s.DemandSource != DemandExternal && s.DemandSource != DemandBlend && s.DemandSource != DemandTrailing:
		return errorf("demand_source", "%q, want engine, external, blend or trailing_mean", s.DemandSource)
	case s.HistoryDays < 14 || s.HistoryDays > 3*maxDays:
		return errorf("history_days", "%d, want 14 to %d", s.HistoryDays, 3*maxDays)
	case s.DemandWindowDays < 1 || s.DemandWindowDays > maxDays:
		return errorf("demand_window_days", "%d, want 1 to %d", s.DemandWindowDays, maxDays)
	case !(s.DefaultLeadTimeDays > 0 && s.DefaultLeadTimeDays <= maxDays): // also rejects NaN
		return errorf("default_lead_time_days", "%v, want more than 0 and at most %d", s.DefaultLeadTimeDays, maxDays)
	case s.SweepInterval <= 0:
		return errorf("sweep_interval", "%s, want more than 0", s.SweepInterval)
	}
	for _, class := range sortedKeys(s.ServiceLevel) {
		v := s.ServiceLevel[class]
		switch {
		case class != "A" && class != "B" && class != "C":
			return errorf("service_level."+class, "unknown class (want A, B or C)")
		case !(v >= 0.5 && v < 1): // also rejects NaN
			return errorf("service_level."+class, "%v, want at least 0.5 and below 1", v)
		}
	}
	return nil
}

// Validate checks that every alert gets a named owner.
func (o Owners) Validate() error {
	if strings.TrimSpace(o.Default) == "" {
		return errorf("default", "empty, want the team that owns alerts nothing else matches")
	}
	for _, m := range []struct {
		key string
		m   map[string]string
	}{{"by_sku", o.BySKU}, {"by_category", o.ByCategory}, {"by_site", o.BySite}, {"by_region", o.ByRegion}} {
		for _, k := range sortedKeys(m.m) {
			if k == "" {
				return errorf(m.key, "empty key, want a name to match")
			}
			if strings.TrimSpace(m.m[k]) == "" {
				return errorf(m.key+"."+k, "empty, want an owner")
			}
		}
	}
	return nil
}

// Owner picks the owner of an alert. The SKU's owner from master data wins,
// because it is maintained next to the SKU and so is the most specific and
// the most current; then the config's maps from narrow to broad (SKU,
// category, site, region); then the default.
func (o Owners) Owner(skuOwner, sku, category, site, region string) string {
	if skuOwner != "" {
		return skuOwner
	}
	for _, l := range []struct {
		m   map[string]string
		key string
	}{{o.BySKU, sku}, {o.ByCategory, category}, {o.BySite, site}, {o.ByRegion, region}} {
		if l.key == "" {
			continue
		}
		if owner := l.m[l.key]; owner != "" {
			return owner
		}
	}
	return o.Default
}

// Validate checks that the route names a platform, a channel and tiers.
func (r Route) Validate() error {
	if !slices.Contains(platforms, r.Platform) {
		return errorf("platform", "%q, want one of %s", r.Platform, strings.Join(platforms, ", "))
	}
	if strings.TrimSpace(r.Channel) == "" {
		return errorf("channel", "empty, want a channel id or name")
	}
	// A route without tiers would silently send nothing; say so instead.
	if len(r.Tiers) == 0 {
		return errorf("tiers", "empty, want one or more of %s", tierNames())
	}
	for i, t := range r.Tiers {
		if !validTier(t) {
			return errorf(fmt.Sprintf("tiers[%d]", i), "%q, want one of %s", t, tierNames())
		}
	}
	for i, s := range r.Sites {
		if strings.TrimSpace(s) == "" {
			return errorf(fmt.Sprintf("sites[%d]", i), "empty, want a site id")
		}
	}
	if r.Role != "" && !slices.Contains(roles, r.Role) {
		return errorf("role", "%q, want one of %s", r.Role, strings.Join(roles, ", "))
	}
	return nil
}

// Match reports whether the route takes an alert of tier at site.
func (r Route) Match(tier score.Tier, site string) bool {
	return slices.Contains(r.Tiers, tier) && (len(r.Sites) == 0 || slices.Contains(r.Sites, site))
}

var tiers = []score.Tier{score.Info, score.Actionable, score.Critical}

func validTier(t score.Tier) bool { return t.Rank() >= 0 }

func tierNames() string {
	s := make([]string, len(tiers))
	for i, t := range tiers {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// sortedKeys makes validation of maps report the same error on every run.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
