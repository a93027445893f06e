package template

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText is the plain-text part Render generates from an email's
// HTML: paragraphs separated by a blank line, <br> as a line break, list
// items as "- " (or "1. ") lines, links as "text (url)", images by their
// alt text; scripts, styles and the title left out; entities decoded.
func HTMLToText(s string) string { return scanHTML(s).text }

// htmlDoc is what Render needs to know of rendered HTML: its text and
// the targets of its links.
type htmlDoc struct {
	text  string
	links map[string]bool
}

// scanHTML reads HTML as a stream of tokens (x/net/html's tokenizer, which
// decodes entities and knows raw-text elements) rather than building the
// tree: an email is read once per message, and the tree is not needed to
// write its text.
func scanHTML(s string) htmlDoc {
	sc := scanner{links: map[string]bool{}}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		sc.token(z, tt)
	}
	sc.endLink()
	return htmlDoc{text: sc.out.String(), links: sc.links}
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
	atom.Script: true, atom.Style: true, atom.Title: true, atom.Template: true,
	atom.Noscript: true, atom.Iframe: true, atom.Object: true, atom.Textarea: true,
}

// scanner turns tokens into text.
type scanner struct {
	out   textWriter
	skip  atom.Atom // inside this skipped element
	lists []int     // open lists: the next number of an <ol>, 0 for a <ul>
	link  *openLink
	links map[string]bool
}

// openLink is an <a> whose text is being collected.
type openLink struct {
	href  string
	label textWriter
}

// w is where text goes: the open link's label, else the output.
func (sc *scanner) w() *textWriter {
	if sc.link != nil {
		return &sc.link.label
	}
	return &sc.out
}

func (sc *scanner) token(z *html.Tokenizer, tt html.TokenType) {
	if sc.skip != 0 {
		if tt == html.EndTagToken {
			if name, _ := z.TagName(); atom.Lookup(name) == sc.skip {
				sc.skip = 0
			}
		}
		return
	}
	switch tt {
	case html.TextToken:
		sc.w().text(z.Text())
	case html.StartTagToken, html.SelfClosingTagToken:
		name, hasAttr := z.TagName()
		a := atom.Lookup(name)
		var attr string
		if key := wantedAttr[a]; hasAttr && key != "" {
			attr = tagAttr(z, key)
		}
		sc.start(a, attr)
		if tt == html.SelfClosingTagToken {
			sc.end(a)
		}
	case html.EndTagToken:
		name, _ := z.TagName()
		sc.end(atom.Lookup(name))
	}
}

// wantedAttr is the one attribute the text needs of an element.
var wantedAttr = map[atom.Atom]string{atom.A: "href", atom.Img: "alt", atom.Ol: "start"}

func tagAttr(z *html.Tokenizer, key string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}

// start handles a start tag; attr is its wantedAttr.
func (sc *scanner) start(a atom.Atom, attr string) {
	w := sc.w()
	switch {
	case skipped[a]:
		sc.skip = a
	case a == atom.Br:
		w.lineBreak()
	case a == atom.Img:
		w.text([]byte(strings.TrimSpace(attr)))
	case a == atom.A:
		sc.endLink()
		href := strings.TrimSpace(attr)
		if href != "" {
			sc.links[href] = true
		}
		sc.link = &openLink{href: href}
	case a == atom.Td || a == atom.Th:
		w.space = true
	case a == atom.Ol || a == atom.Ul:
		n := 0
		if a == atom.Ol {
			n = 1
			if start, err := strconv.Atoi(strings.TrimSpace(attr)); err == nil {
				n = start
			}
		}
		w.block(listBreaks(len(sc.lists)))
		sc.lists = append(sc.lists, n)
	case a == atom.Li:
		w.block(1)
		w.prefix(sc.marker())
	case a == atom.Pre:
		w.block(2)
		w.pre++
	default:
		w.block(blockBreaks[a])
	}
}

