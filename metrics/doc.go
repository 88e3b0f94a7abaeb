// Package metrics exposes what an operator watches feedloom by, in the
// Prometheus format: how fetches end, what they bring, how far polling
// runs behind, what state the sources are in, WebSub pushes and the HTTP
// requests served.
//
// New registers the collectors in a registry the caller owns (never the
// global default), so a test or a second server gets its own figures. The
// aggregator reports each poll to Metrics.Observe; Metrics.Instrument wraps
// the HTTP handler. What lives elsewhere (the sources' states in the store,
// the WebSub subscriber's counts) is read on each scrape through the
// functions in Options.
//
// # Metrics
//
//	feedloom_fetches_total{outcome,code}             counter: polls by how they ended (see below) and HTTP status ("none" if no response)
//	feedloom_parse_errors_total{kind}                counter: polls refused by the parse guard, by normalize.Kind (see below)
//	feedloom_fetch_bytes_total                       counter: feed body bytes received, after decompression
//	feedloom_fetch_duration_seconds{result}          histogram: a poll from the request to the commit; result is ok, not_modified or error
//	feedloom_items_total{change}                     counter: entries seen by polls: new, updated, unchanged
//	feedloom_fulltext_total{outcome}                 counter: new items of sources with full text: extracted, cached, or why the summary stayed (not_html, no_article, skipped, a fetch class)
//	feedloom_poll_lag_seconds                        histogram: how late scheduled polls start (start − when due)
//	feedloom_sources{state}                          gauge: configured sources by state (new, ok, failing, moved, gone), read on scrape
//	feedloom_sources_flagged                         gauge: sources failing for a week or more, read on scrape
//	feedloom_poll_overdue_seconds                    gauge: how late the most overdue source is now (now − its scheduled poll), read on scrape
//	feedloom_websub_pushes_total{result}             counter: WebSub pushes accepted, refused (bad signature) and failed (not storable)
//	feedloom_http_requests_total{route,code}         counter: HTTP requests by route pattern and status
//	feedloom_http_request_duration_seconds{route}    histogram: time to serve an HTTP request
//
// An outcome is "ok" (a 2xx, parsed and stored), "not_modified" (304),
// "parse" (a 2xx whose body the parse guard refused; its kind is one of
// "not_feed", "malformed", "charset", "too_deep", "too_many_items",
// "parser_panic"), "store" (read, but storing failed), or
// the class fetch.Classify gives the error: "http_4xx", "http_5xx",
// "http_other", "blocked", "timeout", "network", "too_large",
// "redirects", "scheme", "encoding", "canceled", "other". Every label
// takes values from a short fixed set: a route label is the ServeMux
// pattern that matched ("GET /topics/{file}"), never the path, and
// "unmatched" when none did.
package metrics
