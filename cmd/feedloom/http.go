package main

import (
	"net/http"
	"strings"
)

// A route mounts an operator or protocol handler (metrics, WebSub
// callbacks, source health) beside the publisher's pages and feeds.
type route struct {
	pattern string // a net/http ServeMux pattern, e.g. "GET /metrics" or "/websub/"
	handler http.Handler
}

// routes is the server's handler: the extra routes, and the publisher for
// everything else. Paths under /topics/ are the publisher's alone (no
// extra route may be there): they go to it straight, without a first
// round of mux matching, since feed polls are most requests.
func routes(pub http.Handler, extra ...route) http.Handler {
	if len(extra) == 0 {
		return pub
	}
	mux := http.NewServeMux()
	for _, r := range extra {
		if strings.Contains(r.pattern, "/topics/") {
			panic("feedloom: route " + r.pattern + " is under /topics/, which the publisher owns")
		}
		mux.Handle(r.pattern, r.handler)
	}
	mux.Handle("/", pub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/topics/") {
			pub.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
