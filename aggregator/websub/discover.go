package websub

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
)

// Discover finds the hub a feed advertises and the topic URL to subscribe
// with (its rel="self" link), as W3C WebSub §3 orders it: the HTTP Link
// headers first (`<…>; rel="hub"`, `<…>; rel="self"`); without a hub
// there, the links in the document: Atom's <link rel="hub"> and
// <link rel="self">, an RSS channel's <atom:link>, or a JSON Feed's hubs
// of type WebSub and its feed_url. Only feed-level links count, not those
// of an entry. The first hub wins. A self link missing from the headers is
// taken from the document. Either result may be empty, and either may be
// relative to the document's URL.
func Discover(header http.Header, body []byte) (hub, self string) {
	hub, self = linkHeader(header)
	if hub != "" {
		if self == "" {
			_, self = documentLinks(body)
		}
		return hub, self
	}
	dhub, dself := documentLinks(body)
	if self == "" {
		self = dself
	}
	return dhub, self
}

// linkHeader reads the first rel="hub" and rel="self" targets of the Link
// headers (RFC 8288).
func linkHeader(h http.Header) (hub, self string) {
	for _, v := range h.Values("Link") {
		for _, l := range parseLinks(v) {
			for _, rel := range strings.Fields(strings.ToLower(l.rel)) {
				switch {
				case rel == "hub" && hub == "":
					hub = l.target
				case rel == "self" && self == "":
					self = l.target
				}
			}
		}
	}
	return hub, self
}

type link struct{ target, rel string }

// parseLinks splits one Link header value into its links:
// `<uri>; rel="hub"; title="a, b", <uri2>; rel=self`. A malformed link
// ends the parse; the links before it are kept.
func parseLinks(s string) []link {
	var out []link
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" || s[0] != '<' {
			return out
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			return out
		}
		l := link{target: strings.TrimSpace(s[1:end])}
		s = s[end+1:]
		// parameters: ; name[=value], until a comma outside quotes
		for {
			s = strings.TrimLeft(s, " \t")
			if s == "" || s[0] == ',' {
				break
			}
			if s[0] != ';' {
				return append(out, l)
			}
			s = strings.TrimLeft(s[1:], " \t")
			i := strings.IndexAny(s, "=;,")
			if i < 0 {
				i = len(s)
			}
			name := strings.ToLower(strings.TrimSpace(s[:i]))
			s = s[i:]
			var value string
			if s != "" && s[0] == '=' {
				s = strings.TrimLeft(s[1:], " \t")
				value, s = paramValue(s)
			}
			if name == "rel" && l.rel == "" {
				l.rel = value
			}
		}
		out = append(out, l)
	}
}

// paramValue reads a token or a quoted string from the start of s.
func paramValue(s string) (value, rest string) {
	if s == "" || s[0] != '"' {
		i := strings.IndexAny(s, ";,")
		if i < 0 {
			i = len(s)
		}
		return strings.TrimSpace(s[:i]), s[i:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

// maxScanTokens bounds the XML tokens read looking for feed-level links:
// they come before the entries, so a real feed needs a few dozen.
const maxScanTokens = 10_000

// documentLinks finds the feed-level hub and self links in an XML or JSON
// feed document.
func documentLinks(body []byte) (hub, self string) {
	if t := bytes.TrimLeft(body, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return jsonLinks(t)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	// Only the ASCII of link attributes matters: read any declared
	// charset as if it were UTF-8.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for range maxScanTokens {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "entry", "item":
			return hub, self // entries follow: their links are not the feed's
		case "link":
			var rel, href string
			for _, a := range se.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "rel":
					rel = a.Value
				case "href":
					href = strings.TrimSpace(a.Value)
				}
			}
			if href == "" {
				continue
			}
			for _, r := range strings.Fields(strings.ToLower(rel)) {
				switch {
				case r == "hub" && hub == "":
					hub = href
				case r == "self" && self == "":
					self = href
				}
			}
		}
	}
	return hub, self
}

// jsonLinks reads a JSON Feed's WebSub hub and feed_url.
func jsonLinks(body []byte) (hub, self string) {
	var f struct {
		FeedURL string `json:"feed_url"`
		Hubs    []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"hubs"`
	}
	if json.Unmarshal(body, &f) != nil {
		return "", ""
	}
	for _, h := range f.Hubs {
		if strings.EqualFold(h.Type, "websub") && h.URL != "" {
			hub = h.URL
			break
		}
	}
	return hub, f.FeedURL
}
