package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestRepublishPolicy polls three sources with the three policies and
// reads what each format publishes of them; the feeds stay valid (gofeed,
// and feedparser with bozo 0 where it is installed).
func TestRepublishPolicy(t *testing.T) {
	dir := t.TempDir()
	feed := func(name, word string) {
		body := fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>%[1]s</title><link>https://%[1]s.example/</link><description>d</description>
<item><title>%[2]s headline</title><link>https://%[1]s.example/1</link><guid>%[1]s-1</guid><pubDate>Sat, 11 May 2019 10:41:00 +0000</pubDate>
<description><![CDATA[<p>%[2]s lead paragraph about %[2]s matters.</p><p>%[3]s</p>]]></description></item></channel></rss>`,
			name, word, strings.Repeat(word+"tail ", 120))
		if err := os.WriteFile(filepath.Join(dir, name+".xml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	feed("full", "Alpha")
	feed("short", "Bravo")
	feed("bare", "Charlie")
	cfg := filepath.Join(dir, "feedloom.yaml")
	os.WriteFile(cfg, []byte(`store: feedloom.db
sources:
  - url: file:full.xml
    name: Full
    republish: full
    rights: "© 2026 Full & Co, CC BY 4.0"
  - url: file:short.xml
    name: Short
    max_length: 20
  - url: file:bare.xml
    name: Bare
    republish: title
topics:
  - name: all
`), 0o644)
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 {
		t.Fatalf("poll: %d\n%s%s", code, out, errOut)
	}
	out := filepath.Join(dir, "out")
	if code, o, errOut := run(t, "export", "-config", cfg, "-out", out); code != 0 {
		t.Fatalf("export: %d\n%s%s", code, o, errOut)
	}
	for _, ext := range []string{"rss", "atom", "json"} {
		b, err := os.ReadFile(filepath.Join(out, "topics", "all."+ext))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if _, err := gofeed.NewParser().ParseString(s); err != nil {
			t.Errorf("%s: gofeed: %v", ext, err)
		}
		if ext != "json" {
			checkFeedparser(t, b)
		}
		// full: the whole text, with its rights.
		if !strings.Contains(s, strings.Repeat("Alphatail ", 100)) {
			t.Errorf("%s: the full source's text is cut", ext)
		}
		rights := map[string]string{"rss": "<dc:rights>© 2026 Full &amp; Co, CC BY 4.0</dc:rights>",
			"atom": "<rights>© 2026 Full &amp; Co, CC BY 4.0</rights>", "json": `"rights": "© 2026 Full & Co, CC BY 4.0"`}[ext]
		if strings.Count(s, rights) != 1 {
			t.Errorf("%s: rights %q not once in\n%s", ext, rights, s)
		}
		// summary with max_length 20: the lead cut on a word.
		if !strings.Contains(s, "Bravo lead…") || strings.Contains(s, "Bravo lead paragraph") || strings.Contains(s, "Bravotail") || strings.Contains(s, "Bravo matters") {
			t.Errorf("%s: the summary source is not cut to 20 runes:\n%s", ext, s)
		}
		// title: the headline and link, no text.
		if !strings.Contains(s, "Charlie headline") || strings.Contains(s, "Charlie lead") || strings.Contains(s, "Charlietail") {
			t.Errorf("%s: the title-only source publishes text:\n%s", ext, s)
		}
	}
}
