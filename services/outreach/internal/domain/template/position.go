package template

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
	"unicode/utf8"
)

// position turns a byte offset of src into a 1-based line and column; the
// column counts characters (runes), not bytes, as an editor shows them.
func position(src string, off int) (line, col int) {
	off = min(max(off, 0), len(src))
	before := src[:off]
	line = 1 + strings.Count(before, "\n")
	start := strings.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCountInString(before[start:])
}

// lineOffset is the byte offset at which 1-based line n starts (the end
// of src when it has fewer lines).
func lineOffset(src string, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := strings.IndexByte(src[off:], '\n')
		if j < 0 {
			return len(src)
		}
		off += j + 1
	}
	return off
}

// parseErrRE splits text/template/parse's error, "template: NAME:LINE: message".
var parseErrRE = regexp.MustCompile(`^template: [^:]*:(\d+): (.*)$`)

// quotedRE finds the first quoted token a parse message names
// (`unexpected "}" in operand`, `undefined variable "$x"`).
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// syntaxProblem locates a parse error. The parser's message carries only
// the line; the offset of the token it stopped at is the first of the
// tree's look-ahead tokens, which it does not export, so it is read by
// reflection (tokenOffset). When that is not available (another Go
// version laid the tree out otherwise) the column comes from the message
// alone (the quoted token on that line, else the line's first character).
// The tests pin the columns, so a change of layout fails them.
func syntaxProblem(fieldName, src string, t *parse.Tree, err error) Problem {
	msg := err.Error()
	line := 0
	if m := parseErrRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	off, ok := tokenOffset(t)
	if ok {
		off = refineOffset(src, off, msg)
	} else {
		off = offsetFromMessage(src, line, msg)
	}
	l, c := position(src, off)
	return Problem{Field: fieldName, Line: l, Column: c, Message: cleanMessage(msg)}
}

// tokenOffset reads the byte offset of the token the parser stopped at.
func tokenOffset(t *parse.Tree) (int, bool) {
	if t == nil {
		return 0, false
	}
	tok := reflect.ValueOf(t).Elem().FieldByName("token")
	if !tok.IsValid() || tok.Kind() != reflect.Array || tok.Len() == 0 {
		return 0, false
	}
	pos := tok.Index(0)
	if pos.Kind() != reflect.Struct {
		return 0, false
	}
	p := pos.FieldByName("pos")
	if !p.IsValid() || !p.CanInt() {
		return 0, false
	}
	return int(p.Int()), true
}

// refineOffset moves the parser's offset, which can be the token after
// the culprit, back to it: to the "{{" of an action left unclosed or of
// one the message names ("unexpected {{end}}"), to the quoted token the message names when it ends at or before the offset on
// the same line.
func refineOffset(src string, off int, msg string) int {
	off = min(max(off, 0), len(src))
	switch {
	case strings.HasPrefix(msg, "unclosed action"):
		return actionStart(src, off)
	case strings.Contains(msg, "{{"):
		// "unexpected {{end}}": the parser stands at the action's "}}".
		return actionStart(src, min(off+2, len(src)))
	}
	if tok, ok := quotedToken(msg); ok {
		lineStart := strings.LastIndexByte(src[:off], '\n') + 1
		end := min(off+len(tok), len(src))
		if i := strings.LastIndex(src[lineStart:end], tok); i >= 0 {
			return lineStart + i
		}
	}
	return off
}

// offsetFromMessage is the fallback: the quoted token on the line, else
// the line's first non-blank character.
func offsetFromMessage(src string, line int, msg string) int {
	start := lineOffset(src, line)
	end := len(src)
	if i := strings.IndexByte(src[start:], '\n'); i >= 0 {
		end = start + i
	}
	if tok, ok := quotedToken(msg); ok {
		if i := strings.Index(src[start:end], tok); i >= 0 {
			return start + i
		}
	}
	return start + len(src[start:end]) - len(strings.TrimLeft(src[start:end], " \t"))
}

func quotedToken(msg string) (string, bool) {
	q := quotedRE.FindString(msg)
	if q == "" {
		return "", false
	}
	tok, err := strconv.Unquote(q)
	if err != nil || tok == "" {
		return "", false
	}
	return tok, true
}

// cleanMessage drops the parser's own "NAME:LINE" references from a
// message ("unclosed action started at html:1"): the Problem carries the
// position.
func cleanMessage(msg string) string {
	if msg == "unexpected EOF" {
		return "the template ends before the {{end}} of an {{if}} or {{with}}"
	}
	return locRefRE.ReplaceAllString(msg, "")
}

var locRefRE = regexp.MustCompile(` (started )?at [^ :]+:\d+$`)
