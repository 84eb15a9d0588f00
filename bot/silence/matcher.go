package silence

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/quartermaster-ops/quartermaster/pipeline/alert"
)

// Op is how a matcher compares a label's value, as in Alertmanager.
type Op string

// The four operators.
const (
	MatchEqual     Op = "="
	MatchNotEqual  Op = "!="
	MatchRegexp    Op = "=~"
	MatchNotRegexp Op = "!~"
)

// Matcher tests one label of an alert. A label an alert does not have
// reads as "", so name!=value matches alerts without the label.
type Matcher struct {
	Name  string
	Op    Op
	Value string
	re    *regexp.Regexp // for the regex operators; set by NewMatcher
}

// NewMatcher checks a matcher and compiles its regex. Regexes are anchored
// as Alertmanager anchors them: they must match the whole value, so
// site=~DC matches the site "DC" and not "DC-EAST".
func NewMatcher(name string, op Op, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if !validName(name) {
		return m, fmt.Errorf("label name %q: want letters, digits and _, not starting with a digit", name)
	}
	if value == "" {
		return m, fmt.Errorf("%s%s: empty value (a silence names what it silences)", name, op)
	}
	if strings.IndexFunc(value, unicode.IsSpace) >= 0 {
		return m, fmt.Errorf("%s%s%q: values cannot contain spaces (use \\s in a regex)", name, op, value)
	}
	switch op {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return m, fmt.Errorf("%s%s%s: bad regex: %w", name, op, value, err)
		}
		m.re = re
	default:
		return m, fmt.Errorf("%s: unknown operator %q (want =, !=, =~ or !~)", name, op)
	}
	return m, nil
}

func validName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := range len(s) {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// Matches reports whether a label's value satisfies m.
func (m Matcher) Matches(value string) bool {
	switch m.Op {
	case MatchEqual:
		return value == m.Value
	case MatchNotEqual:
		return value != m.Value
	case MatchRegexp, MatchNotRegexp:
		re := m.re
		if re == nil { // built as a literal, not by NewMatcher
			var err error
			if re, err = regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return false // a broken matcher silences nothing
			}
		}
		return re.MatchString(value) == (m.Op == MatchRegexp)
	}
	return false
}

// String is the matcher as ParseMatchers reads it.
func (m Matcher) String() string {
	v := m.Value
	if v != "" && (strings.IndexByte(`"=!~<>:`, v[0]) >= 0 || strings.HasPrefix(v, "“")) {
		v = strconv.Quote(v) // else it would read as part of the operator
	}
	return m.Name + string(m.Op) + v
}

// MarshalText stores a matcher as its string.
func (m Matcher) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a stored matcher, compiling its regex again.
func (m *Matcher) UnmarshalText(b []byte) error {
	p, err := parseMatcher(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// Matchers are all the matchers of one silence: an alert is silenced when
// every one of them matches.
type Matchers []Matcher

// String is the matchers as ParseMatchers reads them, space-separated.
func (ms Matchers) String() string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, " ")
}

// MatchAlert reports whether every matcher matches a's labels (see Label).
// No matchers match nothing: an empty silence must never silence all.
func (ms Matchers) MatchAlert(a alert.Alert) bool {
	if len(ms) == 0 {
		return false
	}
	for _, m := range ms {
		if !m.Matches(Label(a, m.Name)) {
			return false
		}
	}
	return true
}

// matchesEverything reports whether the matchers also match an alert with
// no labels at all. Alertmanager refuses such silences: tier!=critical
// alone would silence alerts that lack the label, and with a typo in the
// name (tire!=critical), every alert.
func (ms Matchers) matchesEverything() bool {
	for _, m := range ms {
		if !m.Matches("") {
			return false
		}
	}
	return true
}

// BuiltinLabels are the labels every alert exposes to matchers, besides
// the keys of its own Labels (such as "supplier").
var BuiltinLabels = []string{"id", "fingerprint", "kind", "tier", "sku", "site", "owner", "state", "supplier"}

