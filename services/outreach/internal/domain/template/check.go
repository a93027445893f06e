package template

import (
	"fmt"
	"sort"
	"strings"
	"text/template/parse"
)

// funcs are the functions a template may call, besides the comparison
// and logic built-ins in allowedBuiltins. They never fail and never
// allocate more than their argument's size.
func funcs() map[string]any {
	return map[string]any{
		"default": fnDefault,
		"upper":   func(v any) string { return strings.ToUpper(fmt.Sprint(v)) },
		"lower":   func(v any) string { return strings.ToLower(fmt.Sprint(v)) },
		"title":   func(v any) string { return titleCase(fmt.Sprint(v)) },
		"trim":    func(v any) string { return strings.TrimSpace(fmt.Sprint(v)) },
	}
}

// fnDefault is sprig's default: the value when it is not empty (blank
// text, zero), else the fallback; written `.x | default "there"`.
func fnDefault(fallback, v any) any {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return fallback
		}
	case int:
		if x == 0 {
			return fallback
		}
	case nil:
		return fallback
	}
	return v
}

// titleCase upper-cases the first letter of each word and leaves the rest
// alone ("mcDonald" stays "McDonald"), unlike the deprecated strings.Title
// it does not need a language.
func titleCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if start {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteRune(r)
		}
		start = r == ' ' || r == '\t' || r == '\n' || r == '-'
	}
	return b.String()
}

// signature is what the sandbox knows of a callable: how many arguments
// (max < 0: any number from min) and what it gives back.
type signature struct {
	min, max int
	check    func(c *checker, name string, pos parse.Pos, args []kind) kind
}

// allowed is every function a template may call. Anything else (printf,
// index, call, len, html, js, urlquery …) is refused at save time.
var allowed = map[string]signature{
	"default": {2, 2, checkDefault},
	"upper":   {1, 1, returns(kindString)},
	"lower":   {1, 1, returns(kindString)},
	"title":   {1, 1, returns(kindString)},
	"trim":    {1, 1, returns(kindString)},
	"eq":      {2, -1, checkCompare(false)},
	"ne":      {2, 2, checkCompare(false)},
	"lt":      {2, 2, checkCompare(true)},
	"le":      {2, 2, checkCompare(true)},
	"gt":      {2, 2, checkCompare(true)},
	"ge":      {2, 2, checkCompare(true)},
	"and":     {1, -1, checkLogic},
	"or":      {1, -1, checkLogic},
	"not":     {1, 1, returns(kindBool)},
}

