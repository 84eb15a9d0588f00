package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quartermaster-ops/quartermaster/pipeline/score"
)

const examplePath = "../../deploy/quartermaster.example.yaml"

// TestLoadInvalid pins the exact message for every fixture in
// testdata/invalid: what an operator reads is part of the interface.
func TestLoadInvalid(t *testing.T) {
	const duration = "want a duration such as 90s, 15m, 36h, 35d or 1d12h"
	tests := map[string]string{
		// Strict decoding.
		"unknown_top_level_key.yaml": `line 2: prefx: unknown key, want one of prefix, ingest, stock, exceptions, feeds, alerts, approvals, tiers, owners, routes, roles, briefings, kpi_targets, llm`,
		"unknown_nested_key.yaml":    `line 4: ingest.batchsize: unknown key, want one of group, batch_size, block, claim_min_idle, claim_interval, max_deliveries, dedupe_window`,
		"unknown_tiers_key.yaml":     `line 3: tiers.critical.min_revenue: unknown key, want one of min_revenue_at_risk, max_time_to_impact_hours`,
		"unknown_route_key.yaml":     `line 3: routes[0].chanel: unknown key, want one of platform, channel, tiers, sites, role`,
		"repeated_key.yaml":          `line 3: stock.horizon_days: repeated key, first at line 2`,
		"two_documents.yaml":         `line 2: a second YAML document, want one`,
		"syntax_error.yaml":          `line 2: did not find expected key`,
		"tab_indent.yaml":            `line 2: found character that cannot start any token`,

		// Wrong types.
		"wrong_type_int.yaml":          `line 2: ingest.batch_size: "lots", want an integer`,
		"wrong_type_quoted_int.yaml":   `line 2: stock.horizon_days: "56", want an integer`,
		"wrong_type_fraction.yaml":     `line 2: ingest.max_deliveries: 2.5, want an integer`,
		"wrong_type_infinity.yaml":     `line 2: ingest.batch_size: .inf, want an integer`,
		"wrong_type_threshold.yaml":    `line 3: tiers.critical.min_revenue_at_risk: "ten thousand", want a number`,
		"wrong_type_list_for_map.yaml": `line 3: owners.by_sku: a list, want a mapping`,
		"wrong_type_map_for_list.yaml": `line 2: routes: a mapping, want a list`,
		"wrong_type_top_level.yaml":    `line 1: a list, want a mapping`,
		"several_type_errors.yaml": `line 2: ingest.batch_size: "lots", want an integer; ` +
			`line 3: ingest.block: "soon", ` + duration + `; ` +
			`line 5: stock.horizon_days: a list, want an integer`,
		"bad_duration.yaml":         `line 2: ingest.dedupe_window: "5w", ` + duration,
		"bad_duration_no_unit.yaml": `line 2: stock.sweep_interval: "300", ` + duration,
		"bad_duration_flow.yaml":    `line 1: ingest.claim_interval: "30 seconds", ` + duration,

		// Validation.
		"prefix_without_colon.yaml":      `line 1: prefix: "qm", want a prefix ending in ':' without '{' or '}', such as "qm:"`,
		"prefix_with_hash_tag.yaml":      `line 1: prefix: "{qm}:", want a prefix ending in ':' without '{' or '}', such as "qm:"`,
		"empty_group.yaml":               `line 2: ingest.group: empty, want a consumer group name`,
		"batch_size_zero.yaml":           `line 2: ingest.batch_size: 0, want 1 to 10000`,
		"batch_size_too_big.yaml":        `line 2: ingest.batch_size: 50000, want 1 to 10000`,
		"block_zero.yaml":                `line 2: ingest.block: 0s, want more than 0`,
		"negative_duration.yaml":         `line 2: ingest.claim_min_idle: -1m, want more than 0`,
		"max_deliveries_zero.yaml":       `line 2: ingest.max_deliveries: 0, want 1 or more`,
		"horizon_days_zero.yaml":         `line 2: stock.horizon_days: 0, want 1 to 366`,
		"lead_time_nan.yaml":             `line 2: stock.default_lead_time_days: NaN, want more than 0 and at most 366`,
		"negative_threshold.yaml":        `line 3: tiers.critical.min_revenue_at_risk: must not be negative`,
		"actionable_above_critical.yaml": `line 5: tiers.actionable.min_revenue_at_risk: must not be above critical.min_revenue_at_risk (8000 > 5000)`,
		"unknown_class_weight.yaml":      `line 3: tiers.class_weight.D: unknown class (want A, B or C)`,
		"bad_demand_source.yaml":         `line 2: stock.demand_source: "prophet", want engine, external, blend or trailing_mean`,
		"bad_service_level.yaml":         `line 3: stock.service_level.A: 1, want at least 0.5 and below 1`,
		"history_days_short.yaml":        `line 2: stock.history_days: 7, want 14 to 1098`,
		"anomaly_factor_below_one.yaml":  `line 2: exceptions.anomaly_factor: 0.5, want 0 (off) or at least 1`,
		"feeds_clear_above_min.yaml":     `line 3: feeds.quality_clear_share: 0.04, want above 0 and at most quality_min_share (0.02)`,
		"briefing_bad_cron.yaml":         `line 3: briefings[0].cron: "0 7 * *": expected exactly 5 fields, found 4: [0 7 * *], want five fields such as "0 7 * * 1-5"`,
		"briefing_bad_timezone.yaml":     `line 4: briefings[0].timezone: "Mars/Olympus", want an IANA time zone such as Europe/Berlin`,
		"briefing_duplicate_name.yaml":   `line 7: briefings[1].name: "daily" is used twice, want unique names`,
		"kpi_target_unknown.yaml":        `line 2: kpi_targets.fil_rate: unknown KPI, want one of fill_rate, otif, supplier_on_time`,
		"escalation_out_of_order.yaml":   `line 5: alerts.escalation[1].after: 1h, want more than the step before (2h)`,
		"bad_approver_role.yaml":         `line 3: approvals.approvers.expedite: "intern" is not a role, want one of planner, buyer, finance, executive, admin, site_manager`,
		"empty_default_owner.yaml":       `line 2: owners.default: empty, want the team that owns alerts nothing else matches`,
		"empty_owner.yaml":               `line 3: owners.by_site.DC-EAST: empty, want an owner`,
		"bad_route_platform.yaml":        `line 5: routes[1].platform: "teams", want one of slack, discord, console, webhook`,
		"route_without_channel.yaml":     `line 2: routes[0].channel: empty, want a channel id or name`,
		"route_without_tiers.yaml":       `line 2: routes[0].tiers: empty, want one or more of info, actionable, critical`,
		"bad_route_tier.yaml":            `line 4: routes[0].tiers[1]: "urgent", want one of info, actionable, critical`,
		"bad_role.yaml":                  `line 3: roles.U0G9QF9C6: "cfo", want one of planner, buyer, finance, executive, admin, site_manager`,
	}

	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := tests[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected error in the table", f)
		}
	}
	for name, want := range tests {
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", name)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = nil error, want %q\n%s", path, want, c)
			}
			if got := err.Error(); got != path+": "+want {
				t.Errorf("Load(%s) error\n got: %s\nwant: %s", path, got, path+": "+want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Load(%s) error spans several lines", path)
			}
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 {
				t.Errorf("Load(%s) error carries no *Error with a line: %#v", path, err)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for name, data := range map[string]string{
		"empty":            "",
		"comments":         "# nothing to change\n\n# yet\n",
		"document start":   "---\n",
		"null":             "~\n",
		"trailing end":     "prefix: \"qm:\"\n...\n",
		"trailing doc":     "prefix: \"qm:\"\n---\n",
		"null section":     "ingest:\n# batch_size: 100\nstock:\n",
		"defaults written": "prefix: \"qm:\"\ningest:\n  batch_size: 500\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(data))
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", data, err)
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Errorf("Parse(%q) =\n%s\nwant Default()\n%s", data, c, Default())
			}
		})
	}
}

