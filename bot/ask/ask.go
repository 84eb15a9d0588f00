// Package ask answers questions in chat ("when does SKU-100 run out at
// DC-EAST?") from validated state. A language model, when one is
// configured, only chooses among read-only tools and phrases what they
// return; every figure it writes is checked against the facts the tools
// put on the question's sheet, and an answer that fails the check is
// replaced by the deterministic one. Without a model a small parser
// answers the common questions itself, through the same tools, and says
// plainly what it cannot answer.
//
// Three rules hold whatever the model does:
//
//   - The tools read; nothing here writes state. Actions are only ever
//     proposals people approve elsewhere (bot/approve).
//   - A figure the asker's role may not see (unit cost, margin, the value
//     of POs and planned actions at cost) is masked before it reaches the
//     model, the sheet or the reply. See Sees for the table.
//   - Partner text (names, notes) is data: quoted as untrusted in every
//     prompt, and never a source of figures.
package ask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/pipeline/detect"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// Model is the language model the asker talks to; *llm.Client implements
// it.
type Model interface {
	Chat(ctx context.Context, p prompts.Prompt, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, llm.Call, error)
	Record(call llm.Call, passed bool, reason string)
}

// Sources of an answer.
const (
	SourceLLM    = "llm"
	SourceParser = "parser"
)

// PromptID is the prompt template questions use.
const PromptID = "ask"

// MaxQuestion is the longest question taken, in bytes.
const MaxQuestion = 2000

// Question is what someone asked, and as whom.
type Question struct {
	Text string
	Role string // one of Roles(); "" sees least
	User string // who asked, for the log
}

// Answer is a checked answer.
type Answer struct {
	Text string `json:"answer"` // with citations such as [F3]
	// Facts are the facts Text cites, with their values.
	Facts  []facts.Fact `json:"facts"`
	Source string       `json:"source"` // SourceLLM or SourceParser
	// Tools are the tool calls made for the question, in order: the
	// model's, then the parser's when it answered instead.
	Tools []ToolUse `json:"tools"`
	// Rejected says why the model's answer was refused, when the parser
	// answered in its place.
	Rejected string `json:"rejected,omitempty"`
}

// Plain is the answer without its citations, for chat.
func (a Answer) Plain() string { return facts.StripCitations(a.Text) }

// Footnoted is the answer with its citations and, below it, a line per
// cited fact: "[F8] SKU-100@DC-EAST days_of_supply: 2.5 days".
func (a Answer) Footnoted() string {
	var b strings.Builder
	b.WriteString(a.Text)
	if len(a.Facts) > 0 {
		b.WriteString("\n")
	}
	for _, f := range a.Facts {
		fmt.Fprintf(&b, "\n[%s] %s: %s", f.ID, f.Name, FormatFact(f))
	}
	return b.String()
}

// Options tune an Asker. The zero value answers with the parser alone.
type Options struct {
	// Model phrases answers from tool calls; nil means the parser answers.
	Model Model
	// Now is the clock questions are judged at; default time.Now.
	Now func() time.Time
	// Log receives a line per answer; nil discards.
	Log *slog.Logger
	// Registerer receives the metrics; nil keeps them unregistered.
	Registerer prometheus.Registerer
	// MaxRounds bounds the rounds of tool calls run for one question;
	// a model still calling tools after them is refused. Default 5.
	MaxRounds int
	// AllowLinks are the hosts an answer may link to; none by default.
	AllowLinks []string
	// MaxConcurrent bounds the questions the model works on at once; one
	// asked beyond it is answered by the parser at once (a flood of
	// mentions must not become a flood of paid calls). Default 4.
	MaxConcurrent int
}

// Defaults of Options.
const (
	DefaultMaxRounds = 5
	// maxCallsPerRound bounds the tool calls of one model turn.
	maxCallsPerRound     = 8
	DefaultMaxConcurrent = 4
	// busy is the rejection of a question the model had no room for.
	busy = "busy"
)

// Asker answers questions. It is safe for concurrent use.
type Asker struct {
	tools    *toolbox
	opt      Options
	log      *slog.Logger
	answered *prometheus.CounterVec
	rejected *prometheus.CounterVec
	slots    chan struct{} // one per question the model may work on at once
}

// New returns an Asker over st, judging positions with pol (what
// app.DetectPolicy builds from the policy file).
func New(st State, pol *detect.Policy, opt Options) *Asker {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxRounds <= 0 {
		opt.MaxRounds = DefaultMaxRounds
	}
	if opt.MaxConcurrent <= 0 {
		opt.MaxConcurrent = DefaultMaxConcurrent
	}
	if c, ok := opt.Model.(*llm.Client); ok && c == nil {
		opt.Model = nil // a nil client in the interface: no model
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Asker{tools: newToolbox(st, pol), opt: opt, log: log, slots: make(chan struct{}, opt.MaxConcurrent),
		answered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_ask_answers_total", Help: "Questions answered, by who wrote the answer (llm or parser).",
		}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qm_ask_llm_rejected_total", Help: "Model answers refused and replaced by the parser's, by reason.",
		}, []string{"reason"}),
	}
	if r := opt.Registerer; r != nil {
		r.MustRegister(a.answered, a.rejected)
	}
	return a
}

