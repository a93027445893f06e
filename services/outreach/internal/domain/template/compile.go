package template

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"unicode/utf8"
)

// Limits on what is saved and what a render may produce. Sources are
// bounded so a save cannot make the service parse megabytes; outputs
// because merge data is not the template author's to size.
const (
	maxSubjectSource = 998 // RFC 5322's line limit
	maxHTMLSource    = 512 << 10
	maxTextSource    = 256 << 10
	maxSMSSource     = 1600 // characters: the longest SMS the providers take

	maxSubjectOutput = 2 << 10
	maxHTMLOutput    = 1 << 20
	maxTextOutput    = 1 << 20
	maxSMSOutput     = 1600 // characters, as maxSMSSource
)

// ErrTooLarge is a render whose output passes the part's limit (long
// merge data); the message names the part.
var ErrTooLarge = errors.New("template: rendered output too large")

// ErrMissingData is a render without the data an email must carry: a
// valid unsubscribe URL and the org's postal address.
var ErrMissingData = errors.New("template: missing merge data")

// source is one part of a template as saved, with its field name.
type source struct {
	field, text string
	required    bool
	maxLen      int  // bytes, or characters when runes
	runes       bool // maxLen counts characters
}

// parsePart parses and sandboxes one part. It appends every problem it
// finds to problems and returns the tree only when there were none.
func parsePart(s source, problems *[]Problem) *parse.Tree {
	switch {
	case strings.TrimSpace(s.text) == "" && s.required:
		*problems = append(*problems, Problem{Field: s.field, Message: "is required"})
		return nil
	case s.text == "":
		return nil
	case !utf8.ValidString(s.text):
		*problems = append(*problems, Problem{Field: s.field, Message: "is not valid UTF-8"})
		return nil
	}
	if n, unit := sourceLen(s); n > s.maxLen {
		*problems = append(*problems, Problem{Field: s.field, Message: fmt.Sprintf("is %d %s long; at most %d", n, unit, s.maxLen)})
		return nil
	}
	t := parse.New(s.field)
	// Function names are checked by the sandbox, which reports them all
	// with their positions, rather than by the parser, which stops at the
	// first.
	t.Mode = parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	if _, err := t.Parse(s.text, "", "", set); err != nil {
		*problems = append(*problems, syntaxProblem(s.field, s.text, t, err))
		return nil
	}
	c := checker{src: s.text, field: s.field}
	c.checkTrees(t, set)
	if len(c.problems) > 0 {
		*problems = append(*problems, c.problems...)
		return nil
	}
	return t
}

func sourceLen(s source) (int, string) {
	if s.runes {
		return utf8.RuneCountInString(s.text), "characters"
	}
	return len(s.text), "bytes"
}

// newText makes the executable text template of a checked tree.
func newText(name string, tree *parse.Tree) (*texttemplate.Template, error) {
	return texttemplate.New(name).Funcs(funcs()).Option("missingkey=error").AddParseTree(name, tree)
}

// newHTML makes the executable HTML template of a checked tree and runs
// html/template's contextual escaper on it now, on sample data, so that
// HTML that cannot be escaped safely (an action left inside an unclosed
// attribute, branches ending in different contexts) is a problem at save
// time. Escaping happens once; the template is safe for concurrent use.
func newHTML(src string, tree *parse.Tree, problems *[]Problem) *htmltemplate.Template {
	t, err := htmltemplate.New(tree.Name).Funcs(funcs()).Option("missingkey=error").AddParseTree(tree.Name, tree)
	if err == nil {
		err = t.Execute(io.Discard, SampleData().values())
	}
	if err != nil {
		*problems = append(*problems, escapeProblem(tree.Name, src, err))
		return nil
	}
	return t
}

// escapeProblem locates an html/template error. The escaper names the
// node it failed at when it knows it; a template that ends inside a tag
// or attribute is located at the last "<" it opened.
func escapeProblem(fieldName, src string, err error) Problem {
	var e *htmltemplate.Error
	if !errors.As(err, &e) {
		return Problem{Field: fieldName, Message: err.Error()}
	}
	off := -1
	switch n := e.Node.(type) {
	case nil:
	case *parse.BranchNode, *parse.IfNode, *parse.WithNode, *parse.RangeNode:
		// positioned at their pipeline: point at the action instead
		off = actionStart(src, int(n.Position()))
	default:
		off = int(n.Position())
	}
	msg := e.Description
	switch e.ErrorCode {
	case htmltemplate.ErrEndContext:
		msg = "the HTML ends inside a tag, an attribute, a comment or a script; close it"
		off = strings.LastIndexByte(src, '<')
	case htmltemplate.ErrBranchEnd:
		msg = "the branches of this {{if}} or {{with}} leave the HTML in different states (a tag or attribute opened in one and not the other)"
	case htmltemplate.ErrRangeLoopReentry, htmltemplate.ErrOutputContext:
	default:
		if i := strings.Index(msg, ": {state"); i >= 0 {
			msg = msg[:i]
		}
	}
	if off < 0 {
		if e.Line > 0 {
			return Problem{Field: fieldName, Line: e.Line, Column: 1, Message: msg}
		}
		return Problem{Field: fieldName, Message: msg}
	}
	l, c := position(src, off)
	return Problem{Field: fieldName, Line: l, Column: c, Message: msg}
}

// executor is what text/template and html/template have in common.
type executor interface {
	Execute(w io.Writer, data any) error
}

// execute runs a compiled part into a buffer of at most limit bytes.
func execute(field string, t executor, data map[string]any, limit int) (string, error) {
	w := &limitWriter{limit: limit}
	if err := t.Execute(w, data); err != nil {
		if w.over {
			return "", fmt.Errorf("%w: %s over %d bytes", ErrTooLarge, field, limit)
		}
		return "", fmt.Errorf("template: render %s: %w", field, err)
	}
	return w.buf.String(), nil
}

// limitWriter fails a write that would pass limit: the render stops there
// instead of building an unbounded string.
type limitWriter struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

var errLimit = errors.New("output limit reached")

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		w.over = true
		return 0, errLimit
	}
	return w.buf.Write(p)
}

// invalid returns the problems as an *InvalidError, or nil when there are none.
func invalid(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &InvalidError{Problems: problems}
}
