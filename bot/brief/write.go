package brief

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quartermaster-ops/quartermaster/bot/llm"
	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
	"github.com/quartermaster-ops/quartermaster/prompts"
)

// Model writes words for a prompt and is told whether they were used;
// *llm.Client implements it.
type Model interface {
	Chat(ctx context.Context, p prompts.Prompt, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, llm.Call, error)
	Record(call llm.Call, passed bool, reason string)
}

// PromptID is the prompt the model's introduction is written from.
const PromptID = "brief"

// DefaultModelTimeout bounds the model's introduction: past it the
// briefing goes out with the template's.
const DefaultModelTimeout = 30 * time.Second

// maxIntroChars bounds the model's introduction; a longer answer is not
// the two or three sentences asked for.
const maxIntroChars = 1200

// Writer writes briefings from reports. The zero value writes from
// templates alone.
type Writer struct {
	// Model writes the introduction; nil uses the template's.
	Model Model
	// Policy is what the model's words may hold besides facts (links).
	Policy facts.Policy
	// Timeout bounds the model's call; zero means DefaultModelTimeout.
	Timeout time.Duration
	// Log receives why a model's introduction was not used; nil discards.
	Log *slog.Logger
}

// Briefing is one role's briefing, ready to post.
type Briefing struct {
	Role   string      `json:"role"`
	Text   string      `json:"text"`
	Intro  string      `json:"intro"`
	Words  string      `json:"words"`            // "model" or "template": who wrote the introduction
	Reason string      `json:"reason,omitempty"` // why a model's introduction was not used
	Report Report      `json:"report"`
	Facts  facts.Sheet `json:"facts"`
	PNG    []byte      `json:"-"` // the chart; nil when no risk has a projection
}

// Write writes r for role. The numbers are always the template's; the
// introduction is the model's when its words pass facts.Check against the
// report's sheet, and the template's otherwise (no model, an error, a
// timeout or a figure that is not a fact), with the reason in the
// Briefing and given to Model.Record.
func (w *Writer) Write(ctx context.Context, r Report, role string) (Briefing, error) {
	if err := CheckRole(role); err != nil {
		return Briefing{}, err
	}
	sheet := r.Sheet()
	b := Briefing{Role: role, Report: r, Facts: sheet, Words: "template"}
	intro, err := r.Intro(role)
	if err != nil {
		return Briefing{}, err
	}
	if w.Model != nil {
		words, reason := w.modelIntro(ctx, r, role, sheet)
		if reason == "" {
			intro, b.Words = words, "model"
		} else {
			b.Reason = reason
			if w.Log != nil {
				w.Log.Warn("briefing written from templates", "role", role, "reason", reason)
			}
		}
	}
	b.Intro = intro
	if b.Text, err = r.WithIntro(role, intro); err != nil {
		return Briefing{}, err
	}
	if b.PNG, err = Chart(r); err != nil {
		return Briefing{}, err
	}
	return b, nil
}

// modelIntro asks the model for the introduction and checks it; reason
// is "" when the words may be used.
func (w *Writer) modelIntro(ctx context.Context, r Report, role string, sheet facts.Sheet) (string, string) {
	p, err := prompts.Render(PromptID, promptData(r, role, sheet))
	if err != nil {
		return "", "prompt: " + err.Error()
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultModelTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, call, err := w.Model.Chat(cctx, p, openai.ChatCompletionRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.System},
			{Role: openai.ChatMessageRoleUser, Content: p.User},
		},
		Temperature: 0.2,
		MaxTokens:   300,
	})
	if err != nil {
		reason := "model: " + err.Error()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			reason = fmt.Sprintf("model: no answer within %s", timeout)
		}
		w.Model.Record(call, false, reason)
		return "", reason
	}
	reason := judge(resp.Choices[0].Message.Content, sheet, w.Policy)
	w.Model.Record(call, reason == "", reason)
	if reason != "" {
		return "", reason
	}
	return facts.StripCitations(resp.Choices[0].Message.Content), ""
}

// judge says what is wrong with a model's introduction, or "".
func judge(text string, sheet facts.Sheet, p facts.Policy) string {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "empty introduction"
	case len(text) > maxIntroChars:
		return fmt.Sprintf("introduction of %d characters, want at most %d", len(text), maxIntroChars)
	}
	if vs := facts.Check(text, sheet, p); len(vs) > 0 {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = v.String()
		}
		return "facts check: " + strings.Join(parts, ", ")
	}
	return ""
}

// promptFact is one fact as the prompt shows it: written the way the
// briefing writes it, so the model can copy it exactly.
type promptFact struct {
	ID        string
	Name      string
	Value     string
	Untrusted bool
}

// prompt is what prompts/templates/brief.tmpl reads.
type prompt struct {
	Role     string
	Audience string
	Date     string
	Facts    []promptFact
}

// promptData shows the model every fact, written as the briefing writes
// it, with partner text marked for quoting.
func promptData(r Report, role string, sheet facts.Sheet) prompt {
	d := prompt{Role: role, Audience: audiences[role], Date: r.Now.Format(time.DateOnly)}
	for _, f := range sheet.Facts {
		d.Facts = append(d.Facts, promptFact{ID: f.ID, Name: f.Name, Value: Fig{Kind: f.Kind, V: f.Value, T: f.Text}.String(), Untrusted: f.Untrusted})
	}
	return d
}