func allowedNames() []string {
	names := make([]string, 0, len(allowed))
	for n := range allowed {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func returns(k kind) func(*checker, string, parse.Pos, []kind) kind {
	return func(*checker, string, parse.Pos, []kind) kind { return k }
}

// kindMixed is the result of and/or over values of different kinds: fine
// as a condition, refused where a kind matters.
const kindMixed kind = -1

func checkDefault(c *checker, name string, pos parse.Pos, args []kind) kind {
	fallback, v := args[0], args[1]
	switch {
	case fallback == kindUnknown || v == kindUnknown:
		return kindUnknown
	case fallback != v:
		c.problemAt(pos, fmt.Sprintf("%s: the fallback is %s but the value is %s; give a fallback of the same kind", name, fallback, v))
		return kindUnknown
	}
	return v
}

func checkCompare(ordered bool) func(*checker, string, parse.Pos, []kind) kind {
	return func(c *checker, name string, pos parse.Pos, args []kind) kind {
		for _, k := range args {
			switch {
			case k == kindMixed:
				c.problemAt(pos, name+": cannot compare the result of and/or over values of different kinds")
				return kindBool
			case ordered && k == kindBool:
				c.problemAt(pos, name+": true/false values have no order")
				return kindBool
			}
		}
		for _, k := range args[1:] {
			if k != kindUnknown && args[0] != kindUnknown && k != args[0] {
				c.problemAt(pos, fmt.Sprintf("%s: cannot compare %s with %s", name, args[0], k))
				return kindBool
			}
		}
		return kindBool
	}
}

func checkLogic(_ *checker, _ string, _ parse.Pos, args []kind) kind {
	k := args[0]
	for _, a := range args[1:] {
		if a != k {
			return kindMixed
		}
	}
	return k
}

// dot is what "." means at a point of the template: the whole merge data
// at the top, the value of the pipeline inside {{with}}.
type dot struct {
	root bool
	kind kind
}

// checker walks one parsed template and records every construct the
// sandbox does not allow. It keeps going after a problem, so a template's
// problems are all reported at once.
type checker struct {
	src      string
	field    string
	problems []Problem
	// templates are the offsets of {{template}}/{{block}} actions, so a
	// block's definition is not reported a second time.
	templates []parse.Pos
}

func (c *checker) problemAt(pos parse.Pos, msg string) {
	line, col := position(c.src, int(pos))
	c.problems = append(c.problems, Problem{Field: c.field, Line: line, Column: col, Message: msg})
}

// checkTrees checks the main tree and refuses every other tree of the
// set: those come from {{define}} or {{block}}.
func (c *checker) checkTrees(main *parse.Tree, set map[string]*parse.Tree) {
	c.list(main.Root, dot{root: true})
	names := make([]string, 0, len(set))
	for n, t := range set {
		if t != main {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		t := set[n]
		start := actionStart(c.src, int(t.Root.Pos))
		if c.templateBetween(start, int(t.Root.Pos)) {
			continue
		}
		c.problemAt(parse.Pos(start), "{{define}} is not allowed: a template is one piece")
	}
	sort.SliceStable(c.problems, func(i, j int) bool {
		a, b := c.problems[i], c.problems[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
}

func (c *checker) templateBetween(from, to int) bool {
	for _, p := range c.templates {
		if int(p) >= from && int(p) < to {
			return true
		}
	}
	return false
}

// actionStart is the offset of the last "{{" before pos: the start of the
// action whose body begins at pos.
func actionStart(src string, pos int) int {
	pos = min(max(pos, 0), len(src))
	if i := strings.LastIndex(src[:pos], "{{"); i >= 0 {
		return i
	}
	return pos
}

func (c *checker) list(l *parse.ListNode, d dot) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, d)
	}
}

func (c *checker) node(n parse.Node, d dot) {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode:
	case *parse.ActionNode:
		c.pipe(n.Pipe, d)
	case *parse.IfNode:
		c.pipe(n.Pipe, d)
		c.list(n.List, d)
		c.list(n.ElseList, d)
	case *parse.WithNode:
		k := c.pipe(n.Pipe, d)
		c.list(n.List, dot{kind: k})
		c.list(n.ElseList, d)
	case *parse.RangeNode:
		c.problemAt(parse.Pos(actionStart(c.src, int(n.Position()))), "{{range}} is not allowed: the merge data has no lists")
	case *parse.TemplateNode:
		c.templates = append(c.templates, n.Position())
		c.problemAt(parse.Pos(actionStart(c.src, int(n.Position()))), "{{template}} and {{block}} are not allowed: a template is one piece")
	case *parse.BreakNode, *parse.ContinueNode:
		c.problemAt(n.Position(), "{{break}} and {{continue}} are not allowed")
	default:
		c.problemAt(n.Position(), fmt.Sprintf("%s is not allowed", n))
	}
}

// pipe checks a pipeline and says the kind of its value.
func (c *checker) pipe(p *parse.PipeNode, d dot) kind {
	if p == nil {
		return kindUnknown
	}
	if len(p.Decl) > 0 {
		c.problemAt(p.Decl[0].Position(), "variables ($x := …) are not allowed; name the field where it is needed")
	}
	k := kindUnknown
	for i, cmd := range p.Cmds {
		k = c.command(cmd, d, i > 0, k)
	}
	return k
}

// command checks one stage of a pipeline; piped says the previous
// stage's value is passed in as the last argument.
func (c *checker) command(cmd *parse.CommandNode, d dot, piped bool, in kind) kind {
	if len(cmd.Args) == 0 {
		return kindUnknown
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		args := make([]kind, 0, len(cmd.Args))
		for _, a := range cmd.Args[1:] {
			args = append(args, c.arg(a, d))
		}
		if piped {
			args = append(args, in)
		}
		return c.call(id.Ident, id.Position(), args)
	}
	if len(cmd.Args) > 1 || piped {
		c.problemAt(c.start(cmd.Args[0]), fmt.Sprintf("%s is not a function: it takes no arguments and cannot follow |", cmd.Args[0]))
		return kindUnknown
	}
	return c.arg(cmd.Args[0], d)
}

func (c *checker) call(name string, pos parse.Pos, args []kind) kind {
	sig, ok := allowed[name]
	if !ok {
		c.problemAt(pos, fmt.Sprintf("function %q is not allowed; use one of %s", name, quoteList(allowedNames())))
		return kindUnknown
	}
	if len(args) < sig.min || (sig.max >= 0 && len(args) > sig.max) {
		want := fmt.Sprintf("%d", sig.min)
		switch {
		case sig.max < 0:
			want = fmt.Sprintf("at least %d", sig.min)
		case sig.max != sig.min:
			want = fmt.Sprintf("%d to %d", sig.min, sig.max)
		}
		c.problemAt(pos, fmt.Sprintf("%s takes %s argument(s), not %d (a value piped in with | counts as the last one)", name, want, len(args)))
		return kindUnknown
	}
	return sig.check(c, name, pos, args)
}

// arg checks one operand and says its kind.
func (c *checker) arg(n parse.Node, d dot) kind {
	switch n := n.(type) {
	case *parse.FieldNode:
		if !d.root {
			c.problemAt(n.Position(), fmt.Sprintf("inside {{with}}, . is %s and has no fields; use $%s for a merge field", d.kind, n))
			return kindUnknown
		}
		return c.fieldPath(c.start(n), n.Ident)
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			// The parser accepts only declared variables, and every
			// declaration is already a problem.
			return kindUnknown
		}
		if len(n.Ident) == 1 {
			c.problemAt(n.Position(), "$ is the whole merge data; name a field such as $.contact.first_name")
			return kindUnknown
		}
		return c.fieldPath(c.start(n), n.Ident[1:])
	case *parse.DotNode:
		if d.root {
			c.problemAt(n.Position(), ". is the whole merge data; name a field such as .contact.first_name")
			return kindUnknown
		}
		return d.kind
	case *parse.StringNode:
		return kindString
	case *parse.BoolNode:
		return kindBool
	case *parse.NumberNode:
		return c.number(n)
	case *parse.IdentifierNode:
		return c.call(n.Ident, n.Position(), nil)
	case *parse.PipeNode:
		return c.pipe(n, d)
	case *parse.ChainNode:
		c.problemAt(n.Position(), "fields of a parenthesised value are not allowed; name the field directly")
		return kindUnknown
	case *parse.NilNode:
		c.problemAt(n.Position(), "nil is not allowed")
		return kindUnknown
	}
	c.problemAt(n.Position(), fmt.Sprintf("%s is not allowed here", n))
	return kindUnknown
}

// number gives a literal the kind text/template gives it when it runs
// (exec's idealConstant): a decimal point or exponent makes a float,
// otherwise an int; what does not fit an int fails there, so it is
// refused here.
func (c *checker) number(n *parse.NumberNode) kind {
	switch {
	case n.IsComplex:
		c.problemAt(n.Position(), "complex numbers are not allowed")
		return kindUnknown
	case n.IsFloat && !isHexInt(n.Text) && !strings.HasPrefix(n.Text, "'") && strings.ContainsAny(n.Text, ".eEpP"):
		return kindFloat
	case n.IsInt:
		return kindInt
	}
	c.problemAt(n.Position(), fmt.Sprintf("the number %s is too large", n.Text))
	return kindUnknown
}

// isHexInt is exec's test for a hexadecimal integer literal ("0x1e" has
// an e and is still an int).
func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

func (c *checker) fieldPath(pos parse.Pos, path []string) kind {
	f, isGroup, ok := lookupField(path)
	switch {
	case !ok:
		c.problemAt(pos, unknownField(path))
		return kindUnknown
	case isGroup:
		c.problemAt(pos, fmt.Sprintf("%q is a group of fields; use %s", path[0], quoteList(groupFields(path[0]))))
		return kindUnknown
	}
	return f.kind
}

// unknownField says what may be written instead of an unknown field: the
// fields of its group when the group exists, else the groups.
func unknownField(path []string) string {
	name := strings.Join(path, ".")
	if len(path) > 1 {
		if _, isGroup, _ := lookupField(path[:1]); isGroup {
			return fmt.Sprintf("unknown merge field %q; %s has %s", name, path[0], quoteList(groupFields(path[0])))
		}
	}
	return fmt.Sprintf("unknown merge field %q; the fields are under %s, or %q", name, quoteList(groups()), fieldUnsubscribe)
}

// groups lists the field groups in the order of the field table.
func groups() []string {
	var out []string
	for _, f := range fieldTable {
		if f.group != "" && (len(out) == 0 || out[len(out)-1] != f.group) {
			out = append(out, f.group)
		}
	}
	return out
}

// start is where an operand starts in the source. The parser positions
// a chain of two or more names (.contact.first_name, $.org.name) at its
// second name; the chain's text is looked for where it would start, so a
// parser that positions chains at their start is followed as well.
func (c *checker) start(n parse.Node) parse.Pos {
	var text string
	var head int
	switch n := n.(type) {
	case *parse.FieldNode:
		text = "." + strings.Join(n.Ident, ".")
		head = len(n.Ident[0]) + 1
	case *parse.VariableNode:
		text = strings.Join(n.Ident, ".")
		head = len(n.Ident[0])
	default:
		return n.Position()
	}
	if start := int(n.Position()) - head; start >= 0 && start < len(c.src) && strings.HasPrefix(c.src[start:], text) {
		return parse.Pos(start)
	}
	return n.Position()
}
