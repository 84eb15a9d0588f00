// Package summary writes the short summary of an alert that people read
// in its chat thread and in /qm status: what changed, why it matters, who
// owns it, what happens next, in a variant for each role.
//
// The pipeline computes every figure. A language model, when one is
// configured, only phrases the alert's facts sheet (Sheet): its reply is
// shown only if every number and date in it matches a fact, it pages no
// one and links nowhere outside the allow-list (facts.Check). Anything
// else (a refused reply, an error, a timeout, an empty answer) falls back
// to the template text, which is written from the same sheet, and the
// refusal is counted and logged. The model gets no tools, and partner
// text reaches it only quoted as untrusted data.
package summary

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/config"
	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// PromptID is the prompt the summaries are written with.
const PromptID = "alert_summary"

// Roles a summary is written for.
const (
	RolePlanner     = config.RolePlanner
	RoleBuyer       = config.RoleBuyer
	RoleFinance     = config.RoleFinance
	RoleExecutive   = config.RoleExecutive
	RoleAdmin       = config.RoleAdmin
	RoleSiteManager = config.RoleSiteManager // a plant or site manager: dates and quantities
)

// Roles lists the roles Summarize accepts: the policy file's.
var Roles = config.Roles()

// Sources of a Summary's text.
const (
	SourceLLM      = "llm"
	SourceTemplate = "template"
)

// Reasons a model's summary is refused, as counted in
// qm_llm_rejected_total{reason}.
const (
	ReasonFigure    = facts.BadFigure
	ReasonDate      = facts.BadDate
	ReasonMention   = facts.MassMention
	ReasonLink      = facts.ForeignLink
	ReasonCitation  = "citation"  // cites a fact id the sheet does not have
	ReasonTimeout   = "timeout"   // no reply within Timeout
	ReasonError     = "error"     // the call failed, or the model asked for a tool
	ReasonEmpty     = "empty"     // no text
	ReasonTruncated = "truncated" // cut off at the token limit
)

// DefaultTimeout bounds a summary call when Summarizer.Timeout is zero:
// a thread reply should not wait on a slow model for long, since the
// template is always there.
const DefaultTimeout = 15 * time.Second

// maxTokens bounds the reply: a few sentences.
const maxTokens = 400

// Model is the language model the summaries are asked of; *llm.Client
// satisfies it.
type Model interface {
	Chat(ctx context.Context, p prompts.Prompt, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, llm.Call, error)
	Record(call llm.Call, passed bool, reason string)
}

// Summarizer writes alert summaries. The zero value writes templates.
type Summarizer struct {
	Model    Model                  // nil: templates only
	Policy   facts.Policy           // the links a summary may hold
	Timeout  time.Duration          // per summary; DefaultTimeout when zero
	Log      *slog.Logger           // nil: no log
	Rejected *prometheus.CounterVec // qm_llm_rejected_total{prompt,reason}; may be nil
}

// Summary is one alert's summary for one role.
type Summary struct {
	Text      string
	Source    string // SourceLLM or SourceTemplate
	Prompt    string // id@version of the prompt, when the model wrote Text
	Rejection string // why the model's text was refused, when it was: "<reason>: <detail>"
	Facts     facts.Sheet
}

// NewRejectedCounter makes qm_llm_rejected_total{prompt,reason} and
// registers it with reg (when not nil). Every prompt whose output is
// checked counts its refusals there, so a counter some other feature
// registered already is returned instead of an error.
func NewRejectedCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qm_llm_rejected_total",
		Help: "Language model outputs refused and replaced by a template, by prompt and reason.",
	}, []string{"prompt", "reason"})
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing, nil
			}
		}
		return nil, fmt.Errorf("summary: register qm_llm_rejected_total: %w", err)
	}
	return c, nil
}

