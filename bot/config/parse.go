package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the policy file at path; see Parse. Errors start with the path
// so that they point at the file as well as the line.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err // *fs.PathError already names the file and the operation
	}
	c, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes one YAML document on top of Default, so a file need only
// name what it changes, then validates the result. A key that is set
// replaces its default whole: a list or a map in the file is the entire
// list or map, not an addition to the default one.
//
// Parse is strict because a misspelt key would otherwise leave a default
// silently in force: unknown keys, repeated keys, values of the wrong type,
// fractional counts and a second document are errors. Each problem names
// its line and its key; when the decoder finds several, they are all
// reported, on one line. An empty file, or one holding only comments, gives
// Default.
func Parse(data []byte) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, syntaxError(err)
	}
	c := Default()
	if len(root.Content) == 0 {
		return c, nil // empty, or only comments
	}
	// A map in the file replaces the default map instead of adding to it,
	// so that what the file says is the whole of the setting.
	clearMaps(reflect.ValueOf(&c).Elem(), root.Content[0])

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var typeErrs []string
	if err := dec.Decode(&c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Config{}, syntaxError(err)
		}
		typeErrs = te.Errors
	}

	idx := newIndex(&root)
	var errs []*Error
	for _, s := range typeErrs {
		errs = append(errs, idx.explain(s))
	}
	errs = append(errs, idx.fractions...)
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Config{}, syntaxError(err)
		}
		// A trailing "---" or "..." leaves an empty document, which is harmless.
		if len(extra.Content) == 0 || extra.Content[0].ShortTag() == "!!null" {
			continue
		}
		errs = append(errs, &Error{Line: extra.Line, Err: errors.New("a second YAML document, want one")})
		break
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
		if len(errs) == 1 {
			return Config{}, errs[0]
		}
		list := make(errorList, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return Config{}, list
	}

	if err := c.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Line == 0 {
			e.Line = idx.line(e.Path)
		}
		return Config{}, err
	}
	return c, nil
}

// clearMaps empties each map field of v that the mapping n sets, walking
// down through structs.
func clearMaps(v reflect.Value, n *yaml.Node) {
	if v.Kind() != reflect.Struct || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f, ok := fieldByKey(v.Type(), n.Content[i].Value)
		if !ok {
			continue
		}
		fv, val := v.FieldByIndex(f.Index), n.Content[i+1]
		switch {
		case fv.Kind() == reflect.Map && val.Kind == yaml.MappingNode:
			fv.Set(reflect.Zero(fv.Type()))
		case fv.Kind() == reflect.Struct:
			clearMaps(fv, val)
		}
	}
}

var syntaxRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns the parser's "yaml: line 3: ..." into an *Error with
// the line, for the same shape as every other message.
func syntaxError(err error) error {
	m := syntaxRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Err: errors.New(strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	line, _ := strconv.Atoi(m[1])
	return &Error{Line: line, Err: errors.New(m[2])}
}

// index records where each setting sits in the file and which Go type it
// decodes into. The decoder's messages give a line and a Go type but not the
// key ("line 4: cannot unmarshal !!str `lots` into int"); the index finds
// the key, so the message can say "ingest.batch_size" as the file does.
type index struct {
	entries   []entry
	lines     map[string]int
	fractions []*Error // counts written as 2.5, which the decoder truncates
}

// entry is one value in the document.
type entry struct {
	path   string
	key    *yaml.Node   // nil for the root and list items
	val    *yaml.Node   // never nil
	typ    reflect.Type // the Go type val decodes into; nil under an unknown key
	parent reflect.Type // the Go type of the enclosing mapping
}

var configType = reflect.TypeFor[Config]()

func newIndex(root *yaml.Node) *index {
	x := &index{lines: make(map[string]int)}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		x.walk(nil, root.Content[0], "", configType, nil)
	}
	return x
}

