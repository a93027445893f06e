package template

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText is the plain-text part Render generates from an email's
// HTML: paragraphs separated by a blank line, <br> as a line break, list
// items as "- " (or "1. ") lines, links as "text (url)", images by their
// alt text; scripts, styles and the head left out; entities decoded.
func HTMLToText(s string) string { return scanHTML(s).text }

// htmlDoc is what Render needs to know of rendered HTML: its text and
// the targets of its links.
type htmlDoc struct {
	text  string
	links map[string]bool
}

func scanHTML(s string) htmlDoc {
	w := &textWriter{links: map[string]bool{}}
	// html.Parse reads from a strings.Reader: it cannot fail.
	root, err := html.Parse(strings.NewReader(s))
	if err == nil {
		w.node(root)
	}
	return htmlDoc{text: w.String(), links: w.links}
}

// Breaks before and after a block: a blank line for paragraphs and the
// like, a line break for rows, items and divisions.
var blockBreaks = map[atom.Atom]int{
	atom.P: 2, atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Ul: 2, atom.Ol: 2, atom.Dl: 2, atom.Table: 2, atom.Blockquote: 2, atom.Pre: 2,
	atom.Hr: 2, atom.Address: 2, atom.Figure: 2,
	atom.Div: 1, atom.Tr: 1, atom.Li: 1, atom.Dt: 1, atom.Dd: 1, atom.Section: 1,
	atom.Article: 1, atom.Header: 1, atom.Footer: 1, atom.Center: 1, atom.Form: 1,
	atom.Tbody: 1, atom.Thead: 1, atom.Tfoot: 1, atom.Caption: 1,
}

// skipped elements have no readable text.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true,
	atom.Template: true, atom.Noscript: true, atom.Iframe: true, atom.Object: true,
}

// textWriter collects text with HTML's whitespace rules: runs of spaces
// become one, breaks asked for between blocks are kept (the largest wins)
// and never lead or trail the text.
type textWriter struct {
	b      strings.Builder
	breaks int  // line breaks owed before the next text
	space  bool // a space owed before the next text
	pre    int  // inside <pre>: whitespace kept as it is
	links  map[string]bool
}

func (w *textWriter) String() string {
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func (w *textWriter) block(n int) {
	if n > 0 {
		w.breaks = max(w.breaks, n)
		w.space = false
	}
}

// flush writes what is owed before the next text: no break or space at
// the start, and no second space after one already written.
func (w *textWriter) flush() {
	switch {
	case w.b.Len() == 0:
	case w.breaks > 0:
		w.b.WriteString(strings.Repeat("\n", w.breaks))
	case w.space:
		if last := w.b.String()[w.b.Len()-1]; last != ' ' && last != '\n' {
			w.b.WriteByte(' ')
		}
	}
	w.breaks, w.space = 0, false
}

func (w *textWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if w.pre > 0 {
		w.flush()
		w.b.WriteString(s)
		return
	}
	for i, f := range strings.Fields(s) {
		if i > 0 || isSpace(s[0]) {
			w.space = true
		}
		w.flush()
		w.b.WriteString(f)
	}
	if s != "" && isSpace(s[len(s)-1]) {
		w.space = true
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func (w *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

func (w *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.DocumentNode:
		w.children(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if skipped[n.DataAtom] {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		if w.b.Len() > 0 {
			w.breaks = min(w.breaks+1, 2)
			w.space = false
		}
		return
	case atom.Img:
		w.text(strings.TrimSpace(attr(n, "alt")))
		return
	case atom.A:
		w.link(n)
		return
	case atom.Td, atom.Th:
		w.space = true
		w.children(n)
		w.space = true
		return
	case atom.Li:
		w.block(1)
		w.flush()
		w.b.WriteString(listMarker(n))
		w.children(n)
		w.block(1)
		return
	case atom.Pre:
		w.block(2)
		w.pre++
		w.children(n)
		w.pre--
		w.block(2)
		return
	}
	br := blockBreaks[n.DataAtom]
	w.block(br)
	w.children(n)
	w.block(br)
}

// link writes a link as "text (url)": the url alone when it is the text,
// the text alone when the target is not one a reader can follow (a
// fragment, javascript:, html/template's #ZgotmplZ).
func (w *textWriter) link(n *html.Node) {
	href := strings.TrimSpace(attr(n, "href"))
	if href != "" {
		w.links[href] = true
	}
	inner := &textWriter{links: w.links}
	inner.children(n)
	label := strings.Join(strings.Fields(inner.String()), " ")
	target := readableTarget(href)
	switch {
	case target == "" || target == label || strings.TrimPrefix(target, "mailto:") == label || strings.TrimPrefix(target, "tel:") == label:
		if label == "" {
			label = target
		}
		w.text(label)
	case label == "":
		w.text(target)
	default:
		w.text(label + " (" + target + ")")
	}
}

func readableTarget(href string) string {
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto", "tel":
		return href
	}
	return ""
}

// listMarker is "1. ", "2. " … in an ordered list, "- " otherwise.
func listMarker(li *html.Node) string {
	if li.Parent == nil || li.Parent.DataAtom != atom.Ol {
		return "- "
	}
	n := 1
	if start, err := strconv.Atoi(attr(li.Parent, "start")); err == nil {
		n = start
	}
	for s := li.PrevSibling; s != nil; s = s.PrevSibling {
		if s.Type == html.ElementNode && s.DataAtom == atom.Li {
			n++
		}
	}
	return strconv.Itoa(n) + ". "
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}
