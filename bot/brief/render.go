package brief

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/quartermaster-ops/quartermaster/bot/config"
)

// Roles are the roles a briefing can be written for: the policy file's.
var Roles = config.Roles()

// templateOf names each role's template: an admin reads the planner's,
// the fullest, and so does a site manager, for its dates and quantities.
var templateOf = map[string]string{
	"planner": "planner.tmpl", "admin": "planner.tmpl", "site_manager": "planner.tmpl", "buyer": "buyer.tmpl",
	"finance": "finance.tmpl", "executive": "executive.tmpl",
}

var audiences = map[string]string{
	"planner": "planners", "admin": "admins", "buyer": "buyers", "finance": "finance", "executive": "executives",
}

//go:embed templates/*.tmpl
var templateFiles embed.FS

var templates = template.Must(template.New("brief").Option("missingkey=error").Funcs(template.FuncMap{
	"audience": func(role string) string { return audiences[role] },
}).ParseFS(templateFiles, "templates/*.tmpl"))

// CheckRole returns an error naming the roles when role is not one.
func CheckRole(role string) error {
	if !slices.Contains(Roles, role) {
		return fmt.Errorf("role %q: want one of %s", role, strings.Join(Roles, ", "))
	}
	return nil
}

// Text is the briefing for role written from the report alone: the
// template's introduction and the numbers.
func (r Report) Text(role string) (string, error) {
	intro, err := r.Intro(role)
	if err != nil {
		return "", err
	}
	return r.WithIntro(role, intro)
}

// Intro is the template's introduction for role: two or three sentences
// from the headline figures.
func (r Report) Intro(role string) (string, error) {
	if err := CheckRole(role); err != nil {
		return "", err
	}
	v, _ := r.view(role)
	return execute("intro", v)
}

// WithIntro is the briefing for role with intro, checked words from a
// model or the template's, before the computed numbers.
func (r Report) WithIntro(role, intro string) (string, error) {
	if err := CheckRole(role); err != nil {
		return "", err
	}
	v, _ := r.view(role)
	v.Intro = strings.TrimSpace(intro)
	return execute(templateOf[role], v)
}

var blankLines = regexp.MustCompile(`\n{3,}`)

func execute(name string, v view) (string, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("brief: render %s: %w", name, err)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	s := blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(s) + "\n", nil
}