// Label is the value of one label of a, or "" when it has none. The
// built-in labels come from the alert's own fields and cannot be
// overridden by its Labels map; supplier is the supplier of a
// supplier-wide alert, else its "supplier" label (a position's slip).
func Label(a alert.Alert, name string) string {
	switch name {
	case "id":
		return a.ID
	case "fingerprint":
		return a.Fingerprint
	case "kind":
		return a.Kind
	case "tier":
		return string(a.Tier)
	case "sku":
		return a.SKU
	case "site":
		return a.Site
	case "owner":
		return a.Owner
	case "state":
		return string(a.State)
	case "supplier":
		if a.Supplier != "" {
			return a.Supplier
		}
	}
	return a.Labels[name]
}

// ParseMatchers reads space-separated matchers:
//
//	kind=stockout_risk site=DC-EAST supplier=~SUP-(1|2) tier!=critical
//
// with the operators =, !=, =~ and !~ (regexes match the whole value), and
// two shorthands: SKU@SITE for sku=SKU site=SITE, and an alert id
// (qm-<fingerprint>-<episode>) for fingerprint=<fingerprint>, which covers
// every episode of that condition. A value may be double-quoted
// (site="DC-EAST") but cannot contain spaces.
func ParseMatchers(s string) (Matchers, error) {
	var ms Matchers
	for _, tok := range strings.Fields(s) {
		switch {
		case strings.HasPrefix(tok, "qm-") && !strings.ContainsAny(tok, "=!~"):
			fp, _, err := alert.ParseID(tok)
			if err != nil {
				return nil, fmt.Errorf("matcher %q: %w", tok, err)
			}
			m, err := NewMatcher("fingerprint", MatchEqual, fp)
			if err != nil {
				return nil, fmt.Errorf("matcher %q: %w", tok, err)
			}
			ms = append(ms, m)
		case strings.Contains(tok, "@") && !strings.ContainsAny(tok, "=!~"):
			sku, site, _ := strings.Cut(tok, "@")
			if sku == "" || site == "" || strings.Contains(site, "@") {
				return nil, fmt.Errorf("matcher %q: want SKU@SITE", tok)
			}
			ms = append(ms, Matcher{Name: "sku", Op: MatchEqual, Value: sku}, Matcher{Name: "site", Op: MatchEqual, Value: site})
		default:
			m, err := parseMatcher(tok)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no matchers: a silence must say what it silences (for example kind=stockout_risk site=DC-EAST)")
	}
	return ms, nil
}

// parseMatcher reads one name-operator-value token.
func parseMatcher(tok string) (Matcher, error) {
	i := 0
	for i < len(tok) && isNameByte(tok[i]) {
		i++
	}
	name, rest := tok[:i], tok[i:]
	j := 0
	for j < len(rest) && strings.IndexByte("=!~<>:", rest[j]) >= 0 {
		j++
	}
	op, value := rest[:j], rest[j:]
	switch {
	case rest == "" || (op == "" && !strings.ContainsAny(rest, "=!~")):
		return Matcher{}, fmt.Errorf("matcher %q: no operator (want name=value, name!=value, name=~regex, name!~regex, SKU@SITE or an alert id)", tok)
	case op == "":
		return Matcher{}, fmt.Errorf("matcher %q: label name %q: want letters, digits and _", tok, tok[:strings.IndexAny(tok, "=!~")])
	case name == "":
		return Matcher{}, fmt.Errorf("matcher %q: no label name before %q", tok, op)
	}
	switch Op(op) {
	case MatchEqual, MatchNotEqual, MatchRegexp, MatchNotRegexp:
	default:
		return Matcher{}, fmt.Errorf("matcher %q: unknown operator %q (want =, !=, =~ or !~; quote a value that starts with one of =!~<>:)", tok, op)
	}
	if strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "“") {
		uq, err := unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: %w", tok, err)
		}
		value = uq
	}
	m, err := NewMatcher(name, Op(op), value)
	if err != nil {
		return Matcher{}, fmt.Errorf("matcher %q: %w", tok, err)
	}
	return m, nil
}

// unquote reads a double-quoted value, also in the curly quotes chat
// clients substitute for straight ones.
func unquote(v string) (string, error) {
	if s, ok := strings.CutPrefix(v, "“"); ok {
		if s, ok = strings.CutSuffix(s, "”"); ok && !strings.ContainsAny(s, "“”") {
			return s, nil
		}
		return "", fmt.Errorf("unterminated quote in %s (values cannot contain spaces)", v)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return "", fmt.Errorf("bad quoted value %s (values cannot contain spaces)", v)
	}
	return s, nil
}
