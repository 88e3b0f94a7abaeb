package normalize

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
)

const (
	// maxDepth is the deepest element nesting Parse accepts. Real feeds
	// nest a dozen levels; gofeed v1.4.2 recurses once per level of
	// namespaced elements and dies of a stack overflow (which recover
	// cannot catch) somewhere past a million.
	maxDepth = 512
	// maxItems is the largest number of entries Parse accepts in one
	// document.
	maxItems = 5000
)

var (
	// ErrParse is matched (errors.Is) by every error Parse returns, so
	// that callers can tell a document that cannot be read from a failure
	// elsewhere (fetching, storing). Kind names which rejection it was.
	ErrParse = errors.New("normalize: cannot parse")
	// ErrNotFeed is returned when the document is not RSS, Atom or JSON
	// Feed (an HTML page, an empty body). It wraps gofeed's error.
	ErrNotFeed = errors.New("normalize: not a feed")
	// ErrTooDeep is returned when XML elements are nested more than 512
	// levels deep. gofeed never sees such a document.
	ErrTooDeep = errors.New("normalize: XML nested too deeply")
	// ErrTooManyItems is returned when a document holds more than 5,000
	// entries.
	ErrTooManyItems = errors.New("normalize: too many items")
	// ErrCharset is returned when the XML declaration names a character
	// encoding that is not supported.
	ErrCharset = errors.New("normalize: unsupported charset")
	// ErrParserPanic is returned when gofeed panics on the document (for
	// example gofeed issue #355, a JSON Feed with "items":[null]).
	ErrParserPanic = errors.New("normalize: parser panic")
	// ErrMalformed is returned when gofeed detects the format but cannot
	// read the document: broken XML, invalid JSON, trailing garbage
	// after a JSON Feed, JSON nested past Go's decoder limit.
	ErrMalformed = errors.New("normalize: malformed feed")
)

// kinds names each rejection for Kind, in the order Kind tests them.
var kinds = []struct {
	err  error
	name string
}{
	{ErrTooDeep, "too_deep"},
	{ErrTooManyItems, "too_many_items"},
	{ErrCharset, "charset"},
	{ErrParserPanic, "parser_panic"},
	{ErrNotFeed, "not_feed"},
	{ErrMalformed, "malformed"},
}

// Kind returns a short, stable name of the rejection err is, for display
// and metrics: "too_deep", "too_many_items", "charset", "parser_panic",
// "not_feed" or "malformed". It returns "" when err does not come from
// Parse.
func Kind(err error) string {
	var pe *parseError
	if !errors.As(err, &pe) {
		return ""
	}
	for _, k := range kinds {
		if errors.Is(pe.err, k.err) {
			return k.name
		}
	}
	return "malformed"
}

// Kinds returns every name Kind can return.
func Kinds() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// parseError marks an error as coming from Parse (see ErrParse) and keeps
// its message.
type parseError struct{ err error }

func (e *parseError) Error() string        { return e.err.Error() }
func (e *parseError) Unwrap() error        { return e.err }
func (e *parseError) Is(target error) bool { return target == ErrParse }

// Parse turns a fetched document into a feed. contentType is the HTTP
// Content-Type (may be empty).
//
// The character encoding is chosen in this order: a UTF-16 byte order mark;
// the encoding named in the XML declaration; the charset parameter of
// contentType; UTF-8. A non-UTF-8 charset from contentType is not applied
// when the document is already valid UTF-8 with non-ASCII bytes: servers
// that default every text response to ISO-8859-1 are common, and valid
// multi-byte UTF-8 does not occur by chance in single-byte text. An unknown
// charset in contentType is ignored; an unknown one in the XML declaration
// gives ErrCharset. A document read as UTF-8 has its invalid byte sequences
// replaced by U+FFFD, so one bad byte does not lose the feed.
//
// Character references to characters XML does not allow (&#0;, &#xD800;)
// become U+FFFD. Before gofeed sees an XML document, a prolog longer than
// 2 KiB (comments, a DOCTYPE, a large xml-stylesheet) is removed so that
// gofeed's 4 KiB detection window finds the root, and a streaming scan
// rejects nesting
// deeper than 512 levels (ErrTooDeep) and more than 5,000 entries
// (ErrTooManyItems). A panic inside gofeed becomes ErrParserPanic.
//
// Every error matches ErrParse and one of ErrTooDeep, ErrTooManyItems,
// ErrCharset, ErrParserPanic, ErrNotFeed or ErrMalformed; Kind names it.
func Parse(body []byte, contentType string) (*gofeed.Feed, error) {
	f, err := parse(body, contentType, parseGofeed)
	if err != nil {
		return nil, &parseError{err}
	}
	return f, nil
}