func (x *index) walk(key, n *yaml.Node, path string, t, parent reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	x.entries = append(x.entries, entry{path: path, key: key, val: n, typ: t, parent: parent})
	if key != nil {
		x.lines[path] = key.Line
	} else {
		x.lines[path] = n.Line
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			var ct reflect.Type
			if t != nil {
				switch t.Kind() {
				case reflect.Struct:
					if f, ok := fieldByKey(t, k.Value); ok {
						ct = f.Type
					}
				case reflect.Map:
					ct = t.Elem()
				}
			}
			x.walk(k, v, join(path, k.Value), ct, t)
		}
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i, item := range n.Content {
			x.walk(nil, item, path+"["+strconv.Itoa(i)+"]", et, t)
		}
	case yaml.ScalarNode:
		// yaml.v3 truncates 2.5 to 2 for an int field; a count is never
		// meant to be fractional, so say so instead. The decoder reports
		// infinities and overflow itself.
		if t != nil && isInt(t.Kind()) && n.ShortTag() == "!!float" {
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && f != math.Trunc(f) {
				x.fractions = append(x.fractions, &Error{Line: n.Line, Path: path, Err: fmt.Errorf("%s, want an integer", n.Value)})
			}
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// line is the line of the setting at path, or of its closest ancestor in
// the file when the setting itself is absent (a route without a channel is
// reported at the route).
func (x *index) line(path string) int {
	for path != "" {
		if l, ok := x.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

var (
	unknownRE   = regexp.MustCompile(`^line (\d+): field (.*) not found in type (.*)$`)
	unmarshalRE = regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.*)$")
	repeatRE    = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	lineRE      = regexp.MustCompile(`^line (\d+): (.*)$`)
)

// explain rewrites one of the decoder's messages in the file's own terms.
// A message it does not recognise is kept, with its line, so nothing is lost
// when the decoder changes its wording.
func (x *index) explain(msg string) *Error {
	if m := unknownRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, e := range x.entries {
			if e.key != nil && e.key.Line == line && e.key.Value == m[2] && e.typ == nil && e.parent != nil {
				return &Error{Line: line, Path: e.path, Err: fmt.Errorf("unknown key, want one of %s", strings.Join(keys(e.parent), ", "))}
			}
		}
		return &Error{Line: line, Err: fmt.Errorf("unknown key %q", m[2])}
	}
	if m := unmarshalRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		tag, value, into := m[2], m[3], m[4]
		kind := yaml.ScalarNode
		switch tag {
		case "!!map":
			kind = yaml.MappingNode
		case "!!seq":
			kind = yaml.SequenceNode
		}
		match := func(e entry) bool {
			if e.val.Line != line || e.val.Kind != kind || e.typ == nil || e.typ.String() != into {
				return false
			}
			return kind != yaml.ScalarNode || truncate(e.val.Value) == value
		}
		for _, e := range x.entries {
			if match(e) {
				return &Error{Line: line, Path: e.path, Err: fmt.Errorf("%s, want %s", describe(e.val), want(e.typ))}
			}
		}
		return &Error{Line: line, Err: errors.New(strings.TrimPrefix(msg, "line "+m[1]+": "))}
	}
	if m := repeatRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, e := range x.entries {
			if e.key != nil && e.key.Line == line && e.key.Value == m[2] {
				return &Error{Line: line, Path: e.path, Err: fmt.Errorf("repeated key, first at line %s", m[3])}
			}
		}
		return &Error{Line: line, Err: fmt.Errorf("repeated key %q, first at line %s", m[2], m[3])}
	}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		// Messages from UnmarshalYAML methods, such as Duration's, name the
		// line but not the key: take the one scalar on that line, or on a
		// line of several ({block: 2s, claim_interval: 30 seconds}) the one
		// whose value the message quotes.
		line, _ := strconv.Atoi(m[1])
		var found, quoted []entry
		for _, e := range x.entries {
			if e.val.Line == line && e.val.Kind == yaml.ScalarNode {
				found = append(found, e)
				if strings.Contains(m[2], strconv.Quote(e.val.Value)) {
					quoted = append(quoted, e)
				}
			}
		}
		e := &Error{Line: line, Err: errors.New(m[2])}
		switch {
		case len(found) == 1:
			e.Path = found[0].path
		case len(quoted) == 1:
			e.Path = quoted[0].path
		}
		return e
	}
	return &Error{Err: errors.New(msg)}
}

// truncate shortens a value the way yaml.v3 does in its messages.
func truncate(s string) string {
	if len(s) > 10 {
		return s[:7] + "..."
	}
	return s
}

// fieldByKey finds the struct field that the YAML key decodes into.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// keys lists the YAML keys of a struct in declaration order, for "want one
// of" in unknown key messages.
func keys(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var ks []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlKey(f) != "-" {
			ks = append(ks, yamlKey(f))
		}
	}
	return ks
}

// yamlKey is the key yaml.v3 uses for a field: the tag's name, or the
// lowercased field name.
func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

func isInt(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// want says in words what a Go type accepts.
func want(t reflect.Type) string {
	if t == reflect.TypeFor[Duration]() {
		return "a duration"
	}
	switch k := t.Kind(); {
	case isInt(k):
		return "an integer"
	case k == reflect.Float32 || k == reflect.Float64:
		return "a number"
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "true or false"
	case k == reflect.Slice || k == reflect.Array:
		return "a list"
	case k == reflect.Map || k == reflect.Struct:
		return "a mapping"
	}
	return t.String()
}
