package ask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/store"
)

// State is the read-only part of the store the tools use; store.Store
// implements it. Nothing here writes: a question cannot change state.
type State interface {
	Position(ctx context.Context, skuSite string) (store.Position, error)
	Positions(ctx context.Context) ([]string, error)
	Lookup(ctx context.Context, r store.Refs) (store.Found, error)
	CurrentAlerts(ctx context.Context) (map[string][]byte, error)
}

// Tool names, as the model calls them.
const (
	ToolStatus   = "position_status"
	ToolRisks    = "top_risks"
	ToolEvidence = "alert_evidence"
	ToolSupplier = "supplier_performance"
	ToolForecast = "forecast"
	ToolKPIs     = "kpis"
	ToolWhatIf   = "whatif_slip"
)

// ToolUse is one tool call of an answer, as --json reports it.
type ToolUse struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
	By   string          `json:"by"` // SourceLLM or SourceParser

	Error string `json:"error,omitempty"` // the call was refused: unknown tool or bad arguments
}

// argError is a tool call the model got wrong: an unknown tool, arguments
// that do not decode or are out of range. It goes back to the model as the
// tool's result, so it can correct itself; it is never a failure of the
// answer.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func badArgs(format string, a ...any) error { return &argError{fmt.Sprintf(format, a...)} }

// tool is one read-only function the model may call.
type tool struct {
	name, desc string
	params     map[string]any // JSON schema of the arguments
	run        func(ctx context.Context, s *session, args json.RawMessage) (any, error)
}

func object(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

var tools = []tool{
	{ToolStatus, "Stock position of a SKU at a site, or at every site when site is omitted: on hand, forecast daily demand, days of supply, projected stockout date, units short and revenue at risk, inbound receipts, open alerts.",
		object([]string{"sku"}, map[string]any{"sku": str("SKU id, e.g. SKU-100"), "site": str("site id, e.g. DC-EAST; omit for every site")}),
		runStatus},
	{ToolRisks, "Open alerts ranked by score (revenue at risk, SKU class, time to impact), over the whole network or one site, region or supplier; optionally only those stocking out within some days.",
		object([]string{"scope"}, map[string]any{
			"scope":       map[string]any{"type": "string", "enum": []string{"all", "site", "region", "supplier"}},
			"value":       str("the site, region or supplier id; omit for scope all"),
			"limit":       map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "description": "how many, default 5"},
			"within_days": map[string]any{"type": "integer", "minimum": 1, "maximum": maxWithinDays, "description": "only alerts whose stockout date is at most this many days from today"},
		}),
		runRisks},
	{ToolEvidence, "One alert by id (qm-<16 hex>-<n>): its kind, tier, state, figures, recommended action and the evidence behind it.",
		object([]string{"alert_id"}, map[string]any{"alert_id": str("alert id, e.g. qm-7f4d048d20e07d91-1")}),
		runEvidence},
	{ToolSupplier, "A supplier's completed POs: mean and p90 lead time, share on time against the original promise, mean days late, lead-time drift; and its open POs.",
		object([]string{"supplier"}, map[string]any{"supplier": str("supplier id, e.g. SUP-ACME")}),
		runSupplier},
	{ToolForecast, "The demand forecast of a SKU at a site: method, mean daily demand, the next 7 days, holdout error and spread, safety stock and reorder point.",
		object([]string{"sku", "site"}, map[string]any{"sku": str("SKU id"), "site": str("site id")}),
		runForecast},
	{ToolKPIs, "Unit fill rate and on-time-in-full by site over the last 28 days, and lane delay rates; one site when site is given.",
		object(nil, map[string]any{"site": str("site id; omit for every site and lane")}),
		runKPIs},
	{ToolWhatIf, "What-if: every receipt of a PO, shipment or supplier arriving some days later, projected as the alerts are; the positions whose revenue at risk or stockout date changes.",
		object([]string{"ref", "days"}, map[string]any{
			"ref":  str("PO, shipment or supplier id"),
			"days": map[string]any{"type": "integer", "minimum": 1, "maximum": maxSlipDays},
		}),
		runWhatIf},
}

// Limits on arguments.
const (
	maxLimit      = 20
	maxSlipDays   = 90
	maxWithinDays = 366
	// kpiWindowDays is the window of fill rate and OTIF, as `quartermaster
	// kpi` uses by default.
	kpiWindowDays = 28
)