func (sc *scanner) end(a atom.Atom) {
	w := sc.w()
	switch {
	case a == atom.A:
		sc.endLink()
	case a == atom.Td || a == atom.Th:
		w.space = true
	case a == atom.Ol || a == atom.Ul:
		if len(sc.lists) > 0 {
			sc.lists = sc.lists[:len(sc.lists)-1]
		}
		w.block(listBreaks(len(sc.lists)))
	case a == atom.Pre:
		w.pre = max(w.pre-1, 0)
		w.block(2)
	default:
		w.block(blockBreaks[a])
	}
}

// listBreaks: a list is a paragraph, a list inside a list is lines.
func listBreaks(open int) int {
	if open > 0 {
		return 1
	}
	return 2
}

// marker is "1. ", "2. " … in an ordered list, "- " otherwise.
func (sc *scanner) marker() string {
	if len(sc.lists) == 0 || sc.lists[len(sc.lists)-1] == 0 {
		return "- "
	}
	n := sc.lists[len(sc.lists)-1]
	sc.lists[len(sc.lists)-1]++
	return strconv.Itoa(n) + ". "
}

// endLink writes an open link as "text (url)": the url alone when it is
// the text, the text alone when the target is not one a reader can follow
// (a fragment, javascript:, html/template's #ZgotmplZ).
func (sc *scanner) endLink() {
	l := sc.link
	if l == nil {
		return
	}
	sc.link = nil
	label := strings.Join(strings.Fields(l.label.String()), " ")
	target := readableTarget(l.href)
	var s string
	switch {
	case target == "" || target == label || strings.TrimPrefix(target, "mailto:") == label || strings.TrimPrefix(target, "tel:") == label:
		s = label
		if s == "" {
			s = target
		}
	case label == "":
		s = target
	default:
		s = label + " (" + target + ")"
	}
	sc.out.text([]byte(s))
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

// textWriter collects text with HTML's whitespace rules: runs of spaces
// become one, breaks asked for between blocks are kept (the largest wins),
// never lead or trail the text, and lines carry no trailing spaces.
type textWriter struct {
	b      []byte
	breaks int  // line breaks owed before the next text
	space  bool // a space owed before the next text
	pre    int  // inside <pre>: whitespace kept as it is
}

func (w *textWriter) String() string { return string(bytes.TrimSpace(w.b)) }

func (w *textWriter) block(n int) {
	if n > 0 {
		w.breaks = max(w.breaks, n)
		w.space = false
	}
}

// lineBreak is a <br>: two in a row make a blank line, more add nothing.
func (w *textWriter) lineBreak() {
	if len(w.b) > 0 {
		w.breaks = min(w.breaks+1, 2)
		w.space = false
	}
}

// flush writes what is owed before the next text: no break or space at
// the start, and no second space after one already written.
func (w *textWriter) flush() {
	switch {
	case len(w.b) == 0:
	case w.breaks > 0:
		w.b = bytes.TrimRight(w.b, " \t")
		for range w.breaks {
			w.b = append(w.b, '\n')
		}
	case w.space:
		if last := w.b[len(w.b)-1]; last != ' ' && last != '\n' {
			w.b = append(w.b, ' ')
		}
	}
	w.breaks, w.space = 0, false
}

// prefix writes a list marker at the start of a line.
func (w *textWriter) prefix(s string) {
	w.flush()
	w.b = append(w.b, s...)
}

func (w *textWriter) text(s []byte) {
	if w.pre > 0 {
		w.flush()
		w.b = append(w.b, bytes.ReplaceAll(s, []byte("\u00a0"), []byte(" "))...)
		return
	}
	for len(s) > 0 {
		// a run of white space, then a word
		i := 0
		for i < len(s) {
			if n := spaceLen(s[i:]); n > 0 {
				i += n
				continue
			}
			break
		}
		if i > 0 {
			w.space = true
			s = s[i:]
		}
		j := 0
		for j < len(s) && spaceLen(s[j:]) == 0 {
			j++
		}
		if j > 0 {
			w.flush()
			w.b = append(w.b, s[:j]...)
			s = s[j:]
		}
	}
}

// spaceLen is the length of the white space s starts with: HTML's ASCII
// white space or a no-break space (U+00A0, two bytes), else 0.
func spaceLen(s []byte) int {
	switch {
	case isSpace(s[0]):
		return 1
	case s[0] == 0xC2 && len(s) > 1 && s[1] == 0xA0:
		return 2
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
