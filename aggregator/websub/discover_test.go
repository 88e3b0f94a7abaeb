package websub

import (
	"net/http"
	"testing"
)

func TestDiscover(t *testing.T) {
	tests := []struct {
		name      string
		link      []string // Link header values
		body      string
		hub, self string
	}{
		{
			name: "Link header, one value",
			link: []string{`<https://hub.example/>; rel="hub", <https://example.org/feed>; rel="self"`},
			hub:  "https://hub.example/", self: "https://example.org/feed",
		},
		{
			name: "Link headers, separate values, unquoted rel, other links and params",
			link: []string{`<https://example.org/>; rel=alternate; title="a, b; c"`, `<https://hub.example/a>;rel=hub`, `<https://hub.example/b>; rel="hub"`, `</feed.xml>; rel="self"`},
			hub:  "https://hub.example/a", self: "/feed.xml",
		},
		{
			name: "rel with several values",
			link: []string{`<https://hub.example/>; rel="hub self"`},
			hub:  "https://hub.example/", self: "https://hub.example/",
		},
		{
			name: "headers win over the document",
			link: []string{`<https://hub.example/h>; rel="hub"`},
			body: `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://other.example/"/><link rel="self" href="https://example.org/atom"/></feed>`,
			hub:  "https://hub.example/h", self: "https://example.org/atom",
		},
		{
			name: "Atom",
			body: `<?xml version="1.0" encoding="windows-1251"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<link rel="alternate" href="https://example.org/"/><link rel="self" href="https://example.org/atom"/><link rel="hub" href="https://hub.example/"/>
<entry><link rel="hub" href="https://entry.example/"/></entry></feed>`,
			hub: "https://hub.example/", self: "https://example.org/atom",
		},
		{
			name: "RSS atom:link",
			body: `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><link>https://example.org/</link>
<atom:link rel="self" type="application/rss+xml" href="https://example.org/rss"/><atom:link rel="hub" href="https://hub.example/"/>
<item><title>x</title></item></channel></rss>`,
			hub: "https://hub.example/", self: "https://example.org/rss",
		},
		{
			name: "only an entry's hub link does not count",
			body: `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><item><atom:link rel="hub" href="https://hub.example/"/></item></channel></rss>`,
		},
		{
			name: "JSON Feed",
			body: `{"version":"https://jsonfeed.org/version/1.1","feed_url":"https://example.org/feed.json","hubs":[{"type":"rssCloud","url":"https://cloud.example/"},{"type":"WebSub","url":"https://hub.example/"}],"items":[]}`,
			hub:  "https://hub.example/", self: "https://example.org/feed.json",
		},
		{name: "no hub", body: `<rss version="2.0"><channel><title>T</title></channel></rss>`},
		{name: "not a feed", body: `not a feed <<<`},
		{name: "malformed Link header", link: []string{`https://hub.example/; rel=hub`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.link {
				h.Add("Link", v)
			}
			hub, self := Discover(h, []byte(tt.body))
			if hub != tt.hub || self != tt.self {
				t.Errorf("Discover = %q, %q; want %q, %q", hub, self, tt.hub, tt.self)
			}
		})
	}
}

func TestValidSignature(t *testing.T) {
	body := []byte("<feed/>")
	const secret = "s3cret"
	// HMAC-SHA256 and HMAC-SHA1 of "<feed/>" under "s3cret", computed with
	// Python's hmac module.
	const sha256sig = "sha256=1b9591b5322baa7463554820f41fe27e650c767e2fbc4a934c5aa90e9cc27c7c"
	const sha1sig = "sha1=d0f17a456159bccb28b7f244db7aadc2ccbc8f1d"
	for _, tt := range []struct {
		header string
		ok     bool
	}{
		{sha256sig, true},
		{sha1sig, true},
		{sign("sha256", secret, body), true},
		{sign("sha512", secret, body), true},
		{"SHA256=" + sha256sig[len("sha256="):], true},
		{"", false},
		{"sha256=", false},
		{"sha256=zz", false},
		{"md5=" + sha256sig[len("sha256="):], false},
		{sign("sha256", "other", body), false},
		{sha256sig[:len(sha256sig)-2], false},
	} {
		if got := validSignature(tt.header, body, secret); got != tt.ok {
			t.Errorf("validSignature(%q) = %v, want %v", tt.header, got, tt.ok)
		}
	}
	if validSignature(sha256sig, append(body, ' '), secret) {
		t.Error("a changed body verified")
	}
}