// TestParsePartial pins that a file changes only what it names, and that a
// list or map it names replaces the default whole.
func TestParsePartial(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		edit func(*Config)
	}{
		{
			name: "one nested key",
			yaml: "ingest:\n  batch_size: 100\n",
			edit: func(c *Config) { c.Ingest.BatchSize = 100 },
		},
		{
			name: "durations in days",
			yaml: "ingest:\n  dedupe_window: 7d\n  claim_min_idle: 90s\nstock:\n  sweep_interval: 1d12h\n",
			edit: func(c *Config) {
				c.Ingest.DedupeWindow = Duration(7 * 24 * time.Hour)
				c.Ingest.ClaimMinIdle = Duration(90 * time.Second)
				c.Stock.SweepInterval = Duration(36 * time.Hour)
			},
		},
		{
			name: "integral number for a count",
			yaml: "stock:\n  horizon_days: 90.0\n  default_lead_time_days: 3.5\ningest:\n  batch_size: 1e3\n",
			edit: func(c *Config) {
				c.Stock.HorizonDays = 90
				c.Stock.DefaultLeadTimeDays = 3.5
				c.Ingest.BatchSize = 1000
			},
		},
		{
			name: "one threshold",
			yaml: "tiers:\n  critical:\n    max_time_to_impact_hours: 48\n",
			edit: func(c *Config) { c.Tiers.Critical.MaxTimeToImpactHours = 48 },
		},
		{
			name: "class weights replace the defaults",
			yaml: "tiers:\n  class_weight:\n    A: 2\n",
			edit: func(c *Config) { c.Tiers.ClassWeight = map[string]float64{"A": 2} },
		},
		{
			name: "routes replace the default",
			yaml: "routes:\n  - {platform: slack, channel: C024BE91L, tiers: [critical], sites: [DC-EAST]}\n",
			edit: func(c *Config) {
				c.Routes = []Route{{Platform: PlatformSlack, Channel: "C024BE91L", Tiers: []score.Tier{score.Critical}, Sites: []string{"DC-EAST"}}}
			},
		},
		{
			name: "no routes",
			yaml: "routes: []\n",
			edit: func(c *Config) { c.Routes = []Route{} },
		},
		{
			name: "numeric keys and values are strings",
			yaml: "owners:\n  by_sku:\n    1001: 42\nroles:\n  80351110224678912: admin\n",
			edit: func(c *Config) {
				c.Owners.BySKU = map[string]string{"1001": "42"}
				c.Roles = map[string]string{"80351110224678912": RoleAdmin}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			want := Default()
			tt.edit(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tt.yaml, got, want)
			}
		})
	}
}