// Answer answers q. Errors are for what the asker cannot do at all (a bad
// role, state unreachable); a question it cannot answer gets an answer
// that says so.
func (a *Asker) Answer(ctx context.Context, q Question) (Answer, error) {
	if err := CheckRole(q.Role); err != nil {
		return Answer{}, err
	}
	text := strings.Join(strings.Fields(q.Text), " ")
	if text == "" {
		return Answer{}, errors.New("empty question")
	}
	if len(text) > MaxQuestion {
		return Answer{}, fmt.Errorf("question of %d bytes: ask in at most %d", len(text), MaxQuestion)
	}
	q.Text = text
	now := a.opt.Now()
	var rejected string
	var tried []ToolUse
	if a.opt.Model != nil {
		select {
		case a.slots <- struct{}{}:
			ans, reason, err := a.model(ctx, q, now)
			<-a.slots
			if err != nil {
				return Answer{}, err
			}
			if reason == "" {
				return a.done(q, ans), nil
			}
			rejected, tried = reason, ans.Tools
		default:
			rejected = busy
			a.rejected.WithLabelValues(busy).Inc()
		}
	}
	s := a.tools.session(q.Role, now, SourceParser)
	reply, err := a.parse(ctx, s, q.Text)
	if err != nil {
		return Answer{}, err
	}
	if reason := a.check(reply, s.book.sheet, q.Text); reason != "" {
		// The parser's templates write only sheet figures; this is a bug.
		a.log.Error("ask: the parser's answer failed its check", "question", q.Text, "reason", reason)
		reply = cannotCheck
	}
	ans := Answer{Text: reply, Source: SourceParser, Tools: append(tried, s.uses...), Rejected: rejected, Facts: cited(reply, s.book.sheet)}
	return a.done(q, ans), nil
}

// cannotCheck is the answer when no answer passed the number check.
const cannotCheck = "I can't give a checked answer to that."

func (a *Asker) done(q Question, ans Answer) Answer {
	if ans.Tools == nil {
		ans.Tools = []ToolUse{}
	}
	if ans.Facts == nil {
		ans.Facts = []facts.Fact{}
	}
	a.answered.WithLabelValues(ans.Source).Inc()
	a.log.Info("ask: answered", "user", q.User, "role", q.Role, "source", ans.Source, "tools", len(ans.Tools), "rejected", ans.Rejected)
	return ans
}

func cited(text string, sheet facts.Sheet) []facts.Fact {
	out := []facts.Fact{}
	for _, id := range facts.Cited(text) {
		if f, ok := sheet.Get(id); ok {
			out = append(out, f)
		}
	}
	return out
}

// promptData is what the ask template reads.
type promptData struct {
	Question string
	Role     string
	Today    string
	Masked   string
}

