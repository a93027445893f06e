package template

import "testing"

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{"paragraphs are separated by a blank line", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"a heading is a paragraph", "<h1>New listing</h1>Three beds", "New listing\n\nThree beds"},
		{"br is a line break", "Line<br>break<br/>again", "Line\nbreak\nagain"},
		{"two br make a blank line, no more", "a<br><br><br><br>b", "a\n\nb"},
		{"divisions are lines", "<div><div>a</div></div><div>b</div>", "a\nb"},
		{"whitespace collapses", "<p>  Hello \n\t  Jordan  </p>", "Hello Jordan"},
		{"inline elements run on", "a<b>b</b>c <i>d</i> e", "abc d e"},
		{"a link is text (url)", `See <a href="https://x.example/l/1">the listing</a>.`, "See the listing (https://x.example/l/1)."},
		{"a link whose text is its url is written once", `<a href="https://x.example/">https://x.example/</a>`, "https://x.example/"},
		{"a mail link shows the address once", `<a href="mailto:alex@example.com">alex@example.com</a>`, "alex@example.com"},
		{"a link without text is its url", `<a href="https://x.example/"></a>`, "https://x.example/"},
		{"a fragment link is its text", `<a href="#top">Back to top</a>`, "Back to top"},
		{"a neutralised link is its text", `<a href="#ZgotmplZ">Click</a>`, "Click"},
		{"a javascript link is its text", `<a href="javascript:alert(1)">Click</a>`, "Click"},
		{"an image is its alt text", `<a href="https://x.example/"><img src="logo.png" alt="Bayview Realty"></a>`, "Bayview Realty (https://x.example/)"},
		{"an image without alt is nothing", `a<img src="x.png">b`, "ab"},
		{"list items", "<ul><li>Pool</li><li> Garage </li></ul>", "- Pool\n- Garage"},
		{"ordered list items are numbered from start", `<ol start="3"><li>a</li><li>b</li></ol>`, "3. a\n4. b"},
		{"table rows are lines, cells are spaced", "<table><tr><td>Price</td><td>$500k</td></tr><tr><td>Beds</td><td>3</td></tr></table>", "Price $500k\nBeds 3"},
		{"entities are decoded", "<p>Tom &amp; Jerry&nbsp;&lt;3 &#8364;5 &eacute;</p>", "Tom & Jerry <3 €5 é"},
		{"head, style and script are left out", "<html><head><title>T</title><style>p{color:red}</style></head><body><script>x()</script><p>Hi</p></body></html>", "Hi"},
		{"comments are left out", "a<!-- hidden -->b", "ab"},
		{"pre keeps its whitespace", "<p>x</p><pre>a\n  b</pre><p>y</p>", "x\n\na\n  b\n\ny"},
		{"a button made of blocks is one link", `<a href="https://x.example/"><div><p>See the</p><p>listing</p></div></a>`, "See the listing (https://x.example/)"},
		{"an unclosed link ends at the next one", `<a href="https://a.example/">A<a href="https://b.example/">B</a>`, "A (https://a.example/)B (https://b.example/)"},
		{"a link to the end of the text", `<p><a href="https://a.example/">A`, "A (https://a.example/)"},
		{"lists nest, each with its own numbering", "<ol><li>a<ul><li>x</li></ul></li><li>b</li></ol>", "1. a\n- x\n2. b"},
		{"a head without its end tag hides nothing", "<html><head><meta charset=utf-8><p>Hi</p>", "Hi"},
		{"non-breaking spaces are spaces", "a&nbsp;&nbsp;b\u00a0c ©", "a b c ©"},
		{"nothing but markup is empty", "<div><p> </p></div>", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := HTMLToText(tc.html); got != tc.want {
				t.Fatalf("HTMLToText =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
