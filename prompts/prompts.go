// Package prompts holds every prompt Quartermaster sends to a language
// model, as versioned templates embedded in the binary. A prompt is
// reviewed like code: each template has a fixture in testdata and a golden
// rendering that the tests compare (go test ./prompts -update rewrites it).
//
// A template is templates/<id>.tmpl. Its first line declares the version:
//
//	{{/* version: 3 */}}
//
// and it defines a "system" and a "user" block. Templates read only fields
// and map keys of their data (no methods), so a JSON fixture renders the
// same as the Go value it stands for. Partner free text goes through the
// untrusted function, which quotes it as data.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

//go:embed templates/*.tmpl
var files embed.FS

// Prompt is one rendered prompt, with the id and version to log beside
// the model's output.
type Prompt struct {
	ID      string
	Version int
	System  string
	User    string
}

type entry struct {
	version int
	tmpl    *template.Template
}

var (
	loadOnce sync.Once
	loaded   map[string]entry
	loadErr  error
)

var versionLine = regexp.MustCompile(`^\{\{/\* version: ([1-9][0-9]*) \*/\}\}\n`)

// Funcs are the functions templates may call.
var Funcs = template.FuncMap{
	"untrusted": Untrusted,
	"join":      strings.Join,
}

func load() {
	loaded = map[string]entry{}
	loadErr = fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		id := strings.TrimSuffix(d.Name(), ".tmpl")
		e, err := parse(id, src)
		if err != nil {
			return err
		}
		loaded[id] = e
		return nil
	})
}

// parse reads one template: its version line, its blocks.
func parse(id string, src []byte) (entry, error) {
	m := versionLine.FindSubmatch(src)
	if m == nil {
		return entry{}, fmt.Errorf("prompt %s: first line must be {{/* version: N */}}", id)
	}
	v, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return entry{}, fmt.Errorf("prompt %s: version %s: %w", id, m[1], err)
	}
	t, err := template.New(id).Funcs(Funcs).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return entry{}, fmt.Errorf("prompt %s: %w", id, err)
	}
	for _, block := range []string{"system", "user"} {
		if t.Lookup(block) == nil {
			return entry{}, fmt.Errorf("prompt %s: no %q block", id, block)
		}
	}
	return entry{version: v, tmpl: t}, nil
}

// IDs lists the embedded prompts, sorted.
func IDs() ([]string, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	ids := make([]string, 0, len(loaded))
	for id := range loaded {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// Render renders prompt id with data.
func Render(id string, data any) (Prompt, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return Prompt{}, loadErr
	}
	e, ok := loaded[id]
	if !ok {
		return Prompt{}, fmt.Errorf("prompt %s: not embedded", id)
	}
	return e.render(id, data)
}

func (e entry) render(id string, data any) (Prompt, error) {
	p := Prompt{ID: id, Version: e.version}
	for _, part := range []struct {
		block string
		out   *string
	}{{"system", &p.System}, {"user", &p.User}} {
		var b bytes.Buffer
		if err := e.tmpl.ExecuteTemplate(&b, part.block, data); err != nil {
			return Prompt{}, fmt.Errorf("prompt %s v%d: %w", id, e.version, err)
		}
		*part.out = strings.TrimSpace(b.String())
	}
	return p, nil
}

// Untrusted quotes partner text as data: on one line, inside
// <untrusted>...</untrusted>, with anything that could close or reopen the
// quote (angle brackets) replaced, so the text cannot escape its quotes.
// Every line break counts, Unicode's included, as a model may read any of
// them as the start of a new instruction.
func Untrusted(s string) string {
	return "<untrusted>" + quoted.Replace(s) + "</untrusted>"
}

var quoted = strings.NewReplacer(
	"<", "‹", ">", "›",
	"\r\n", " ", "\r", " ", "\n", " ", "\v", " ", "\f", " ",
	"\u0085", " ", "\u2028", " ", "\u2029", " ",
)
