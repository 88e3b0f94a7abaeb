package normalize

import (
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"whitespace collapsed":      {"  Ministers \t meet\n\n in   Geneva  ", "Ministers meet in Geneva"},
		"entities decoded":          {"Tom &amp; Jerry &#8212; &quot;live&quot; &eacute;t&eacute;", "Tom & Jerry — \"live\" été"},
		"double escaped once":       {"AT&amp;amp;T", "AT&amp;T"},
		"tags stripped":             {"<b>Bold</b> and <i>italic</i>", "Bold and italic"},
		"escaped tag is text":       {"Use &lt;b&gt; for bold", "Use <b> for bold"},
		"script content dropped":    {"Safe <script>alert(1)</script>title", "Safe title"},
		"style content dropped":     {"<style>b{}</style>Styled", "Styled"},
		"xhtml title from gofeed":   {"<html><head><script>alert(1)</script></head><body>Hello <b>w</b>", "Hello w"},
		"block tags separate words": {"one<br>two<p>three</p>", "one two three"},
		"control characters":        {"a\x00b\x07c\x1bd\u0085e\u009ff", "abcd ef"},
		"bidi override removed":     {"evil\u202Egnp.exe", "evilgnp.exe"},
		"joiners kept":              {"👩\u200d💻 می\u200cخواهم", "👩\u200d💻 می\u200cخواهم"},
		"nbsp collapsed":            {"a\u00a0\u00a0b", "a b"},
		"invalid UTF-8":             {"caf\xe9 ok", "caf\uFFFD ok"},
		"lone less-than kept":       {"a < b", "a < b"},
		"bom removed":               {"\uFEFFTitle", "Title"},
		"empty":                     {"   ", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := CleanText(tt.in)
			if got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("CleanText(%q) = %q: invalid UTF-8", tt.in, got)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"paragraphs are lines": {"<p>One  two</p><p>Three\nfour</p>", "One two\nThree four"},
		"br breaks a line":     {"first<br>second<br/>third", "first\nsecond\nthird"},
		"inline joins":         {"<p>a<b>b</b><i>c</i> d</p>", "abc d"},
		"list items":           {"<ul><li>one</li><li>two</li></ul>", "one\ntwo"},
		"headings":             {"<h2>Title</h2>Body text", "Title\nBody text"},
		"table cells":          {"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		"pre keeps lines":      {"<pre>line 1\n  line 2\n\nline 4</pre>", "line 1\nline 2\nline 4"},
		"entities decoded":     {"<p>Q&amp;A &lt;tag&gt; &#x263A;</p>", "Q&A <tag> ☺"},
		"hidden content":       {"<p>a</p><script>var x = '<p>';</script><style>p{}</style><p>b</p>", "a\nb"},
		"empty blocks dropped": {"<div><p> </p></div><p>x</p><div></div>", "x"},
		"controls removed":     {"<p>a\x01b</p>", "ab"},
		"plain text":           {"just text", "just text"},
		"unclosed markup":      {"<p>open <b>bold", "open bold"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTextToHTML(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"plain paragraphs": {"First line\nstill first.\n\n  \nSecond & <3", "<p>First line\nstill first.</p><p>Second &amp; &lt;3</p>"},
		"crlf":             {"a\r\n\r\nb", "<p>a</p><p>b</p>"},
		"html untouched":   {"<p>Already <b>HTML</b></p>", "<p>Already <b>HTML</b></p>"},
		"entity is html":   {"Fish &amp; chips", "Fish &amp; chips"},
		"bare ampersand":   {"Q&A", "<p>Q&amp;A</p>"},
		"empty":            {"", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := textToHTML(tt.in); got != tt.want {
				t.Errorf("textToHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := map[string]struct {
		got, want string
	}{
		"runes, multi-byte":     {truncateRunes("ééééé", 3), "ééé"},
		"runes, short":          {truncateRunes("abc", 5), "abc"},
		"runes, exact":          {truncateRunes("日本語", 3), "日本語"},
		"bytes, rune boundary":  {truncateBytes("aé", 2), "a"},
		"bytes, ascii":          {truncateBytes("abcdef", 3), "abc"},
		"bytes, 4-byte rune":    {truncateBytes("a😀b", 4), "a"},
		"bytes, after the rune": {truncateBytes("a😀b", 5), "a😀"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