// Summarize writes the summary of a for role (one of Roles; "" is the
// planner's). With a Model it asks for the model's words and keeps them
// only if they pass facts.Check against the alert's sheet; otherwise,
// and without a Model, the text is the template's. The error is only for
// a role it does not know: a failing model is never the caller's problem.
func (s *Summarizer) Summarize(ctx context.Context, a alert.Alert, role string) (Summary, error) {
	role, err := normalizeRole(role)
	if err != nil {
		return Summary{}, err
	}
	sheet := Sheet(a)
	if !seesCost(role) {
		sheet = withoutCost(sheet)
	}
	out := Summary{Text: templateText(a, role), Source: SourceTemplate, Facts: sheet}
	if s.Model == nil {
		return out, nil
	}

	p, err := prompts.Render(PromptID, promptDataOf(a, role, sheet))
	if err != nil {
		// Our bug, not the model's: the reader still gets the template.
		s.refused(&out, a, role, p, nil, ReasonError, err.Error())
		return out, nil
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, call, err := s.Model.Chat(cctx, p, openai.ChatCompletionRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.System},
			{Role: openai.ChatMessageRoleUser, Content: p.User},
		},
		MaxTokens: maxTokens,
		// No Tools: the summariser only phrases the sheet it is given.
	})
	if err != nil {
		reason := ReasonError
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded) {
			reason = ReasonTimeout
		}
		s.refused(&out, a, role, p, &call, reason, err.Error())
		return out, nil
	}
	text, reason, detail := judge(resp, sheet, s.Policy)
	if reason != "" {
		s.refused(&out, a, role, p, &call, reason, detail)
		return out, nil
	}
	s.Model.Record(call, true, "")
	out.Text, out.Source, out.Prompt = text, SourceLLM, p.ID+"@"+strconv.Itoa(p.Version)
	return out, nil
}

// userMention is a Slack or Discord mention of one person, which pages
// them: a summary in a thread must not, any more than a mass mention.
var userMention = regexp.MustCompile(`<@!?[A-Za-z0-9]+(?:\|[^>]*)?>`)

// judge returns the text to show of a reply, or why it is refused.
func judge(resp openai.ChatCompletionResponse, sheet facts.Sheet, p facts.Policy) (text, reason, detail string) {
	if len(resp.Choices) == 0 {
		return "", ReasonEmpty, "no choices"
	}
	c := resp.Choices[0]
	if len(c.Message.ToolCalls) > 0 || c.Message.FunctionCall != nil {
		return "", ReasonError, "the model asked for a tool; it has none"
	}
	raw := strings.TrimSpace(c.Message.Content)
	switch {
	case raw == "":
		return "", ReasonEmpty, "no text"
	case c.FinishReason == openai.FinishReasonLength:
		return "", ReasonTruncated, fmt.Sprintf("cut off at %d tokens", maxTokens)
	}
	for _, id := range facts.Cited(raw) {
		if _, ok := sheet.Get(id); !ok {
			return "", ReasonCitation, "cites " + id + ", which the sheet does not have"
		}
	}
	// Judge what people will read: the text without its citations.
	text = facts.StripCitations(raw)
	if m := userMention.FindString(text); m != "" {
		return "", ReasonMention, "mention " + strconv.Quote(m) + ": a summary pages no one"
	}
	if vs := facts.Check(text, sheet, p); len(vs) > 0 {
		return "", vs[0].Kind, facts.Describe(vs, 3)
	}
	return text, "", ""
}

// refused records a refusal: the summary keeps the template, the counter
// and the model's account get the reason, the log gets the detail.
func (s *Summarizer) refused(out *Summary, a alert.Alert, role string, p prompts.Prompt, call *llm.Call, reason, detail string) {
	out.Rejection = reason + ": " + detail
	if s.Rejected != nil {
		s.Rejected.WithLabelValues(PromptID, reason).Inc()
	}
	if call != nil {
		s.Model.Record(*call, false, reason)
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Warn("alert summary refused, template used",
		"alert", a.ID, "role", role, "prompt", PromptID, "version", p.Version, "reason", reason, "detail", detail)
}

func normalizeRole(role string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(role))
	switch r {
	case "":
		return RolePlanner, nil
	case "site", "plant", "plant_manager", "site-manager", "site manager":
		return RoleSiteManager, nil
	}
	for _, known := range Roles {
		if r == known {
			return r, nil
		}
	}
	return "", fmt.Errorf("summary: unknown role %q (want one of %s)", role, strings.Join(Roles, ", "))
}
