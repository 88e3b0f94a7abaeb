package clean

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxPasses bounds the passes of boilerplate and title removal: removing
// the title can leave a boilerplate line first ("Title Read more"), and
// removing a line can bring the title first. Two passes settle real items.
const maxPasses = 4

// minTitleWords is the shortest title removed from the start of a body. A
// body that starts with a one- or two-word title ("Tehran", "Oil prices")
// is more often a dateline or a sentence than a repeat.
const minTitleWords = 3

// Clean removes boilerplate from the item: the blocks of Summary and
// Content (sanitized HTML) whose text is one boilerplate line, and the
// title where it is repeated at the start of Summary or Content (glued or
// not: `…as Threat"We have once more…` keeps `"We have once more…`). Text
// is then made again from Summary and Content, as normalize makes it. An
// item with neither keeps its HTML empty and has the same removed from
// Text's lines.
//
// The item is not changed when nothing matches, or when neither text nor
// an image would be left. Clean is idempotent for a given model. m may be nil: the
// seeds and the title still apply.
func (m *Model) Clean(it *feedloom.Item) {
	bp := m.isBoilerplate
	summary, sChanged := cleanHTML(it.Summary, it.Title, bp)
	content, cChanged := cleanHTML(it.Content, it.Title, bp)
	var text string
	switch {
	case sChanged || cChanged:
		if summary == content {
			summary = ""
		}
		text = normalize.EntryText(summary, content)
	case it.Summary == "" && it.Content == "":
		var changed bool
		if text, changed = cleanText(it.Text, it.Title, bp); !changed {
			return
		}
	default:
		return
	}
	if strings.TrimSpace(text) == "" && !strings.Contains(summary+content, "<img") {
		return
	}
	it.Summary, it.Content, it.Text = summary, content, text
}

// cleanText removes boilerplate lines and the leading title from plain
// text, one line a paragraph.
func cleanText(text, title string, bp func(string) bool) (string, bool) {
	lines := strings.Split(text, "\n")
	changed := false
	for range maxPasses {
		kept := lines[:0:0]
		for _, l := range lines {
			if bp(l) {
				continue
			}
			kept = append(kept, l)
		}
		pass := len(kept) != len(lines)
		if len(kept) > 0 {
			if end, ok := titleEnd(kept[0], title); ok {
				pass = true
				if rest := kept[0][end:]; strings.TrimSpace(rest) == "" {
					kept = kept[1:]
				} else {
					kept[0] = rest
				}
			}
		}
		lines = kept
		if !pass {
			break
		}
		changed = true
	}
	return strings.Join(lines, "\n"), changed
}

// cleanHTML removes boilerplate blocks and the leading title from
// sanitized HTML. It returns s itself when nothing was removed, and the
// rest, sanitized again, when something was.
func cleanHTML(s, title string, bp func(string) bool) (string, bool) {
	if strings.TrimSpace(s) == "" {
		return s, false
	}
	root := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), root)
	if err != nil {
		return s, false
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	c := cleaner{root: root, title: title, bp: bp, blocks: blocks(root)}
	changed := false
	for range maxPasses {
		_, _, pruned := c.prune(root)
		stripped := c.stripTitle()
		if !pruned && !stripped {
			break
		}
		changed = true
	}
	if !changed {
		return s, false
	}
	var b strings.Builder
	for n := range root.ChildNodes() {
		if err := html.Render(&b, n); err != nil {
			return s, false
		}
	}
	// The sanitizer has the last word on anything stored; on its own
	// output it changes nothing but what was removed.
	return normalize.Sanitize(b.String(), nil), true
}

type cleaner struct {
	root   *html.Node
	title  string
	bp     func(string) bool
	blocks map[*html.Node]bool // see blocks
}

// A segment is one line of a parent's children: a block element, or a run
// of inline nodes ended by a <br> (kept in br) or by a block.
type segment struct {
	block *html.Node
	run   []*html.Node
	br    *html.Node
}

