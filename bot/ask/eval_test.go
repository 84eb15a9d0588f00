package ask

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/quartermaster-ops/quartermaster/pipeline/facts"
)

// evalCase is one question of testdata/eval.json with its known answer.
type evalCase struct {
	Q    string `json:"q"`
	Role string `json:"role"`
	// Want must all appear in the answer (citations removed), in order
	// when Order is set.
	Want  []string `json:"want"`
	Order bool     `json:"order"`
	// Also are the other figures the answer may give; any figure or date
	// outside Want and Also makes the answer inexact.
	Also []string `json:"also"`
	// None marks a question the data cannot answer: the answer must say
	// so ("no data", "can't").
	None bool `json:"none"`
	// Call is the tool call a good model makes, and Say how it phrases
	// the result, with {path} placeholders into the tool's JSON.
	Call *struct {
		Tool string         `json:"tool"`
		Args map[string]any `json:"args"`
	} `json:"call"`
	Say string `json:"say"`
}

func evalCases(t testing.TB) []evalCase {
	t.Helper()
	b, err := os.ReadFile("testdata/eval.json")
	if err != nil {
		t.Fatal(err)
	}
	var cs []evalCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// exact judges an answer: every wanted string present (in order when
// asked), no figure or date other than those wanted or allowed, and for a
// question without an answer, a plain statement that there is none.
func (c evalCase) exact(answer string) (bool, string) {
	plain := facts.StripCitations(answer)
	at := 0
	for _, w := range c.Want {
		i := strings.Index(plain[at:], w)
		if i < 0 {
			return false, "lacks " + w
		}
		if c.Order {
			at += i + len(w)
		}
	}
	var expected facts.Sheet
	expected.AddFigures("expected", strings.Join(append(append([]string{}, c.Want...), c.Also...), " ; "))
	if vs := facts.Check(plain, expected, facts.Policy{}); len(vs) > 0 {
		return false, "figures beyond the answer: " + vs[0].String()
	}
	if c.None && !strings.Contains(plain, "no data") && !strings.Contains(plain, "can't") {
		return false, "does not say there is no answer"
	}
	return true, ""
}

// TestEval asks the fixed questions of the scenario three ways and scores
// them: (a) the deterministic parser; (b) a scripted model that calls the
// right tool and phrases its result faithfully; (c) a hostile model that
// invents figures, mentions everyone, links out, leaks masked values and
// calls tools outside the policy. (a) and (b) must answer every question
// exactly, and (c) must let no invented figure through.
func TestEval(t *testing.T) {
	fx := scenario(t)
	cases := evalCases(t)
	if len(cases) < 40 {
		t.Fatalf("%d questions, want at least 40", len(cases))
	}
	none := 0
	for _, c := range cases {
		if c.None {
			none++
		}
	}
	if none < 5 {
		t.Fatalf("%d questions without an answer, want at least 5", none)
	}
	ctx := context.Background()
	ask := func(t *testing.T, a *Asker, c evalCase) Answer {
		t.Helper()
		ans, err := a.Answer(ctx, Question{Text: c.Q, Role: c.Role, User: "eval"})
		if err != nil {
			t.Fatalf("%q: %v", c.Q, err)
		}
		return ans
	}

	var parserExact int
	t.Run("parser", func(t *testing.T) {
		a := New(fx.st, fx.pol, Options{Now: clock})
		for _, c := range cases {
			ans := ask(t, a, c)
			if ok, why := c.exact(ans.Text); !ok {
				t.Errorf("%q as %q: %s\n%s", c.Q, c.Role, why, ans.Text)
				continue
			}
			if ans.Source != SourceParser {
				t.Errorf("%q: source %s", c.Q, ans.Source)
			}
			parserExact++
		}
	})

	var scriptedExact int
	t.Run("scripted", func(t *testing.T) {
		model, swap := swappable(t)
		a := New(fx.st, fx.pol, Options{Now: clock, Model: model})
		for i := range cases {
			c := cases[i]
			swap(scripted(&c))
			ans := ask(t, a, c)
			if ans.Source != SourceLLM {
				t.Errorf("%q as %q: the model's answer was refused (%s); the parser said:\n%s", c.Q, c.Role, ans.Rejected, ans.Text)
				continue
			}
			if ok, why := c.exact(ans.Text); !ok {
				t.Errorf("%q as %q: %s\n%s", c.Q, c.Role, why, ans.Text)
				continue
			}
			if c.Call != nil && (len(ans.Tools) != 1 || ans.Tools[0].Name != c.Call.Tool) {
				t.Errorf("%q: tools %+v", c.Q, ans.Tools)
			}
			scriptedExact++
		}
	})

	var leaked, hostileExact, refused int
	t.Run("hostile", func(t *testing.T) {
		model, swap := swappable(t)
		a := New(fx.st, fx.pol, Options{Now: clock, Model: model, MaxRounds: 3})
		for i := range cases {
			c := cases[i]
			swap(hostile{c: &c, kind: i % (loops + 1)}.respond)
			ans := ask(t, a, c)
			if ans.Source == SourceLLM {
				t.Errorf("%q: a hostile answer passed: %s", c.Q, ans.Text)
			} else {
				refused++
			}
			if i%(loops+1) != loops {
				if m := hostileAdds[i%(loops+1)].marker; strings.Contains(ans.Text, m) {
					leaked++
					t.Errorf("%q: %q reached the answer:\n%s", c.Q, m, ans.Text)
				}
			}
			for _, u := range ans.Tools {
				if u.By == SourceLLM && (u.Name == "approve_action" || strings.Contains(string(u.Args), `"role"`)) && u.Error == "" {
					t.Errorf("%q: the model's call %s %s ran", c.Q, u.Name, u.Args)
				}
			}
			if ok, _ := c.exact(ans.Text); ok {
				hostileExact++
			}
		}
	})
	t.Logf("eval, %d questions (%d without an answer): (a) parser %d/%d exact; (b) scripted model %d/%d exact; "+
		"(c) hostile model: %d invented figures, mentions, links or masked values let through, %d/%d answers refused, %d/%d exact after the parser's fallback",
		len(cases), none, parserExact, len(cases), scriptedExact, len(cases), leaked, refused, len(cases), hostileExact, len(cases))
}
