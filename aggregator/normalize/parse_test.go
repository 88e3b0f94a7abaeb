package normalize

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFormats(t *testing.T) {
	tests := map[string]struct {
		feedType string
		items    int
	}{
		"rss2.xml":      {"rss", 8},
		"atom.xml":      {"atom", 4},
		"jsonfeed.json": {"json", 2},
		"rdf.xml":       {"rss", 2},
		"defapress.xml": {"rss", 5},
		"tass.xml":      {"rss", 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(readFixture(t, name), fixtures[name].contentType)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.FeedType != tt.feedType {
				t.Errorf("FeedType = %q, want %q", f.FeedType, tt.feedType)
			}
			if len(f.Items) != tt.items {
				t.Errorf("%d items, want %d", len(f.Items), tt.items)
			}
		})
	}
}

// TestParseErrors checks the sentinel each kind of bad document gives, and
// that no panic escapes.
func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		body string
		want error
	}{
		"json items null":        {`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[null]}`, ErrParserPanic},
		"json authors null":      {`{"version":"https://jsonfeed.org/version/1.1","title":"x","authors":[null],"items":[]}`, ErrParserPanic},
		"json null after item":   {`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1"},null]}`, ErrParserPanic},
		"html page":              {"<!DOCTYPE html>\n<html><head><title>Login</title></head><body><form></form></body></html>", ErrNotFeed},
		"html page, many voids":  {"<html><body>" + strings.Repeat("<br><img src=x>", 600) + "</body></html>", ErrNotFeed},
		"empty":                  {"", ErrNotFeed},
		"plain text":             {"Service Unavailable", ErrNotFeed},
		"broken XML":             {`<rss version="2.0"><channel><title>x</title><item><title>a</ti`, ErrMalformed},
		"JSON trailing garbage":  {`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[]} {"x":1}`, ErrMalformed},
		"unknown charset":        {`<?xml version="1.0" encoding="x-no-such-charset"?><rss version="2.0"><channel><title>x</title></channel></rss>`, ErrCharset},
		"too deep":               {nested(600), ErrTooDeep},
		"too many items":         {rssWithItems(maxItems + 1), ErrTooManyItems},
		"too many atom entries":  {atomWithEntries(maxItems + 1), ErrTooManyItems},
		"too many rdf items":     {rdfWithItems(maxItems + 1), ErrTooManyItems},
		"deep html in atom text": {`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">` + strings.Repeat("<div>", 700) + `</content></entry></feed>`, ErrTooDeep},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if f != nil {
				t.Errorf("Parse returned a feed with the error")
			}
			if !errors.Is(err, ErrParse) {
				t.Errorf("error %v does not match ErrParse", err)
			}
			if got, want := Kind(err), kindOf[tt.want]; got != want {
				t.Errorf("Kind = %q, want %q", got, want)
			}
		})
	}
}

var kindOf = map[error]string{
	ErrTooDeep: "too_deep", ErrTooManyItems: "too_many_items", ErrCharset: "charset",
	ErrParserPanic: "parser_panic", ErrNotFeed: "not_feed", ErrMalformed: "malformed",
}