// blocks finds the elements that end a line: block elements, and inline
// elements with one inside (<a><div>…</div></a>). Removing nodes never
// adds a block, so the set stays right while the tree shrinks.
func blocks(root *html.Node) map[*html.Node]bool {
	set := make(map[*html.Node]bool)
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		has := false
		for c := range n.ChildNodes() {
			if walk(c) {
				has = true
			}
		}
		if n.Type != html.ElementNode || n.DataAtom == atom.Br {
			return has
		}
		if has || normalize.BreaksLine(n.DataAtom) {
			set[n] = true
			return true
		}
		return false
	}
	walk(root)
	return set
}

func (c *cleaner) segments(parent *html.Node) []segment {
	var segs []segment
	var run []*html.Node
	for n := range parent.ChildNodes() {
		switch {
		case n.Type == html.ElementNode && n.DataAtom == atom.Br:
			segs = append(segs, segment{run: run, br: n})
			run = nil
		case c.blocks[n]:
			if run != nil {
				segs = append(segs, segment{run: run})
				run = nil
			}
			segs = append(segs, segment{block: n})
		default:
			run = append(run, n)
		}
	}
	if run != nil {
		segs = append(segs, segment{run: run})
	}
	return segs
}

// runText is the text of a run of inline nodes, as PlainText gives it.
func runText(run []*html.Node) string {
	var b strings.Builder
	for _, n := range run {
		if err := html.Render(&b, n); err != nil {
			return ""
		}
	}
	return normalize.PlainText(b.String())
}

// prune removes the boilerplate lines below parent. It returns the number
// of lines under parent and how many are boilerplate; when all are, and
// parent is not the root, it removes nothing and leaves the parent to the
// caller, which removes it whole.
func (c *cleaner) prune(parent *html.Node) (lines, bp int, changed bool) {
	segs := c.segments(parent)
	var drop []segment
	for _, sg := range segs {
		if sg.block != nil {
			l, b, ch := c.prune(sg.block)
			lines, bp, changed = lines+l, bp+b, changed || ch
			if l > 0 && b == l {
				drop = append(drop, sg)
			}
			continue
		}
		text := runText(sg.run)
		if text == "" {
			continue
		}
		lines++
		if !strings.Contains(text, "\n") && c.bp(text) {
			bp++
			drop = append(drop, sg)
		}
	}
	if parent != c.root && lines > 0 && bp == lines {
		return lines, bp, changed
	}
	for _, sg := range drop {
		if sg.block != nil {
			c.removeBlock(sg.block)
			continue
		}
		for _, n := range sg.run {
			parent.RemoveChild(n)
		}
		if sg.br != nil {
			parent.RemoveChild(sg.br)
		}
	}
	return lines, bp, changed || len(drop) > 0
}

// removeBlock removes a block element; between two pieces of inline
// content it leaves a <br>, so that the lines on either side stay two
// lines and do not run together.
func (c *cleaner) removeBlock(n *html.Node) {
	parent := n.Parent
	if c.inline(neighbour(n, prevSibling)) && c.inline(neighbour(n, nextSibling)) {
		parent.InsertBefore(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br}, n)
	}
	parent.RemoveChild(n)
}

// inline reports whether n is inline content: not a block, not a <br>.
func (c *cleaner) inline(n *html.Node) bool {
	return n != nil && !c.blocks[n] && !(n.Type == html.ElementNode && n.DataAtom == atom.Br)
}

func prevSibling(n *html.Node) *html.Node { return n.PrevSibling }
func nextSibling(n *html.Node) *html.Node { return n.NextSibling }

// neighbour is the nearest sibling of n in one direction that is not
// white space.
func neighbour(n *html.Node, step func(*html.Node) *html.Node) *html.Node {
	for s := step(n); s != nil; s = step(s) {
		if s.Type != html.TextNode || strings.TrimSpace(s.Data) != "" {
			return s
		}
	}
	return nil
}

