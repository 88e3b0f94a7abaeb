package normalize

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/encoding/charmap"
)

// TestParseLongPrologue (threat case 24): a feed whose root element starts
// after 5 KiB of comments, a DOCTYPE or a large xml-stylesheet is beyond
// gofeed's 4 KiB detection window; Parse removes the prolog and reads it,
// keeping the XML declaration's encoding.
func TestParseLongPrologue(t *testing.T) {
	const body = `<rss version="2.0"><channel><title>Long prolog</title><item><title>Москва</title><guid>1</guid></item></channel></rss>`
	pad := strings.Repeat("x", 5<<10)
	tests := map[string]string{
		"comments":       `<?xml version="1.0"?>` + "\n" + strings.Repeat("<!-- "+pad[:100]+" -->\n", 52) + body,
		"doctype":        `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY pad "` + pad + `"> <!-- ] > --> <!ATTLIST rss a CDATA "]>">]>` + body,
		"xml-stylesheet": `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="https://example.com/` + pad + `.xsl"?>` + body,
		"no declaration": strings.Repeat("<!-- "+pad[:100]+" -->\n", 52) + body,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if strings.Index(doc, "<rss") <= 4096 {
				t.Fatalf("root at %d: not beyond 4 KiB", strings.Index(doc, "<rss"))
			}
			if _, err := gofeed.NewParser().Parse(strings.NewReader(doc)); !errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
				t.Logf("gofeed alone now reads a root past 4 KiB (err %v): the prolog removal may no longer be needed", err)
			}
			f, err := Parse([]byte(doc), "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.Title != "Long prolog" || len(f.Items) != 1 || f.Items[0].Title != "Москва" {
				t.Errorf("got title %q and %d items", f.Title, len(f.Items))
			}
		})
	}
	t.Run("declared encoding kept", func(t *testing.T) {
		doc, err := charmap.Windows1251.NewEncoder().String(`<?xml version="1.0" encoding="windows-1251"?>` +
			strings.Repeat("<!-- "+pad[:100]+" -->\n", 52) + body)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse([]byte(doc), "")
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got := f.Items[0].Title; got != "Москва" {
			t.Errorf("title %q, want Москва", got)
		}
	})
	t.Run("unterminated prolog", func(t *testing.T) {
		doc := "<!-- " + pad + body
		if _, err := Parse([]byte(doc), ""); !errors.Is(err, ErrNotFeed) {
			t.Errorf("Parse error %v, want ErrNotFeed", err)
		}
	})
	t.Run("short prolog untouched", func(t *testing.T) {
		doc := []byte(`<?xml version="1.0"?><!-- short -->` + body)
		if got := skipLongPrologue(doc); !bytes.Equal(got, doc) {
			t.Errorf("a short prolog was rewritten: %q", got)
		}
	})
}