// parse is Parse with the gofeed call passed in, so that tests can observe
// whether the document reached gofeed.
func parse(body []byte, contentType string, gf func([]byte) (*gofeed.Feed, error)) (*gofeed.Feed, error) {
	doc, err := decode(body, contentType)
	if err != nil {
		return nil, err
	}
	if !isJSON(doc) {
		doc = skipLongPrologue(fixCharRefs(doc))
		if err := prescan(doc); err != nil {
			return nil, err
		}
	}
	f, err := gf(doc)
	switch {
	case errors.Is(err, ErrParserPanic):
		return nil, err
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		return nil, fmt.Errorf("%w: %w", ErrNotFeed, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	case f == nil:
		return nil, fmt.Errorf("%w: no feed", ErrNotFeed)
	case len(f.Items) > maxItems:
		// A JSON Feed, or XML entries where the scan does not look.
		return nil, fmt.Errorf("%w: %d entries, the limit is %d", ErrTooManyItems, len(f.Items), maxItems)
	}
	return f, nil
}

// parseGofeed runs gofeed's universal parser and turns a panic into
// ErrParserPanic.
func parseGofeed(doc []byte) (f *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("%w: %v", ErrParserPanic, r)
		}
	}()
	p := gofeed.NewParser()
	// Items reads from the original feed what the universal one loses:
	// whether content is declared plain text. The original shares its
	// strings with the universal feed, so it costs only its structs.
	p.KeepOriginalFeed = true
	return p.Parse(bytes.NewReader(doc))
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
)

// xmlDeclEncoding finds the encoding pseudo-attribute of an XML declaration
// at the start of a document.
var xmlDeclEncoding = regexp.MustCompile(`\A\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']`)

// decode returns the document as gofeed should read it: UTF-8 (repaired)
// unless the XML declaration names another encoding, which gofeed decodes
// itself (its XML decoder has a CharsetReader); C0 control characters other
// than tab, newline and carriage return removed, as gofeed's own filter does
// for XML, so that the scan and gofeed read the same bytes.
func decode(body []byte, contentType string) ([]byte, error) {
	b := body
	switch {
	case bytes.HasPrefix(b, bomUTF8):
		b = b[len(bomUTF8):]
	case bytes.HasPrefix(b, bomUTF16BE), bytes.HasPrefix(b, bomUTF16LE):
		// encoding/xml reads no UTF-16: decode it here and say so in the
		// declaration.
		u, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		if err != nil {
			return nil, fmt.Errorf("%w: UTF-16: %w", ErrCharset, err)
		}
		return repairUTF8(setDeclEncodingUTF8(u)), nil
	}

	label, fromDecl := "", false
	if m := xmlDeclEncoding.FindSubmatch(head(b, 1024)); m != nil {
		label, fromDecl = string(m[1]), true
	} else if contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			label = params["charset"]
		}
	}
	label = strings.TrimSpace(label)
	if label == "" {
		return repairUTF8(b), nil
	}
	enc, name := charset.Lookup(label)
	switch {
	case enc == nil && fromDecl:
		return nil, fmt.Errorf("%w %q", ErrCharset, label)
	case enc == nil, name == "utf-8":
		return repairUTF8(b), nil
	case fromDecl:
		// gofeed's decoder honours the declaration.
		return dropC0(b), nil
	case utf8.Valid(b) && !isASCII(b):
		// A server default charset on a UTF-8 document (see Parse).
		return dropC0(b), nil
	}
	u, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrCharset, label, err)
	}
	return repairUTF8(u), nil
}

// setDeclEncodingUTF8 rewrites the encoding named in the XML declaration of
// an already-decoded document to UTF-8.
func setDeclEncodingUTF8(b []byte) []byte {
	m := xmlDeclEncoding.FindSubmatchIndex(head(b, 1024))
	if m == nil {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:m[2]]...)
	out = append(out, "UTF-8"...)
	return append(out, b[m[3]:]...)
}

// repairUTF8 replaces each run of invalid UTF-8 with U+FFFD, removes the
// noncharacters U+FFFE and U+FFFF (not allowed in XML) and drops C0
// controls.
func repairUTF8(b []byte) []byte {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	if bytes.Contains(b, []byte("\uFFFE")) || bytes.Contains(b, []byte("\uFFFF")) {
		b = bytes.ReplaceAll(b, []byte("\uFFFE"), nil)
		b = bytes.ReplaceAll(b, []byte("\uFFFF"), nil)
	}
	return dropC0(b)
}

// dropC0 removes the bytes below 0x20 other than tab, newline and carriage
// return. They are illegal in XML and in JSON outside strings' escapes, mean
// the same in UTF-8 and in every single-byte charset, and never occur inside
// a multi-byte UTF-8 sequence. b is copied only when it has any.
func dropC0(b []byte) []byte {
	i := 0
	for i < len(b) && !isC0(b[i]) {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for _, c := range b[i:] {
		if !isC0(c) {
			out = append(out, c)
		}
	}
	return out
}

func isC0(c byte) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// fixCharRefs replaces each character reference to a character XML does
// not allow (&#0;, &#x8;, a surrogate such as &#xD800;, &#xFFFE;) with
// &#xFFFD;: gofeed's decoder stops at the first one, losing the feed.
// Inside a CDATA section the reference is text, and becomes other text.
func fixCharRefs(doc []byte) []byte {
	var out []byte
	last := 0
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte("&#"))
		if j < 0 {
			break
		}
		i += j
		end := bytes.IndexByte(doc[i:min(i+16, len(doc))], ';')
		if end < 0 {
			i += 2
			continue
		}
		if r, ok := charRef(doc[i+2 : i+end]); ok && !xmlChar(r) {
			out = append(out, doc[last:i]...)
			out = append(out, "&#xFFFD;"...)
			last = i + end + 1
		}
		i += end + 1
	}
	if out == nil {
		return doc
	}
	return append(out, doc[last:]...)
}

