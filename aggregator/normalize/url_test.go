package normalize

import (
	"net/url"
	"testing"
	"unicode/utf8"
)

func TestCanonicalURL(t *testing.T) {
	feed := mustURL(t, "https://news.example.com/feeds/rss.xml")
	tests := map[string]struct {
		raw  string
		base *url.URL
		want string
	}{
		"http default port":           {"http://Example.COM:80/a", nil, "http://example.com/a"},
		"https default port":          {"https://example.com:443/a", nil, "https://example.com/a"},
		"port with leading zero":      {"http://example.com:080/a", nil, "http://example.com/a"},
		"other port kept":             {"https://example.com:8443/a", nil, "https://example.com:8443/a"},
		"port out of range":           {"http://example.com:99999/a", nil, ""},
		"fragment dropped":            {"https://example.com/a#section-2", nil, "https://example.com/a"},
		"upper-case scheme and host":  {"HTTPS://WWW.Example.COM/Path/Kept", nil, "https://www.example.com/Path/Kept"},
		"empty path is slash":         {"https://example.com", nil, "https://example.com/"},
		"IDN host to ASCII":           {"https://BÜCHER.de/Über", nil, "https://xn--bcher-kva.de/%C3%9Cber"},
		"punycode host unchanged":     {"https://xn--bcher-kva.de/", nil, "https://xn--bcher-kva.de/"},
		"utm any case":                {"https://example.com/a?utm_Source=x&id=5&UTM_MEDIUM=y&Utm_campaign=z", nil, "https://example.com/a?id=5"},
		"click ids, order kept":       {"https://example.com/a?b=2&fbclid=x&gclid=y&a=1&msclkid=z&c=%20", nil, "https://example.com/a?b=2&a=1&c=%20"},
		"encoded tracking name":       {"https://example.com/a?utm%5Fsource=x&q=go", nil, "https://example.com/a?q=go"},
		"mailchimp and hubspot":       {"https://example.com/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&mkt_tok=5&igshid=6&ref_src=7", nil, "https://example.com/a"},
		"only tracking: no question":  {"https://example.com/a?gclid=1", nil, "https://example.com/a"},
		"empty query dropped":         {"https://example.com/a?", nil, "https://example.com/a"},
		"empty pairs dropped":         {"https://example.com/a?x=1&&y=2&", nil, "https://example.com/a?x=1&y=2"},
		"generic names kept":          {"https://example.com/a?ref=main&source=rss&id=1", nil, "https://example.com/a?ref=main&source=rss&id=1"},
		"relative path":               {"../world/story?id=3", feed, "https://news.example.com/world/story?id=3"},
		"root-relative":               {"/world/story", feed, "https://news.example.com/world/story"},
		"scheme-relative":             {"//cdn.example.com/x.png", feed, "https://cdn.example.com/x.png"},
		"relative without base":       {"/world/story", nil, ""},
		"dot segments":                {"https://example.com/a/./b/../c", nil, "https://example.com/a/c"},
		"spaces and newlines trimmed": {"  https://example.com/a\n", nil, "https://example.com/a"},
		"user info dropped":           {"https://user:secret@example.com/a", nil, "https://example.com/a"},
		"IPv6 default port":           {"http://[2001:DB8::1]:80/a", nil, "http://[2001:db8::1]/a"},
		"trailing dot in host":        {"https://example.com./a", nil, "https://example.com/a"},
		"bad host characters":         {"https://exa<mple.com/a", nil, ""},
		"javascript":                  {"javascript:alert(1)", feed, ""},
		"javascript mixed case":       {"JaVaScRiPt:alert(1)", feed, ""},
		"javascript split by newline": {"java\nscript:alert(1)", feed, ""},
		"javascript from xml:base":    {"javascript:///x", feed, ""},
		"data":                        {"data:text/html,<script>alert(1)</script>", feed, ""},
		"file":                        {"file:///etc/passwd", feed, ""},
		"mailto":                      {"mailto:desk@example.com", feed, ""},
		"ftp":                         {"ftp://example.com/a", nil, ""},
		"no host":                     {"http:///a", nil, ""},
		"empty":                       {"", feed, ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CanonicalURL(tt.raw, tt.base); got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

// TestCanonicalURLIdempotent checks that a canonical URL is its own
// canonical form, so keys built from it are stable when fed back.
func TestCanonicalURLIdempotent(t *testing.T) {
	tests := map[string]string{
		"tracking and port": "HTTP://Example.com:80/a/../b?utm_source=x&k=v#f",
		"IDN":               "https://bücher.de/straße?q=ä",
		"encoded path":      "https://example.com/a%20b/c%2Fd",
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			once := CanonicalURL(raw, nil)
			if once == "" {
				t.Fatalf("CanonicalURL(%q) = \"\"", raw)
			}
			if twice := CanonicalURL(once, nil); twice != once {
				t.Errorf("CanonicalURL(%q) = %q, then %q", raw, once, twice)
			}
		})
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// FuzzCanonicalURL: CanonicalURL never panics; what it returns is "" or an
// absolute http(s) URL with a host, valid UTF-8, without user info or
// fragment, and its own canonical form, with or without a base.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"HTTP://Example.com:80/a/../b?utm_source=x&k=v#f", "https://bücher.de/straße?q=ä",
		"https://example.com/a%20b/c%2Fd", "../world/story?id=3", "//cdn.example.com/x.png",
		"java\nscript:alert(1)", "javascript:///x", "data:text/html,<b>", "http://[2001:DB8::1]:80/a",
		"https://user:secret@example.com/a", "http://example.com:99999/a", "https://example.com/a?&copy=2",
		"http://127.1:80/", "http://0x7f000001/", "https://exa<mple.com/a", "  https://example.com/a\n",
	} {
		f.Add(s, "https://news.example.com/feeds/rss.xml")
		f.Add(s, "")
	}
	for _, u := range gofeedLinks(f) {
		f.Add(u, "https://news.example.com/feeds/rss.xml")
	}
	f.Fuzz(func(t *testing.T, raw, baseRaw string) {
		var base *url.URL
		if b, err := url.Parse(baseRaw); err == nil && b.IsAbs() {
			base = b
		}
		got := CanonicalURL(raw, base)
		if got == "" {
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("CanonicalURL(%q) = %q: invalid UTF-8", raw, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("CanonicalURL(%q) = %q, which does not parse: %v", raw, got, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("CanonicalURL(%q) = %q: not an absolute http(s) URL with a host and nothing else", raw, got)
		}
		if again := CanonicalURL(got, nil); again != got {
			t.Fatalf("CanonicalURL(%q) = %q, then %q", raw, got, again)
		}
		if again := CanonicalURL(got, base); again != got {
			t.Fatalf("CanonicalURL(%q) = %q, then against base %q: %q", raw, got, baseRaw, again)
		}
	})
}
