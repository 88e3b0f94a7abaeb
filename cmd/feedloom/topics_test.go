package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// previewFeed is an RSS document in language lang whose entries are
// published ago before now; each entry is {title, category, ago}.
func previewFeed(lang string, entries ...[3]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>feed</title><link>https://example.org/</link><description>d</description><language>%s</language>`, lang)
	for i, e := range entries {
		ago, err := time.ParseDuration(e[2])
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, `<item><guid>%s-%d</guid><title>%s</title><link>https://example.org/%s/%d</link><pubDate>%s</pubDate><description>Body %d.</description>`,
			lang, i, e[0], lang, i, time.Now().Add(-ago).UTC().Format(time.RFC1123Z), i)
		if e[1] != "" {
			fmt.Fprintf(&b, `<category>%s</category>`, e[1])
		}
		b.WriteString(`</item>`)
	}
	return b.String() + `</channel></rss>`
}

const previewConfig = `store: feedloom.db
sources:
  - url: file:feeds/wire.xml
    name: Wire
    tags: [wire]
  - url: file:feeds/tass.xml
    name: TASS
topics:
  - name: iran
    match:
%s
  - name: everything
`

// TestTopicsPreview polls two file: sources, then previews a topic with
// the rules of the config as it is at preview time.
func TestTopicsPreview(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "feeds"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, "feeds", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("wire.xml", previewFeed("en-US",
		[3]string{"Iranian navy tests a missile", "", "1h"},
		[3]string{"Talks in Tehran resume", "", "2h"},
		[3]string{"Iran beats Japan 2-1", "Sports", "3h"},
		[3]string{"Grain exports set a record", "", "4h"},
		[3]string{"Iran, ten days ago", "", "240h"},
	))
	write("tass.xml", previewFeed("ru", [3]string{"Iran talks in Moscow", "", "5h"}))
	rules := `      any: ["Iran*", 'title:re:/tehran/']
      none: ["category:sports"]
      languages: [en]
      max_age: 7d`
	cfg := writeConfig(t, dir, fmt.Sprintf(previewConfig, rules))
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 || !strings.Contains(out, "2 sources polled, 0 failed") {
		t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
	}

	code, out, errOut := run(t, "topics", "preview", "iran", "-config", cfg)
	if code != 0 {
		t.Fatalf("preview exited %d: %s", code, errOut)
	}
	t.Logf("preview:\n%s", out)
	wantLines(t, out, []string{
		`^iran: 2 of 5 items published in the last 7d would be taken under the rules in .*feedloom.yaml$`,
		`^PUBLISHED +SOURCE +TITLE +TAKEN BY$`,
		`^\S+ \S+ +Wire +Iranian navy tests a missile +any: "Iran\*"; languages: "en"; max_age: published 1h ago$`,
		`^\S+ \S+ +Wire +Talks in Tehran resume +any: "title:re:/tehran/"; languages: "en"; max_age: published 2h ago$`,
	})
	for _, not := range []string{"Grain", "Japan", "Moscow", "ten days", "Near misses"} {
		if strings.Contains(out, not) {
			t.Errorf("preview without -v shows %q", not)
		}
	}

	// -v adds the near misses, and flags go before or after the name.
	_, out, _ = run(t, "topics", "preview", "-v", "-since", "30d", "-config", cfg, "iran")
	t.Logf("preview -v -since 30d:\n%s", out)
	wantLines(t, out, []string{
		`^iran: 2 of 6 items published in the last 30d would be taken under the rules in .*; 3 near misses$`,
		`^PUBLISHED +SOURCE +TITLE +TAKEN BY$`,
		`Iranian navy tests a missile +any: "Iran\*"`,
		`Talks in Tehran resume +any: "title:re:/tehran/"`,
		`^Near misses: a term matched, but a rule excludes them.$`,
		`^PUBLISHED +SOURCE +TITLE +EXCLUDED BY$`,
		`^\S+ \S+ +Wire +Iran beats Japan 2-1 +none: "category:sports"$`,
		`^\S+ \S+ +TASS +Iran talks in Moscow +languages: "ru" is not listed$`,
		`^\S+ \S+ +Wire +Iran, ten days ago +max_age: published 10d ago, more than 7d$`,
	})
	if strings.Contains(out, "Grain") {
		t.Errorf("an item no term matched is shown as a near miss:\n%s", out)
	}

	// The rules are read from the config at preview time: no poll needed.
	writeConfig(t, dir, fmt.Sprintf(previewConfig, `      any: ["Moscow", "grain"]`))
	_, out, _ = run(t, "topics", "preview", "iran", "-since", "1d", "-config", cfg)
	wantLines(t, out, []string{
		`^iran: 2 of 5 items published in the last 1d would be taken`,
		`Grain exports set a record +any: "grain"$`,
		`TASS +Iran talks in Moscow +any: "Moscow"$`,
	})
	_, out, _ = run(t, "topics", "preview", "everything", "-since", "0", "-config", cfg)
	wantLines(t, out, []string{
		`^everything: 6 of 6 items stored would be taken`,
		`Iran, ten days ago +no rules: takes every item$`,
	})
}

func TestTopicsPreviewUsage(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - url: https://example.org/feed.xml\ntopics:\n  - name: a\n")
	tests := map[string]struct {
		args []string
		want string
	}{
		"no subcommand":      {[]string{"topics"}, "usage: feedloom topics preview NAME"},
		"unknown subcommand": {[]string{"topics", "rebuild-all"}, `unknown subcommand "rebuild-all"`},
		"no name":            {[]string{"topics", "preview", "-config", cfg}, "a topic NAME is required"},
		"two names":          {[]string{"topics", "preview", "a", "b", "-config", cfg}, `unexpected argument "b"`},
		"unknown topic":      {[]string{"topics", "preview", "nope", "-config", cfg}, `no topic "nope" in ` + cfg},
		"bad since":          {[]string{"topics", "preview", "a", "-since", "7x", "-config", cfg}, `invalid duration "7x"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tt.want)
			}
		})
	}
	bad := writeConfig(t, t.TempDir(), "sources:\n  - url: https://example.org/feed.xml\ntopics:\n  - name: a\n    match:\n      any: ['re:/(/']\n")
	code, _, errOut := run(t, "topics", "preview", "a", "-config", bad)
	if want := bad + `:6: topics[0].match.any[0]: invalid regular expression "re:/(/": missing closing )`; code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("bad rule: exit %d, stderr %q; want %q", code, errOut, want)
	}
}

// wantLines checks that every pattern matches some line of out, in order.
func wantLines(t *testing.T, out string, patterns []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	at := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for ; at < len(lines); at++ {
			if re.MatchString(lines[at]) {
				found, at = true, at+1
				break
			}
		}
		if !found {
			t.Errorf("no line after the previous match matches %q in:\n%s", p, out)
			return
		}
	}
}