// charRef reads the number of a character reference, without "&#" and
// ";": decimal, or hexadecimal after "x".
func charRef(b []byte) (rune, bool) {
	base := 10
	if len(b) > 0 && (b[0] == 'x' || b[0] == 'X') {
		base, b = 16, b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		if n = n*base + d; n > 0x10FFFF {
			return 0x110000, true // too large: not a character
		}
	}
	return rune(n), true
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// longPrologue is where skipLongPrologue starts to act. gofeed looks for
// the root element in the first 4 KiB only (gofeed #327) and calls a
// document whose root starts later "not a feed"; the root start tag itself
// may take a kilobyte of namespace declarations.
const longPrologue = 2 << 10

// skipLongPrologue returns doc with what precedes its root element (the
// comments, processing instructions such as a large xml-stylesheet, and a
// DOCTYPE) removed when the root starts more than 2 KiB in, keeping the
// XML declaration, so that gofeed finds the root. None of what is removed
// carries feed content: encoding/xml expands no entity a DOCTYPE declares.
// A document that does not look like XML is returned as it is.
func skipLongPrologue(doc []byte) []byte {
	root := rootStart(doc)
	if root < longPrologue {
		return doc
	}
	var out []byte
	t := bytes.TrimLeft(doc, " \t\r\n")
	if bytes.HasPrefix(t, []byte("<?xml")) {
		if end := bytes.Index(t, []byte("?>")); end > 0 {
			out = append(out, t[:end+2]...)
			out = append(out, '\n')
		}
	}
	return append(out, doc[root:]...)
}

// rootStart returns the offset of the root element's start tag in doc,
// after the XML prolog, or -1 when doc does not look like XML or the
// prolog does not end.
func rootStart(doc []byte) int {
	i := 0
	for {
		for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\r' || doc[i] == '\n') {
			i++
		}
		rest := doc[i:]
		var end int
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			end = bytes.Index(rest, []byte("?>")) + len("?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = bytes.Index(rest, []byte("-->")) + len("-->")
		case bytes.HasPrefix(rest, []byte("<!")):
			end = declEnd(rest)
		case len(rest) > 1 && rest[0] == '<':
			return i
		default:
			return -1
		}
		if end <= 1 {
			return -1
		}
		i += end
	}
}

// declEnd returns the length of the markup declaration (a DOCTYPE, with
// its internal subset, whose quoted values and comments may hold "]" and
// ">") at the start of b, or 0 when it does not end.
func declEnd(b []byte) int {
	var quote byte
	depth := 0 // inside [ ] of an internal subset
	for i := 2; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case depth > 0 && bytes.HasPrefix(b[i:], []byte("<!--")):
			end := bytes.Index(b[i:], []byte("-->"))
			if end < 0 {
				return 0
			}
			i += end + len("-->") - 1
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case c == '>' && depth == 0:
			return i + 1
		}
	}
	return 0
}

// isJSON reports whether gofeed will read doc as JSON: its first
// significant byte is "{".
func isJSON(doc []byte) bool {
	t := bytes.TrimLeft(doc, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// prescan reads an XML document token by token, without building anything,
// and returns ErrTooDeep or ErrTooManyItems before gofeed is given a
// document it would choke on. It counts <item> and <entry> elements at the
// depths where RSS, RDF and Atom put them. A document whose root is not
// rss, RDF or feed is left to gofeed, which rejects it without reading
// further; a syntax error ends the scan, because gofeed's decoder stops at
// the same place.
func prescan(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	depth, items, root := 0, 0, false
	for {
		tok, err := d.RawToken()
		if err != nil {
			// io.EOF, or a syntax error gofeed will report.
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if !root {
				root = true
				switch strings.ToLower(t.Name.Local) {
				case "rss", "rdf", "feed":
				default:
					return nil
				}
			}
			if depth > maxDepth {
				return fmt.Errorf("%w: more than %d levels", ErrTooDeep, maxDepth)
			}
			if depth <= 3 && (t.Name.Local == "item" || t.Name.Local == "entry") {
				items++
				if items > maxItems {
					return fmt.Errorf("%w: more than %d entries", ErrTooManyItems, maxItems)
				}
			}
		case xml.EndElement:
			// RawToken does not match end tags to start tags. Stray end
			// tags can make the count lower than the depth gofeed sees,
			// but by no more than the depth already counted (at most
			// maxDepth), which keeps gofeed far from its limit.
			if depth > 0 {
				depth--
			}
		}
	}
}