// stripTitle removes the title from the start of the first line with
// text.
func (c *cleaner) stripTitle() bool {
	sg, ok := c.firstLine(c.root)
	if !ok {
		return false
	}
	var texts []*html.Node
	for _, n := range sg.run {
		if n.Type == html.TextNode {
			texts = append(texts, n)
			continue
		}
		for d := range n.Descendants() {
			if d.Type == html.TextNode {
				texts = append(texts, d)
			}
		}
	}
	var all strings.Builder
	for _, t := range texts {
		all.WriteString(t.Data)
	}
	end, ok := titleEnd(all.String(), c.title)
	if !ok {
		return false
	}
	for _, t := range texts {
		if end == 0 {
			break
		}
		k := min(end, len(t.Data))
		t.Data, end = t.Data[k:], end-k
	}
	parent := sg.run[0].Parent
	for _, n := range sg.run {
		dropEmpty(n)
	}
	live := liveRun(sg.run, parent)
	if !slices.ContainsFunc(live, hasContent) {
		for _, n := range live {
			parent.RemoveChild(n)
		}
		if sg.br != nil {
			parent.RemoveChild(sg.br)
		}
		// A block left without content goes too (<p>Title</p>).
		for parent != c.root && !hasContent(parent) {
			up := parent.Parent
			up.RemoveChild(parent)
			parent = up
		}
	}
	return true
}

// firstLine finds the first run of inline nodes with text, in document
// order.
func (c *cleaner) firstLine(parent *html.Node) (segment, bool) {
	for _, sg := range c.segments(parent) {
		if sg.block != nil {
			if s, ok := c.firstLine(sg.block); ok {
				return s, true
			}
			if hasContent(sg.block) {
				// Content without a line of text (an image) comes
				// first: the body does not start with the title.
				return segment{}, false
			}
			continue
		}
		if runText(sg.run) != "" {
			return sg, true
		}
		for _, n := range sg.run {
			if hasContent(n) {
				return segment{}, false
			}
		}
	}
	return segment{}, false
}

// dropEmpty removes the text nodes and the inline elements that taking the
// title out left empty, in the subtree of n and n itself.
func dropEmpty(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		dropEmpty(c)
		c = next
	}
	if n.Parent == nil {
		return
	}
	switch {
	case n.Type == html.TextNode && n.Data == "":
		n.Parent.RemoveChild(n)
	case n.Type == html.ElementNode && n.FirstChild == nil && !voidElement(n.DataAtom):
		n.Parent.RemoveChild(n)
	}
}

// liveRun is the part of run still attached to parent.
func liveRun(run []*html.Node, parent *html.Node) []*html.Node {
	var live []*html.Node
	for _, n := range run {
		if n.Parent == parent {
			live = append(live, n)
		}
	}
	return live
}

func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Img, atom.Br, atom.Hr, atom.Col:
		return true
	}
	return false
}

// hasContent reports whether n has text other than white space, or an
// image.
func hasContent(n *html.Node) bool {
	if n.Type == html.TextNode {
		return strings.TrimSpace(n.Data) != ""
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Img {
		return true
	}
	for d := range n.Descendants() {
		if d.Type == html.TextNode && strings.TrimSpace(d.Data) != "" {
			return true
		}
		if d.Type == html.ElementNode && d.DataAtom == atom.Img {
			return true
		}
	}
	return false
}

// titleEnd reports whether text starts with title (after white space,
// ignoring case, white space runs and the kind of quotes), and returns the
// byte offset where the body proper starts: after the title and any
// separator (" - ", ": ", " | "), before any quote. The title must be
// followed by the end of text, a character that is not a letter or digit,
// or a capital glued to a lower-case end (`Coastal BasesThe Navy`): the
// end of a word, not the middle of one.
func titleEnd(text, title string) (int, bool) {
	if len(strings.Fields(title)) < minTitleWords {
		return 0, false
	}
	i := skipSpace(text, 0)
	var last rune
	for _, tr := range strings.Join(strings.Fields(title), " ") {
		if tr == ' ' {
			j := skipSpace(text, i)
			if j == i {
				return 0, false
			}
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if size == 0 || fold(r) != fold(tr) {
			return 0, false
		}
		i += size
		last = r
	}
	if next, _ := utf8.DecodeRuneInString(text[i:]); i < len(text) && wordRune(next) && wordRune(last) &&
		!(unicode.IsUpper(next) && unicode.IsLower(last)) {
		return 0, false
	}
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) && !strings.ContainsRune("-–—:|•·.,;", r) {
			break
		}
		i += size
	}
	return i, true
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fold maps a rune to what titleEnd compares: lower case, one kind of
// single and double quote.
func fold(r rune) rune {
	switch r {
	case '‘', '’', 'ʼ', '`':
		return '\''
	case '“', '”', '«', '»', '„':
		return '"'
	}
	return unicode.ToLower(r)
}