func TestParseErrorMessages(t *testing.T) {
	_, err := Parse([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[null]}`), "")
	if err == nil || !strings.HasPrefix(err.Error(), "normalize: parser panic: ") {
		t.Errorf("panic error = %v, want it to start with %q", err, "normalize: parser panic: ")
	}
	_, err = Parse([]byte("<html><body>x</body></html>"), "text/html")
	if !errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		t.Errorf("not-a-feed error %v does not wrap gofeed's", err)
	}
}

// TestParseDepthNeverReachesGofeed: a document past the depth or item limit
// is rejected before gofeed is called; one at the limit reaches it.
func TestParseDepthNeverReachesGofeed(t *testing.T) {
	tests := map[string]struct {
		body        string
		wantErr     error
		wantGofeed  bool
		contentType string
	}{
		"600 levels":           {nested(600), ErrTooDeep, false, ""},
		"513 levels":           {nested(513 - 3), ErrTooDeep, false, ""},
		"512 levels":           {nested(512 - 3), nil, true, ""},
		"600 levels, cp1251":   {`<?xml version="1.0" encoding="windows-1251"?>` + nested(600), ErrTooDeep, false, ""},
		"600 levels, header":   {nested(600), ErrTooDeep, false, "text/xml; charset=iso-8859-1"},
		"5001 items":           {rssWithItems(maxItems + 1), ErrTooManyItems, false, ""},
		"5000 items":           {rssWithItems(maxItems), nil, true, ""},
		"stray end tags first": {`<rss><channel>` + strings.Repeat("</x>", 100) + strings.Repeat("<x:a>", 600), ErrTooDeep, false, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			called := false
			gf := func(doc []byte) (*gofeed.Feed, error) {
				called = true
				return parseGofeed(doc)
			}
			_, err := parse([]byte(tt.body), tt.contentType, gf)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if called != tt.wantGofeed {
				t.Errorf("gofeed called = %v, want %v", called, tt.wantGofeed)
			}
		})
	}
}

func TestParseCharsets(t *testing.T) {
	const (
		russian = "Москва считает развертывание ПРО США в Японии угрозой"
		french  = "Élysée : la réforme, déjà très critiquée"
		arabic  = "موسكو تعتبر نشر الدرع الصاروخية الأمريكية في اليابان تهديدا"
	)
	rss := func(decl, title string) string {
		return decl + `<rss version="2.0"><channel><title>t</title><item><title>` + title + `</title><guid>1</guid></item></channel></rss>`
	}
	enc := func(t *testing.T, s string, cm *charmap.Charmap) string {
		t.Helper()
		b, err := cm.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(t *testing.T, s string) string {
		t.Helper()
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := map[string]struct {
		body        func(t *testing.T) string
		contentType string
		want        string
	}{
		"windows-1251 in prolog": {
			func(t *testing.T) string {
				return enc(t, rss(`<?xml version="1.0" encoding="windows-1251"?>`, russian), charmap.Windows1251)
			}, "text/xml", russian},
		"ISO-8859-1 in Content-Type only": {
			func(t *testing.T) string {
				return enc(t, rss(`<?xml version="1.0"?>`, french), charmap.ISO8859_1)
			}, "application/rss+xml; charset=ISO-8859-1", french},
		"windows-1256 in Content-Type, no prolog": {
			func(t *testing.T) string { return enc(t, rss("", arabic), charmap.Windows1256) },
			`text/xml; charset="windows-1256"`, arabic},
		"prolog wins over Content-Type": {
			func(t *testing.T) string {
				return enc(t, rss(`<?xml version="1.0" encoding="windows-1251"?>`, russian), charmap.Windows1251)
			}, "text/xml; charset=iso-8859-1", russian},
		"UTF-8 served as ISO-8859-1": {
			func(t *testing.T) string { return rss(`<?xml version="1.0"?>`, french) },
			"text/xml; charset=ISO-8859-1", french},
		"UTF-16 with BOM": {
			func(t *testing.T) string { return utf16(t, rss(`<?xml version="1.0" encoding="UTF-16"?>`, russian)) },
			"", russian},
		"UTF-8 BOM": {
			func(t *testing.T) string {
				return "\xEF\xBB\xBF" + rss(`<?xml version="1.0" encoding="utf-8"?>`, french)
			},
			"", french},
		"unknown Content-Type charset ignored": {
			func(t *testing.T) string { return rss("", french) },
			"text/xml; charset=x-unknown", french},
		"JSON with ISO-8859-1 Content-Type": {
			func(t *testing.T) string {
				return enc(t, `{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[{"id":"1","title":"`+french+`"}]}`, charmap.ISO8859_1)
			}, "application/feed+json; charset=iso-8859-1", french},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body(t)), tt.contentType)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(f.Items) != 1 {
				t.Fatalf("%d items, want 1", len(f.Items))
			}
			if got := f.Items[0].Title; got != tt.want {
				t.Errorf("title = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseCharsetFixtures reads real feeds in windows-1256 (Persian),
// windows-1251 (Russian) and ISO-8859-1 (French), each with the charset
// declared in the XML prolog and, separately, only in the HTTP
// Content-Type, and checks the exact UTF-8 that comes out.
func TestParseCharsetFixtures(t *testing.T) {
	tests := map[string]struct {
		feedTitle, title, description string
	}{
		"persian-1256.xml": {
			"خبرگزاري دفاع",
			"مسکو استقرار سامانه دفاع موشکي آمريکا در ژاپن را تهديد مي\u200cداند",
			"<p>«ما بار ديگر توجه را به اين واقعيت جلب کرديم که استقرار سامانه\u200cهاي دفاع موشکي آمريکا در ژاپن امنيت روسيه را تهديد مي\u200cکند»، سخنگوي وزارت امور خارجه روسيه گفت.</p>",
		},
		"persian-1256-header.xml": {
			"خبرگزاري دفاع",
			"رزمايش مشترک يگان\u200cهاي پدافند هوايي در استان مرکزي برگزار شد",
			"<p>اين رزمايش دو روزه روز جمعه به پايان رسيد.</p>",
		},
		"windows-1251.xml": {
			"Новости обороны",
			"Москва считает развертывание ПРО США в Японии угрозой",
			"<p>«Мы вновь обратили внимание» — заявила официальный представитель МИД.</p>",
		},
		"windows-1251-header.xml": {
			"Новости обороны",
			"Министры иностранных дел России и Японии проведут переговоры в Москве",
			"<p>В повестке — двусторонние отношения и региональная безопасность, сообщили в МИД.</p>",
		},
		"latin1-prolog.xml": {
			"Actualités françaises",
			"Grève à la SNCF : trafic très perturbé jeudi, prévient la direction",
			"<p>Les syndicats appellent à une journée de mobilisation ; la direction prévoit un TGV sur deux.</p>",
		},
		"latin1-header.xml": {
			"Actualités françaises",
			"Élysée : la réforme, déjà très critiquée, arrive à l'Assemblée",
			"<p>Le texte sera examiné à partir de mercredi, a précisé le ministère.</p>",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse(readFixture(t, name), fixtures[name].contentType)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.Title != tt.feedTitle {
				t.Errorf("feed title = %q, want %q", f.Title, tt.feedTitle)
			}
			if len(f.Items) != 1 {
				t.Fatalf("%d items, want 1", len(f.Items))
			}
			if got := f.Items[0].Title; got != tt.title {
				t.Errorf("title = %q, want %q", got, tt.title)
			}
			if got := f.Items[0].Description; got != tt.description {
				t.Errorf("description = %q, want %q", got, tt.description)
			}
			if strings.HasSuffix(name, "-header.xml") {
				// The header is what declares it.
				f, err := Parse(readFixture(t, name), "text/xml")
				if err != nil {
					t.Fatalf("Parse without charset: %v", err)
				}
				if f.Items[0].Title == tt.title {
					t.Errorf("title decoded without the Content-Type charset; the fixture does not test the header")
				}
			}
		})
	}
}

// TestParseLatin1WithoutHeader shows the Content-Type is what makes the
// ISO-8859-1 fixture readable: without it, the bytes are read as UTF-8 and
// repaired, so the feed still parses.
func TestParseLatin1WithoutHeader(t *testing.T) {
	f, err := Parse(readFixture(t, "latin1-header.xml"), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	title := f.Items[0].Title
	if !strings.Contains(title, "\uFFFD") || strings.Contains(title, "É") {
		t.Errorf("title = %q, want U+FFFD where the ISO-8859-1 bytes were", title)
	}
}

func TestParseInvalidUTF8(t *testing.T) {
	body := readFixture(t, "invalid-utf8.xml")
	if utf8.Valid(body) {
		t.Fatal("fixture is valid UTF-8; it must not be")
	}
	if _, err := gofeed.NewParser().Parse(bytes.NewReader(body)); err == nil {
		t.Log("gofeed alone now parses invalid UTF-8; the repair may no longer be needed")
	}
	f, err := Parse(body, "application/rss+xml; charset=utf-8")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(f.Items) != 1 {
		t.Fatalf("%d items, want 1", len(f.Items))
	}
	it := f.Items[0]
	for _, s := range []string{it.Title, it.Description} {
		if !utf8.ValidString(s) {
			t.Errorf("%q is not valid UTF-8", s)
		}
	}
	// One U+FFFD per run of invalid bytes: \xff\xfe\xc3 is one run.
	if want := "Caf\uFFFD \uFFFD( ok €"; it.Title != want {
		t.Errorf("title = %q, want %q", it.Title, want)
	}
	if strings.ContainsAny(it.Description, "\x01\x08") {
		t.Errorf("description %q keeps control characters", it.Description)
	}
}

// nested returns an RSS document whose item holds n levels of nested
// namespaced elements (the shape that overflows gofeed's stack); the
// document is n+3 levels deep.
func nested(n int) string {
	return `<rss version="2.0" xmlns:x="urn:x"><channel><item>` +
		strings.Repeat("<x:a>", n) + strings.Repeat("</x:a>", n) +
		`</item></channel></rss>`
}

func rssWithItems(n int) string {
	return `<rss version="2.0"><channel><title>t</title>` +
		strings.Repeat("<item><title>i</title></item>", n) + `</channel></rss>`
}

func atomWithEntries(n int) string {
	return `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>` +
		strings.Repeat("<entry><title>e</title></entry>", n) + `</feed>`
}

func rdfWithItems(n int) string {
	return `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel>` +
		strings.Repeat("<item><title>i</title></item>", n) + `</rdf:RDF>`
}