// model asks the model, running its tool calls, and checks its answer.
// A non-empty reason means the answer was refused (the Answer then holds
// only the tool calls made); the error is only for state that cannot be
// read.
func (a *Asker) model(ctx context.Context, q Question, now time.Time) (Answer, string, error) {
	role := q.Role
	if role == RoleNone {
		role = "none (the most restricted)"
	}
	p, err := prompts.Render(PromptID, promptData{Question: q.Text, Role: role, Today: now.UTC().Format(time.DateOnly), Masked: Masked})
	if err != nil {
		return Answer{}, "", err
	}
	s := a.tools.session(q.Role, now, SourceLLM)
	req := openai.ChatCompletionRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.System},
			{Role: openai.ChatMessageRoleUser, Content: p.User},
		},
		Tools: Definitions(),
	}
	var total llm.Call
	reject := func(kind, reason string) (Answer, string, error) {
		a.rejected.WithLabelValues(kind).Inc()
		a.opt.Model.Record(total, false, reason)
		a.log.Warn("ask: model answer refused", "user", q.User, "reason", reason)
		return Answer{Tools: s.uses}, reason, nil
	}
	for round := 0; ; round++ {
		resp, call, err := a.opt.Model.Chat(ctx, p, req)
		total = sum(total, call)
		if err != nil {
			if ctx.Err() != nil {
				return Answer{}, "", ctx.Err()
			}
			a.rejected.WithLabelValues("model_error").Inc()
			a.log.Warn("ask: model unavailable, the parser answers", "err", err)
			return Answer{Tools: s.uses}, "model unavailable: " + err.Error(), nil
		}
		msg := resp.Choices[0].Message
		if len(msg.ToolCalls) == 0 {
			text := strings.TrimSpace(msg.Content)
			if reason := a.check(text, s.book.sheet, q.Text); reason != "" {
				return reject(reasonKind(reason), reason)
			}
			a.opt.Model.Record(total, true, "")
			return Answer{Text: text, Source: SourceLLM, Tools: s.uses, Facts: cited(text, s.book.sheet)}, "", nil
		}
		if round >= a.opt.MaxRounds {
			return reject("rounds", fmt.Sprintf("still calling tools after %d rounds", a.opt.MaxRounds))
		}
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{
			Role: openai.ChatMessageRoleAssistant, Content: msg.Content, ToolCalls: msg.ToolCalls,
		})
		for i, tc := range msg.ToolCalls {
			var content string
			switch {
			case i >= maxCallsPerRound:
				content = errorResult(fmt.Sprintf("at most %d tool calls a turn", maxCallsPerRound))
			case tc.Type != "" && tc.Type != openai.ToolTypeFunction:
				content = errorResult(fmt.Sprintf("tool type %q: only functions", tc.Type))
			default:
				res, err := s.call(ctx, tc.Function.Name, json.RawMessage(tc.Function.Arguments))
				var ae *argError
				switch {
				case errors.As(err, &ae):
					content = errorResult(ae.msg)
				case err != nil:
					return Answer{}, "", fmt.Errorf("tool %s: %w", tc.Function.Name, err)
				default:
					b, err := json.Marshal(res)
					if err != nil {
						return Answer{}, "", fmt.Errorf("encode %s result: %w", tc.Function.Name, err)
					}
					content = string(b)
				}
			}
			req.Messages = append(req.Messages, openai.ChatCompletionMessage{
				Role: openai.ChatMessageRoleTool, Content: content, ToolCallID: tc.ID,
			})
		}
	}
}

func errorResult(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}

// sum adds up the calls of one answer, so it is recorded once.
func sum(a, b llm.Call) llm.Call {
	if a.PromptID == "" {
		return b
	}
	a.PromptTokens += b.PromptTokens
	a.CompletionTokens += b.CompletionTokens
	a.Latency += b.Latency
	a.CostUSD += b.CostUSD
	a.Attempts += b.Attempts
	return a
}

// check judges an answer against the sheet of the tools it drew on and
// the figures of the question itself: every figure and date must be a
// fact, no mass mention, no link outside AllowLinks, and every citation
// must name a fact. It returns why the answer fails, or "".
func (a *Asker) check(text string, sheet facts.Sheet, question string) string {
	if text == "" {
		return "empty answer"
	}
	for _, id := range facts.Cited(text) {
		if _, ok := sheet.Get(id); !ok {
			return "citation: cites " + id + ", which no tool returned"
		}
	}
	if q := quotes(text, sheet); q != "" {
		return "untrusted: repeats partner text " + strconv.Quote(q)
	}
	sh := facts.Sheet{Facts: slices.Clone(sheet.Facts)}
	sh.AddFigures("question", question)
	vs := facts.Check(text, sh, facts.Policy{AllowLinks: a.opt.AllowLinks})
	if len(vs) == 0 {
		return ""
	}
	parts := make([]string, 0, 3)
	for i, v := range vs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-3))
			break
		}
		parts = append(parts, v.String())
	}
	return vs[0].Kind + ": " + strings.Join(parts, ", ")
}

// quoteWords is the longest run of a partner's words an answer may
// repeat: enough for a name or a short reason, too few to relay
// instructions.
const quoteWords = 8

// quotes returns the first run of quoteWords words of partner text that
// text repeats, or "".
func quotes(text string, sheet facts.Sheet) string {
	answer := " " + strings.ToLower(strings.Join(strings.Fields(text), " ")) + " "
	for _, f := range sheet.Facts {
		if !f.Untrusted {
			continue
		}
		words := strings.Fields(strings.ToLower(f.Text))
		for i := 0; i+quoteWords <= len(words); i++ {
			if run := strings.Join(words[i:i+quoteWords], " "); strings.Contains(answer, " "+run+" ") || strings.Contains(answer, " "+run) {
				return strings.Join(strings.Fields(f.Text)[i:i+quoteWords], " ")
			}
		}
	}
	return ""
}

// reasonKind is the metric label of a refusal reason.
func reasonKind(reason string) string {
	kind, _, _ := strings.Cut(reason, ":")
	switch kind {
	case facts.BadFigure, facts.BadDate, facts.MassMention, facts.ForeignLink, "citation", "untrusted":
		return kind
	}
	return "empty"
}
