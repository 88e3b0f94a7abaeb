// Package fetch is the HTTP client feedloom polls feeds with. It turns a
// URL and the validators of the previous poll into the bytes of a feed, and
// refuses everything a hostile feed, redirect or DNS answer could use to
// make the daemon reach where it should not, or to exhaust it.
//
// # The private-network guard
//
// A feed URL comes from a config, an OPML file or a redirect served by a
// feed, and the daemon often runs next to things that trust the local
// network: cloud metadata at 169.254.169.254, admin ports on loopback, a
// home router. So a Client refuses to connect to every address netguard.Blocked
// reports: loopback, private, link-local, CGNAT, NAT64, 6to4, Teredo,
// documentation, benchmarking, multicast, reserved, unspecified. The table
// is data at the top of internal/netguard/blocked.go, shared with the
// WebSub subscriber and hub.
//
// The check runs in the dialer's Control hook, after DNS resolution and
// just before connect(2), on the address actually dialed. Nothing is
// judged by name, so none of these get around it:
//
//   - a redirect from an allowed host to a blocked one (every hop dials);
//   - DNS rebinding: a name that resolves to a public address when checked
//     and to a private one when used (there is no separate check);
//   - spellings of an address: 127.1, 2130706433, 0x7f000001,
//     [::ffff:7f00:1], localhost;
//   - a proxy: HTTP_PROXY and friends are ignored, as a proxy would dial
//     on our behalf, out of the guard's sight.
//
// A proxy is used only when Options.Proxy (the config's fetch.proxy)
// names one. Then the Client dials that exact host and port and nothing
// else, and checks each request's host (the first and every redirect)
// before handing it over: an address literal, or every address a name
// resolves to here, must be permitted. A name that does not resolve here
// is left to the proxy.
//
// A refusal is an error wrapping ErrBlocked that names the address and the
// setting that lifts it. Options.AllowPrivate (the config's
// fetch.allow_private_networks) lifts the guard entirely; Options.Allow
// permits chosen ranges, such as one intranet host, and is how the tests
// reach their loopback servers.
//
// Redirects may lead only to http and https, and never from https down to
// http (the feed would lose the protection TLS gave it; a source that
// really moved to http is configured so). file:// is read only when the
// Request has AllowFile, which the caller sets for sources from the config,
// and never through a redirect.
//
// # Limits
//
//   - Time: Options.Timeout (30s) bounds the whole fetch, body included, so
//     a server that drips one byte at a time is stopped too (ErrTimeout).
//     Cancelling the caller's context ends a fetch at once and is reported
//     as context.Canceled.
//   - Size: Options.MaxBody (10 MiB) caps the body after decompression. The
//     Client asks for gzip and deflate itself and decodes them, so a gzip
//     bomb stops at MaxBody+1 decoded bytes (ErrTooLarge); a Content-Length
//     over the cap fails before reading. Response headers are capped at
//     64 KiB.
//   - Redirects: Options.MaxRedirects (10); one more is ErrTooManyRedirects.
//
// # Results
//
// A 2xx gives the body. A 304 gives a Response with NotModified set and no
// error. Any other status gives both a *StatusError (with Retry-After
// parsed and clamped to 24h) and a Response with the headers, final URL and
// redirects but no body. Every other failure gives a nil Response and an
// error wrapping one of the sentinels (or a context error); Classify turns
// it into a short class for logs, metrics and the source status page.
//
// Fetch follows redirects but does not act on them: Response.Redirects
// lists the hops and their statuses, and the caller decides whether a 301
// or 308 updates a source's URL. The Client keeps no cookies.
package fetch