// Definitions are the tools as the chat-completions API declares them.
func Definitions() []openai.Tool {
	out := make([]openai.Tool, len(tools))
	for i, t := range tools {
		out[i] = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: t.name, Description: t.desc, Parameters: t.params,
		}}
	}
	return out
}

// toolbox runs the read-only question tools over validated state, with the
// same projection the alerts use.
type toolbox struct {
	st  State
	pol *detect.Policy
}

// newToolbox returns tools over st judged with pol (app.DetectPolicy of the
// policy file).
func newToolbox(st State, pol *detect.Policy) *toolbox { return &toolbox{st: st, pol: pol} }

// session is one question: the asker's role, one clock reading so every
// tool judges the same instant, the sheet every tool adds to (so fact ids
// stay unique across calls), and positions read once.
type session struct {
	t     *toolbox
	now   time.Time
	book  book
	uses  []ToolUse
	by    string // who calls: SourceLLM or SourceParser
	cache map[string]store.Position
	list  []string
	open  []alert.Alert // the alert records, read once
}

// session starts a question asked as role at now, its tools called by
// by (SourceLLM or SourceParser).
func (t *toolbox) session(role string, now time.Time, by string) *session {
	return &session{t: t, now: now, by: by, book: book{role: role}, cache: map[string]store.Position{}}
}

// call runs one tool call. A wrong call (unknown tool, bad arguments)
// returns an *argError; any other error is the state failing.
func (s *session) call(ctx context.Context, name string, args json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(args)) == 0 {
		args = json.RawMessage(`{}`)
	}
	use := ToolUse{Name: name, Args: rawArgs(args), By: s.by}
	var res any
	err := badArgs("no tool %q: the tools are %s", name, toolNames())
	for _, t := range tools {
		if t.name == name {
			res, err = t.run(ctx, s, args)
			break
		}
	}
	if ae := (*argError)(nil); errors.As(err, &ae) {
		use.Error = ae.msg
	}
	s.uses = append(s.uses, use)
	return res, err
}

// rawArgs keeps a call's arguments for the record: as sent when they are
// JSON, else as a JSON string, so an answer with a malformed call still
// encodes.
func rawArgs(args []byte) json.RawMessage {
	if json.Valid(args) {
		return append(json.RawMessage(nil), args...)
	}
	b, _ := json.Marshal(string(args))
	return b
}

func toolNames() string {
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}

// decode reads a call's arguments strictly: unknown fields (a "role", say)
// are refused, so a model cannot widen what a tool returns.
func decode(args json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(args))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badArgs("arguments: %v", err)
	}
	if d.More() {
		return badArgs("arguments: more than one JSON value")
	}
	return nil
}

// positions lists every position, once per question.
func (s *session) positions(ctx context.Context) ([]string, error) {
	if s.list == nil {
		all, err := s.t.st.Positions(ctx)
		if err != nil {
			return nil, err
		}
		s.list = append([]string{}, all...)
	}
	return s.list, nil
}

// position reads one position, once per question.
func (s *session) position(ctx context.Context, ss string) (store.Position, error) {
	if p, ok := s.cache[ss]; ok {
		return p, nil
	}
	p, err := s.t.st.Position(ctx, ss)
	if err != nil {
		return p, err
	}
	s.cache[ss] = p
	return p, nil
}

// all reads every position.
func (s *session) all(ctx context.Context) ([]store.Position, error) {
	list, err := s.positions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]store.Position, 0, len(list))
	for _, ss := range list {
		p, err := s.position(ctx, ss)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// sitesOf lists the sites where sku has a position.
func (s *session) sitesOf(ctx context.Context, sku string) ([]string, error) {
	list, err := s.positions(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ss := range list {
		if k, site := store.SplitSKUSite(ss); k == sku {
			out = append(out, site)
		}
	}
	return out, nil
}

// known reports whether a position has state and master data to judge.
func known(p store.Position) bool { return p.SKUInfo != nil && !p.LastEventAt.IsZero() }

// assess judges p as of the question's instant.
func (s *session) assess(p store.Position) (*detect.Situation, error) {
	return s.t.pol.Assess(p, s.now)
}

// alerts reads the current alert records, once per question, sorted by
// score, highest first.
func (s *session) alerts(ctx context.Context) ([]alert.Alert, error) {
	if s.open != nil {
		return s.open, nil
	}
	cur, err := s.t.st.CurrentAlerts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]alert.Alert, 0, len(cur))
	for _, raw := range cur {
		var a alert.Alert
		if err := json.Unmarshal(raw, &a); err != nil {
			continue // a record this build cannot read is no evidence
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	s.open = out
	return out, nil
}