// TestExample pins that the annotated example loads and that it says what
// it documents: the defaults, plus the examples it marks as examples.
func TestExample(t *testing.T) {
	got, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	want := Default()
	want.Owners.BySKU = map[string]string{"SKU-1001": "launch-team"}
	want.Owners.ByCategory = map[string]string{"cold-chain": "cold-chain-ops"}
	want.Owners.BySite = map[string]string{"DC-EAST": "east-dc-planning"}
	want.Owners.ByRegion = map[string]string{"EMEA": "emea-supply"}
	want.Routes = append(want.Routes,
		Route{Platform: PlatformSlack, Channel: "#supply-alerts", Tiers: []score.Tier{score.Actionable, score.Critical}},
		Route{Platform: PlatformSlack, Channel: "#dc-east", Tiers: []score.Tier{score.Critical}, Sites: []string{"DC-EAST"}, Role: RoleSiteManager},
		Route{Platform: PlatformDiscord, Channel: "123456789012345678", Tiers: []score.Tier{score.Critical}},
		Route{Platform: PlatformWebhook, Channel: "supply-tickets", Tiers: []score.Tier{score.Actionable}},
	)
	want.Alerts.Escalation = []EscalationStep{{After: Duration(30 * time.Minute), Owner: "supply-lead"}, {After: Duration(2 * time.Hour), Owner: "vp-operations"}}
	want.Roles = map[string]string{"U024BE7LH": RolePlanner, "U0G9QF9C6": RoleFinance, "80351110224678912": RoleExecutive}
	want.Briefings = []Briefing{
		{Name: "planners-morning", Cron: "0 7 * * 1-5", TimeZone: "Europe/Berlin", Platform: PlatformSlack, Channel: "#supply-planning", Role: RolePlanner},
		{Name: "exec-daily", Cron: "30 7 * * *", TimeZone: "America/New_York", Platform: PlatformSlack, Channel: "#exec-supply", Role: RoleExecutive},
	}
	want.LLM.Prices = map[string]LLMPrice{"gpt-4o-mini": {InputPerM: 0.15, OutputPerM: 0.6}}
	want.LLM.AllowLinks = []string{"wiki.example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(%s) =\n%s\nwant\n%s", examplePath, got, want)
	}

	// Every setting must appear in the example with a comment above it, so
	// a newcomer never meets a setting that is not explained; a setting that
	// takes a value must also say its default.
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	documented := make(map[string]bool)
	for _, e := range newIndex(&root).entries {
		if e.key == nil || e.parent == nil || e.parent.Kind() != reflect.Struct || strings.Contains(e.path, "[") {
			continue // list items and map entries are explained by their parent
		}
		documented[e.path] = true
		if e.key.HeadComment == "" {
			t.Errorf("%s:%d: %s has no comment above it", examplePath, e.key.Line, e.path)
			continue
		}
		if leaf := e.typ.Kind() != reflect.Struct; leaf && !strings.Contains(e.key.HeadComment, "efault") {
			t.Errorf("%s:%d: comment of %s does not give its default", examplePath, e.key.Line, e.path)
		}
	}
	for _, path := range settings(reflect.TypeFor[Config](), "") {
		if !documented[path] {
			t.Errorf("%s does not show %s", examplePath, path)
		}
	}
}

