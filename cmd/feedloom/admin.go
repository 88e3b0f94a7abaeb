package main

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/config"
)

// adminTokenEnv names the environment variable that sets the admin token
// (and takes the place of the config's admin.token).
const adminTokenEnv = "FEEDLOOM_ADMIN_TOKEN"

// maxAdminBody caps an admin request's body: the endpoints take at most a
// form with one URL.
const maxAdminBody = 64 << 10

// adminToken is the token the admin endpoints require: the environment's,
// else the config's; "" turns them off.
func adminToken(cfg *config.Config) (string, error) {
	if v, ok := os.LookupEnv(adminTokenEnv); ok && v != "" {
		if err := config.CheckAdminToken(v); err != nil {
			return "", fmt.Errorf("%s: %w", adminTokenEnv, err)
		}
		return v, nil
	}
	return cfg.Admin.Token, nil
}

// admin serves the endpoints that change state. They exist only when a
// token is configured, and answer only requests that carry it as
// "Authorization: Bearer TOKEN"; a token anywhere else (the query string,
// a cookie) counts for nothing. They set no CORS headers, so a browser
// never lets another site read their answers, and a preflight gets none.
type admin struct {
	sum [sha256.Size]byte // of the token: compared in constant time, whatever the lengths
	agg *aggregator.Aggregator
	rl  *reloader
	log *slog.Logger // each admin action, with the client's address; refusals are not logged (a flood of them would flood the log)
}

// adminRoutes returns the admin routes, or none when token is "".
func adminRoutes(token string, agg *aggregator.Aggregator, rl *reloader, log *slog.Logger) []route {
	if token == "" {
		return nil
	}
	a := &admin{sum: sha256.Sum256([]byte(token)), agg: agg, rl: rl, log: log}
	return []route{
		{"POST /admin/poll", a.guard(a.poll)},
		{"POST /admin/reload", a.guard(a.reload)},
	}
}

// guard answers 401 unless r carries the token, and caps r's body.
func (a *admin) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !a.authorized(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="feedloom admin"`)
			http.Error(w, "401 unauthorized: send Authorization: Bearer <admin token>", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAdminBody)
		h(w, r)
	})
}

func (a *admin) authorized(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], a.sum[:]) == 1
}

// poll handles POST /admin/poll?source=URL (or source in a form body):
// the configured source with that URL is polled at once, and 202 tells
// that it is queued.
func (a *admin) poll(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	u := r.Form.Get("source")
	if u == "" {
		http.Error(w, "400 bad request: name the source: ?source=URL", http.StatusBadRequest)
		return
	}
	known := false
	for _, s := range a.rl.sources.Sources() {
		known = known || s.URL == u
	}
	if !known {
		http.Error(w, fmt.Sprintf("404 not found: no source has the URL %q", u), http.StatusNotFound)
		return
	}
	a.agg.PollNow(u)
	a.log.Info("admin: poll requested", slog.String("source", u), slog.String("remote", r.RemoteAddr))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "poll of %s queued\n", u)
}

// reload handles POST /admin/reload: the config file is read again, as on
// SIGHUP. An invalid config is kept out and its errors answered with 422.
func (a *admin) reload(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	a.log.Info("admin: reload requested", slog.String("remote", r.RemoteAddr))
	if err := a.rl.Reload(); err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, "config not reloaded, the running one is kept:\n%v\n", err)
		return
	}
	fmt.Fprintln(w, "config reloaded")
}

// parseForm parses r's query and form body, answering 413 for a body
// over maxAdminBody and 400 for one that does not parse.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("413 request body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
	default:
		http.Error(w, "400 bad request: "+cmp.Or(err.Error(), "unreadable form"), http.StatusBadRequest)
	}
	return false
}
