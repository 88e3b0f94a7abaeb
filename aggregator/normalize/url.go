package normalize

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// trackingParams are query parameters that only identify a campaign, a click
// or a mailing, never the resource: CanonicalURL removes them. Names are
// compared case-insensitively after percent-decoding. Any parameter that
// starts with one of trackingPrefixes is removed as well.
//
// Changing this list changes the canonical URL, and so the key, of every item
// without a GUID whose link carries the parameter: such items would be
// stored again under a new ID. Add names, never generic ones ("ref", "id",
// "source"), and only when they are known to be tracking-only.
var trackingParams = map[string]bool{
	// Ad-click identifiers.
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true,
	"gbraid": true, "wbraid": true, "msclkid": true, "yclid": true,
	"ysclid": true, "twclid": true, "ttclid": true, "li_fat_id": true,
	"igshid": true, "igsh": true, "rb_clickid": true, "wickedid": true,
	// Mail and marketing automation.
	"mc_cid": true, "mc_eid": true, "mc_tc": true,
	"_hsenc": true, "_hsmi": true, "hsctatracking": true,
	"mkt_tok": true, "vero_id": true, "vero_conv": true,
	"oly_anon_id": true, "oly_enc_id": true,
	// Analytics linkers and referrer tags.
	"_ga": true, "_gl": true, "_openstat": true,
	"ref_src": true, "ref_url": true,
	// Matomo / Piwik campaigns.
	"mtm_campaign": true, "mtm_cid": true, "mtm_content": true,
	"mtm_group": true, "mtm_keyword": true, "mtm_kwd": true,
	"mtm_medium": true, "mtm_placement": true, "mtm_source": true,
	"pk_campaign": true, "pk_cpn": true, "pk_content": true,
	"pk_keyword": true, "pk_kwd": true, "pk_medium": true,
	"pk_source": true,
}

// trackingPrefixes are parameter-name prefixes (lower case) that mark a
// tracking parameter.
var trackingPrefixes = []string{"utm_"}

// isTrackingParam reports whether the (decoded) query parameter name is in
// trackingParams or starts with one of trackingPrefixes, ignoring case.
func isTrackingParam(name string) bool {
	name = strings.ToLower(name)
	if trackingParams[name] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// CanonicalURL returns the canonical form of the link raw, resolved against
// base (which may be nil): scheme and host in lower case (an
// internationalized host in its ASCII form), default port, user info and
// fragment dropped, dot segments removed, an empty path written as "/",
// tracking parameters removed and the other query parameters kept as written
// and in their order, an empty "?" dropped.
//
// It returns "" when the result is not an absolute http or https URL with a
// host: javascript:, data:, file:, mailto: and unresolvable relative links
// all give "".
func CanonicalURL(raw string, base *url.URL) string {
	u := resolveHTTP(raw, base)
	if u == nil {
		return ""
	}
	u.RawQuery = stripTracking(u.RawQuery)
	u.ForceQuery = false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// resolveHTTP resolves raw against base and normalizes scheme, host, port
// and path. It returns nil unless the result is an absolute http(s) URL with
// a valid host. Query and fragment are kept as they are.
func resolveHTTP(raw string, base *url.URL) *url.URL {
	raw = trimURL(raw)
	if raw == "" {
		return nil
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var u *url.URL
	switch {
	case base != nil:
		u = base.ResolveReference(ref)
	case ref.IsAbs():
		// ResolveReference removes dot segments from an absolute
		// reference too, so both branches give the same path form.
		u = (&url.URL{}).ResolveReference(ref)
	default:
		return nil
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	if u.Opaque != "" {
		return nil
	}
	host, ok := canonicalHost(u.Hostname())
	if !ok {
		return nil
	}
	port, ok := canonicalPort(u.Scheme, u.Port())
	if !ok {
		return nil
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.User = nil
	// url.URL writes RawQuery back as it was given, where a path is
	// escaped: escape what is not UTF-8 there, so the URL is.
	u.RawQuery = escapeInvalidUTF8(u.RawQuery)
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u
}

// escapeInvalidUTF8 percent-encodes the bytes of s that are not part of
// valid UTF-8.
func escapeInvalidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// trimURL removes what browsers ignore in a URL attribute: leading and
// trailing spaces and C0 controls, and tabs and newlines anywhere (so that
// "java\nscript:" is seen as the javascript: URL a browser would run).
func trimURL(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	return s
}

// canonicalHost lower-cases host and converts an internationalized name to
// its ASCII (punycode) form, so that both spellings of one host compare
// equal. A trailing dot is dropped. ok is false for a host with characters
// no DNS name or IP literal has (net/url accepts "<", ">" and quotes there).
func canonicalHost(host string) (string, bool) {
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			a, err := idna.Lookup.ToASCII(host)
			if err != nil {
				return "", false
			}
			host = a // checked below like any ASCII host
			break
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if strings.Contains(host, ":") {
		// An IPv6 literal (url.URL.Hostname has removed the brackets).
		a, err := netip.ParseAddr(host)
		if err != nil {
			return "", false
		}
		return a.String(), true
	}
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
		// An empty label: no such host.
		return "", false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", false
		}
	}
	return host, true
}

// canonicalPort returns port without leading zeros, or "" when it is the
// scheme's default. ok is false when port is not a valid port number.
func canonicalPort(scheme, port string) (string, bool) {
	if port == "" {
		return "", true
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", false
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return "", true
	}
	return strconv.Itoa(n), true
}

// stripTracking removes tracking parameters and empty pairs from a raw
// query, keeping the others byte for byte and in order.
func stripTracking(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		name, _, _ := strings.Cut(p, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if isTrackingParam(name) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}