// settings lists the YAML paths of every setting under t, leaving out the
// entries of maps and the fields of list items.
func settings(t reflect.Type, prefix string) []string {
	var paths []string
	for _, k := range keys(t) {
		f, _ := fieldByKey(t, k)
		p := join(prefix, k)
		paths = append(paths, p)
		if f.Type.Kind() == reflect.Struct {
			paths = append(paths, settings(f.Type, p)...)
		}
	}
	return paths
}

// TestStringRoundTrip pins that the dump of `quartermaster config` loads
// back to the same config.
func TestStringRoundTrip(t *testing.T) {
	example, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Config{"default": Default(), "example": example} {
		t.Run(name, func(t *testing.T) {
			s := c.String()
			back, err := Parse([]byte(s))
			if err != nil {
				t.Fatalf("Parse(String()) error: %v\n%s", err, s)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("Parse(String()) =\n%s\nwant\n%s", back, s)
			}
			if !strings.Contains(s, "dedupe_window: 35d\n") {
				t.Errorf("String() does not write durations as the file does:\n%s", s)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	a, b := Default(), Default()
	a.Tiers.ClassWeight["A"] = 99
	a.Routes[0].Tiers[0] = score.Critical
	if b.Tiers.ClassWeight["A"] == 99 || b.Routes[0].Tiers[0] == score.Critical {
		t.Error("Default() shares maps or slices between calls")
	}
}

// TestValidate covers configs built in code, where errors have a path but
// no line.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"default", func(*Config) {}, ""},
		{"batch size", func(c *Config) { c.Ingest.BatchSize = 0 }, "ingest.batch_size: 0, want 1 to 10000"},
		{"empty prefix", func(c *Config) { c.Prefix = "" }, `prefix: "", want a prefix ending in ':' without '{' or '}', such as "qm:"`},
		{"demand window", func(c *Config) { c.Stock.DemandWindowDays = 367 }, "stock.demand_window_days: 367, want 1 to 366"},
		{"lead time", func(c *Config) { c.Stock.DefaultLeadTimeDays = 0 }, "stock.default_lead_time_days: 0, want more than 0 and at most 366"},
		{"sweep", func(c *Config) { c.Stock.SweepInterval = 0 }, "stock.sweep_interval: 0s, want more than 0"},
		{"claim interval", func(c *Config) { c.Ingest.ClaimInterval = -1 }, "ingest.claim_interval: -1ns, want more than 0"},
		{"dedupe window", func(c *Config) { c.Ingest.DedupeWindow = 0 }, "ingest.dedupe_window: 0s, want more than 0"},
		{"executive revenue", func(c *Config) { c.Tiers.ExecutiveRevenue = 5 }, "tiers.executive_revenue: must not be below critical.min_revenue_at_risk (5 < 10000)"},
		{"empty owner key", func(c *Config) { c.Owners.ByRegion = map[string]string{"": "x"} }, "owners.by_region: empty key, want a name to match"},
		{"empty route site", func(c *Config) { c.Routes[0].Sites = []string{"DC-EAST", " "} }, "routes[0].sites[1]: empty, want a site id"},
		{"empty role user", func(c *Config) { c.Roles = map[string]string{"": RoleAdmin} }, "roles: empty user id"},
		{"roles in key order", func(c *Config) { c.Roles = map[string]string{"b": "x", "a": "y"} }, `roles.a: "y", want one of planner, buyer, finance, executive, admin, site_manager`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			got := ""
			if err := c.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateUnwraps(t *testing.T) {
	c := Default()
	c.Tiers.Critical.MinRevenueAtRisk = -1
	err := c.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Path != "tiers.critical.min_revenue_at_risk" {
		t.Fatalf("Validate() = %#v, want *Error at tiers.critical.min_revenue_at_risk", err)
	}
	if want := c.Tiers.Validate(); errors.Unwrap(e.Err) == nil || errors.Unwrap(e.Err).Error() != want.Error() {
		t.Errorf("Validate() does not unwrap to score's error %q", want)
	}
}

func TestOwner(t *testing.T) {
	o := Owners{
		Default:    "supply-planning",
		BySKU:      map[string]string{"SKU-1": "sku-team"},
		ByCategory: map[string]string{"frozen": "cold-chain"},
		BySite:     map[string]string{"DC-EAST": "east"},
		ByRegion:   map[string]string{"EMEA": "emea"},
	}
	tests := []struct {
		name                                  string
		skuOwner, sku, category, site, region string
		want                                  string
	}{
		{"master data wins", "alice", "SKU-1", "frozen", "DC-EAST", "EMEA", "alice"},
		{"then by_sku", "", "SKU-1", "frozen", "DC-EAST", "EMEA", "sku-team"},
		{"then by_category", "", "SKU-2", "frozen", "DC-EAST", "EMEA", "cold-chain"},
		{"then by_site", "", "SKU-2", "dry", "DC-EAST", "EMEA", "east"},
		{"then by_region", "", "SKU-2", "dry", "DC-WEST", "EMEA", "emea"},
		{"then default", "", "SKU-2", "dry", "DC-WEST", "AMER", "supply-planning"},
		{"nothing known", "", "", "", "", "", "supply-planning"},
		{"matching is exact", "", "sku-1", "Frozen", "dc-east", "emea", "supply-planning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := o.Owner(tt.skuOwner, tt.sku, tt.category, tt.site, tt.region); got != tt.want {
				t.Errorf("Owner(%q, %q, %q, %q, %q) = %q, want %q", tt.skuOwner, tt.sku, tt.category, tt.site, tt.region, got, tt.want)
			}
		})
	}
	if got := (Owners{Default: "d"}).Owner("", "SKU-1", "c", "s", "r"); got != "d" {
		t.Errorf("Owner with nil maps = %q, want the default", got)
	}
}

func TestRouteMatch(t *testing.T) {
	all := Route{Platform: PlatformSlack, Channel: "#all", Tiers: []score.Tier{score.Actionable, score.Critical}}
	east := Route{Platform: PlatformSlack, Channel: "#east", Tiers: []score.Tier{score.Critical}, Sites: []string{"DC-EAST"}}
	tests := []struct {
		route Route
		tier  score.Tier
		site  string
		want  bool
	}{
		{all, score.Critical, "DC-WEST", true},
		{all, score.Actionable, "DC-EAST", true},
		{all, score.Info, "DC-EAST", false},
		{east, score.Critical, "DC-EAST", true},
		{east, score.Critical, "DC-WEST", false},
		{east, score.Actionable, "DC-EAST", false},
	}
	for _, tt := range tests {
		if got := tt.route.Match(tt.tier, tt.site); got != tt.want {
			t.Errorf("%s.Match(%s, %s) = %v, want %v", tt.route.Channel, tt.tier, tt.site, got, tt.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want an error that is os.ErrNotExist", err)
	}
}
