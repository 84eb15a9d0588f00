package config

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem with a setting. Parse fills in Line from the file, so
// an operator is told both where to look and what the key is called.
type Error struct {
	// Line is the 1-based line in the YAML file, or 0 when there is no file
	// (Validate on a Config built in code) or no line for the setting.
	Line int
	// Path names the setting as it is spelled in YAML, such as
	// "ingest.batch_size", "routes[1].channel" or "owners.by_sku.SKU-1001".
	// It is empty for problems with the document as a whole.
	Path string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error for the setting at path. Validate methods call it
// with the path relative to their own type and in prefixes the parent's.
func errorf(path, format string, args ...any) error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// in puts a child's validation error under the parent key p: "batch_size"
// from Ingest.Validate becomes "ingest.batch_size".
func in(p string, err error) error {
	if err == nil {
		return nil
	}
	e, ok := err.(*Error)
	if !ok {
		// Other packages' Validate methods (score.Policy's) start their
		// messages with the key they are about: lift it into the path so
		// that Parse can find its line.
		if m := keyRE.FindStringSubmatch(err.Error()); m != nil {
			return &Error{Path: p + "." + m[1], Err: &trimmed{msg: m[2], err: err}}
		}
		return &Error{Path: p, Err: err}
	}
	c := *e
	switch {
	case c.Path == "":
		c.Path = p
	case strings.HasPrefix(c.Path, "["):
		c.Path = p + c.Path
	default:
		c.Path = p + "." + c.Path
	}
	return &c
}

var keyRE = regexp.MustCompile(`^([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*): (.+)$`)

// trimmed is an error whose leading key moved into Error.Path. It unwraps to
// the original, so errors.Is still sees through it.
type trimmed struct {
	msg string
	err error
}

func (t *trimmed) Error() string { return t.msg }
func (t *trimmed) Unwrap() error { return t.err }

// errorList is several problems found in one pass over a file. It prints on
// one line so that it fits a log line or a terminal status.
type errorList []error

func (l errorList) Error() string {
	s := make([]string, len(l))
	for i, err := range l {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (l errorList) Unwrap() []error { return l }

// describe names what a node holds, for messages of the form
// "<what was found>, want <what fits>".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.ShortTag() == "!!str" {
		return fmt.Sprintf("%q", n.Value)
	}
	return n.Value
}
