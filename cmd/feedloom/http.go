package main

import "net/http"

// A route mounts an operator or protocol handler (metrics, WebSub
// callbacks, source health) beside the publisher's pages and feeds.
type route struct {
	pattern string // a net/http ServeMux pattern, e.g. "GET /metrics" or "/websub/"
	handler http.Handler
}

// routes is the server's handler: the extra routes, and the publisher for
// everything else.
func routes(pub http.Handler, extra ...route) http.Handler {
	if len(extra) == 0 {
		return pub
	}
	mux := http.NewServeMux()
	for _, r := range extra {
		mux.Handle(r.pattern, r.handler)
	}
	mux.Handle("/", pub)
	return mux
}
