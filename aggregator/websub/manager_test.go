package websub

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/netguard"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// sign is what a hub puts in X-Hub-Signature.
func sign(method, secret string, body []byte) string {
	h := map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}[method]
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return method + "=" + hex.EncodeToString(mac.Sum(nil))
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// testHub is a WebSub hub of the test's own: it records the
// (un)subscription requests it receives and answers them 202. The test
// plays its other part (verifying intent, delivering content) with
// verifyIntent and push.
type testHub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []url.Values
	got  chan url.Values
}

func newTestHub(t *testing.T) *testHub {
	h := &testHub{got: make(chan url.Values, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusBadRequest)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, r.PostForm)
		h.mu.Unlock()
		h.got <- r.PostForm
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *testHub) requests() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.reqs...)
}

// verifyIntent sends the hub's intent verification GET to callback.
func verifyIntent(t *testing.T, callback, mode, topic, lease string) (int, string) {
	t.Helper()
	q := url.Values{"hub.mode": {mode}, "hub.topic": {topic}, "hub.challenge": {"chal-" + mode + "-42"}}
	if lease != "" {
		q.Set("hub.lease_seconds", lease)
	}
	resp, err := http.Get(callback + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// push delivers body to callback as a hub does, with signature sig ("" for
// none).
func push(t *testing.T, callback, body, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml")
	if sig != "" {
		req.Header.Set("X-Hub-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func feedDoc(hub, self string, titles ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Wire</title><link>https://example.org/</link><description>d</description>`)
	if hub != "" {
		b.WriteString(`<atom:link rel="hub" href="` + hub + `"/>`)
	}
	b.WriteString(`<atom:link rel="self" href="` + self + `"/>`)
	for i, title := range titles {
		b.WriteString(`<item><title>` + title + `</title><link>https://example.org/` + title + `</link><guid>g` + string(rune('a'+i)) + title +
			`</guid><pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate><description>The story of ` + title + `.</description></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// fixture is a feed origin advertising the test hub, the site serving
// the callbacks, an aggregator and a Manager on a real store.
type fixture struct {
	t      *testing.T
	st     *store.Store
	hub    *testHub
	origin *httptest.Server
	site   *httptest.Server
	clock  *fakeClock
	src    feedloom.Source
	agg    *aggregator.Aggregator
	m      *Manager

	mu       sync.Mutex
	doc      string          // what the origin serves
	handler  http.Handler    // what the site serves
	pushedTo map[string]bool // SetPushed's last word per source
	pushes   int             // SetPushed(_, true) calls
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	f := &fixture{t: t, st: st, hub: newTestHub(t), pushedTo: map[string]bool{},
		clock: &fakeClock{t: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}}
	f.origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		doc := f.doc
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}))
	t.Cleanup(f.origin.Close)
	f.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.handler
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.site.Close)
	f.src = feedloom.Source{URL: f.origin.URL + "/feed", Name: "Wire"}
	f.setDoc(feedDoc(f.hub.URL+"/", f.topic(), "first"))
	f.agg = aggregator.New(st, []feedloom.Source{f.src}, aggregator.Options{
		Fetch: fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	})
	f.restart(st)
	return f
}

// restart gives the fixture a new Manager on st, as a new process would
// have.
func (f *fixture) restart(st *store.Store) {
	f.st = st
	f.agg = aggregator.New(st, []feedloom.Source{f.src}, aggregator.Options{
		Fetch: fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	})
	f.m = New(st, f.agg, Options{
		BaseURL:      f.site.URL, // no trailing slash: New adds it
		Sources:      []feedloom.Source{f.src},
		AllowPrivate: true,
		Now:          f.clock.Now,
		SetPushed: func(source string, on bool) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.pushedTo[source] = on
			if on {
				f.pushes++
			}
		},
	})
	f.agg.OnDocument(f.m.Observe)
	mux := http.NewServeMux()
	mux.Handle(CallbackPath, f.m.Handler())
	f.mu.Lock()
	f.handler = mux
	f.mu.Unlock()
}

func (f *fixture) topic() string { return f.origin.URL + "/canonical.rss" }

func (f *fixture) setDoc(doc string) { f.mu.Lock(); f.doc = doc; f.mu.Unlock() }

func (f *fixture) pushed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushedTo[f.src.URL]
}

// poll polls the origin (the Manager observes the document) and runs one
// Maintain pass.
func (f *fixture) poll() {
	f.t.Helper()
	if r := f.agg.Poll(context.Background(), f.src); r.Err != nil {
		f.t.Fatal(r.Err)
	}
	f.maintain()
}

func (f *fixture) maintain() {
	f.t.Helper()
	if err := f.m.Maintain(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) sub() Subscription {
	f.t.Helper()
	subs := f.m.Subscriptions()
	if len(subs) != 1 {
		f.t.Fatalf("%d subscriptions, want 1: %+v", len(subs), subs)
	}
	return subs[0]
}

// subscribed polls, checks the hub got one subscription request, and
// returns it.
func (f *fixture) subscribed() url.Values {
	f.t.Helper()
	f.poll()
	reqs := f.hub.requests()
	if len(reqs) != 1 {
		f.t.Fatalf("the hub got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// active subscribes and verifies with lease (seconds).
func (f *fixture) active(lease string) url.Values {
	f.t.Helper()
	req := f.subscribed()
	if code, body := verifyIntent(f.t, req.Get("hub.callback"), "subscribe", f.topic(), lease); code != 200 || body != "chal-subscribe-42" {
		f.t.Fatalf("verification: %d %q", code, body)
	}
	return req
}

func (f *fixture) titles() map[string]bool {
	f.t.Helper()
	items, err := f.st.Items(context.Background(), store.ItemQuery{Source: f.src.URL})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range items {
		out[it.Title] = true
	}
	return out
}

func TestSubscribeRequest(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.subscribed()
	if got := req.Get("hub.mode"); got != "subscribe" {
		t.Errorf("hub.mode = %q", got)
	}
	if got := req.Get("hub.topic"); got != f.topic() {
		t.Errorf("hub.topic = %q, want the self link %q", got, f.topic())
	}
	cb := req.Get("hub.callback")
	id, ok := strings.CutPrefix(cb, f.site.URL+"/websub/callback/")
	if !ok || len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("hub.callback = %q, want base_url + websub/callback/ + 32 hex digits", cb)
	}
	if s := req.Get("hub.secret"); len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		t.Errorf("hub.secret = %q, want 64 hex digits", s)
	}
	if got := req.Get("hub.lease_seconds"); got != "864000" {
		t.Errorf("hub.lease_seconds = %q, want 864000 (10 days)", got)
	}
	if s := f.sub(); s.State != Pending || s.Hub != f.hub.URL+"/" || f.pushed() {
		t.Errorf("subscription %+v, pushed %v; want pending at the hub, not pushed", s, f.pushed())
	}

	// Polling again changes nothing, and nothing is due yet.
	f.poll()
	if n := len(f.hub.requests()); n != 1 {
		t.Errorf("the hub got %d requests after a second poll, want still 1", n)
	}
	// Unverified, the request is sent again after a backoff.
	f.clock.Add(retryFirst)
	f.maintain()
	reqs := f.hub.requests()
	if len(reqs) != 2 || reqs[1].Get("hub.callback") != cb || reqs[1].Get("hub.secret") != req.Get("hub.secret") {
		t.Errorf("after %v without verification: %d requests, want a second one for the same callback", retryFirst, len(reqs))
	}
}

func TestDiscoveryFromLinkHeader(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.origin.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+f.hub.URL+"/h>; rel=\"hub\"")
		w.Header().Add("Link", "</self.xml>; rel=\"self\"")
		io.WriteString(w, feedDoc("", "https://example.org/ignored", "first"))
	})
	req := f.subscribed()
	if req.Get("hub.topic") != f.origin.URL+"/self.xml" || f.sub().Hub != f.hub.URL+"/h" {
		t.Errorf("topic %q, hub %q: want the Link headers', resolved", req.Get("hub.topic"), f.sub().Hub)
	}
}

func TestVerification(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.subscribed()
	cb := req.Get("hub.callback")

	for _, tt := range []struct {
		name, callback, mode, topic string
	}{
		{"wrong topic", cb, "subscribe", f.topic() + "?other"},
		{"unsubscribe never asked for", cb, "unsubscribe", f.topic()},
		{"unknown callback", f.site.URL + "/websub/callback/0123456789abcdef0123456789abcdef", "subscribe", f.topic()},
		{"no mode", cb, "", f.topic()},
	} {
		if code, body := verifyIntent(t, tt.callback, tt.mode, tt.topic, "3600"); code != http.StatusNotFound || strings.Contains(body, "chal") {
			t.Errorf("%s: %d %q, want 404 without the challenge", tt.name, code, body)
		}
	}
	if s := f.sub(); s.State != Pending || f.pushed() {
		t.Fatalf("after refused verifications: %+v", s)
	}

	code, body := verifyIntent(t, cb, "subscribe", f.topic(), "3600")
	if code != http.StatusOK || body != "chal-subscribe-42" {
		t.Fatalf("verification: %d %q, want 200 and the challenge", code, body)
	}
	s := f.sub()
	now := f.clock.Now()
	if s.State != Active || s.LeaseSeconds != 3600 || !s.Expires.Equal(now.Add(time.Hour)) || !s.Next.Equal(now.Add(48*time.Minute)) {
		t.Errorf("verified subscription: %+v; want active, lease 3600 s, expiring in 1h, renewed in 48m", s)
	}
	if !f.pushed() {
		t.Error("SetPushed(source, true) not called")
	}
}

func TestPushes(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.active("3600")
	cb, secret := req.Get("hub.callback"), req.Get("hub.secret")
	if !f.titles()["first"] {
		t.Fatal("the polled item is missing")
	}

	signed := feedDoc(f.hub.URL+"/", f.topic(), "second")
	if code := push(t, cb, signed, sign("sha256", secret, []byte(signed))); code/100 != 2 {
		t.Fatalf("signed push: %d", code)
	}
	if !f.titles()["second"] {
		t.Error("the signed push was not stored")
	}
	sha1doc := feedDoc(f.hub.URL+"/", f.topic(), "third")
	push(t, cb, sha1doc, sign("sha1", secret, []byte(sha1doc)))
	if !f.titles()["third"] {
		t.Error("the sha1-signed push was not stored")
	}

	unsigned := feedDoc(f.hub.URL+"/", f.topic(), "unsigned")
	forged := feedDoc(f.hub.URL+"/", f.topic(), "forged")
	tampered := feedDoc(f.hub.URL+"/", f.topic(), "tampered")
	for name, code := range map[string]int{
		"unsigned":                   push(t, cb, unsigned, ""),
		"signed with a wrong secret": push(t, cb, forged, sign("sha256", "not-the-secret", []byte(forged))),
		"body changed after signing": push(t, cb, tampered, sign("sha256", secret, []byte(signed))),
		"unknown algorithm":          push(t, cb, forged, "md5=00"),
	} {
		if code/100 != 2 {
			t.Errorf("%s push answered %d; the spec wants a 2xx even for a bad signature", name, code)
		}
	}
	got := f.titles()
	for _, title := range []string{"unsigned", "forged", "tampered"} {
		if got[title] {
			t.Errorf("the %s push was stored", title)
		}
	}
	if len(got) != 3 {
		t.Errorf("stored %v, want first, second, third", got)
	}
	if st := f.m.Stats(); st != (Stats{Accepted: 2, Refused: 4}) {
		t.Errorf("Stats = %+v, want 2 accepted, 4 refused", st)
	}

	// A push to an unknown callback is not found; not a feed is failed.
	if code := push(t, f.site.URL+"/websub/callback/ffffffffffffffffffffffffffffffff", signed, sign("sha256", secret, []byte(signed))); code != http.StatusNotFound {
		t.Errorf("push to an unknown callback: %d, want 404", code)
	}
	push(t, cb, "not a feed", sign("sha256", secret, []byte("not a feed")))
	if st := f.m.Stats(); st != (Stats{Accepted: 2, Refused: 5, Failed: 1}) {
		t.Errorf("after a push to an unknown callback and a signed non-feed: %+v, want 5 refused, 1 failed", st)
	}
}

func TestPushTooLarge(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.m.o.MaxBody = 100
	req := f.active("3600")
	big := feedDoc(f.hub.URL+"/", f.topic(), "big")
	if code := push(t, req.Get("hub.callback"), big, sign("sha256", req.Get("hub.secret"), []byte(big))); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a push over max_body: %d, want 413", code)
	}
	if f.titles()["big"] || f.m.Stats().Failed != 1 {
		t.Errorf("a too large push was stored, or not counted: %+v", f.m.Stats())
	}
}

func TestLeaseRenewal(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.active("3600")
	cb := req.Get("hub.callback")
	verified := f.sub()

	f.clock.Add(47 * time.Minute) // before 80% of the lease
	f.maintain()
	if n := len(f.hub.requests()); n != 1 {
		t.Fatalf("%d requests at 47 of 60 minutes, want no renewal yet", n)
	}
	f.clock.Add(time.Minute) // 80%
	f.maintain()
	reqs := f.hub.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests at 48 of 60 minutes, want a renewal", len(reqs))
	}
	renew := reqs[1]
	if renew.Get("hub.mode") != "subscribe" || renew.Get("hub.callback") != cb || renew.Get("hub.secret") != req.Get("hub.secret") || renew.Get("hub.topic") != f.topic() {
		t.Errorf("renewal %v, want the same subscription again", renew)
	}
	if s := f.sub(); s.State != Active || !f.pushed() {
		t.Errorf("while renewing: %+v; want still active and pushed", s)
	}
	if code, _ := verifyIntent(t, cb, "subscribe", f.topic(), "7200"); code != http.StatusOK {
		t.Fatalf("renewal verification: %d", code)
	}
	s := f.sub()
	if !s.Expires.Equal(f.clock.Now().Add(2*time.Hour)) || !s.Expires.After(verified.Expires) {
		t.Errorf("renewed lease ends %v, want %v", s.Expires, f.clock.Now().Add(2*time.Hour))
	}

	// A renewal the hub never verifies: the lease runs out, the source is
	// polled again, and the subscription is requested again.
	f.clock.Add(2 * time.Hour)
	f.maintain()
	if s := f.sub(); s.State != Expired || f.pushed() {
		t.Errorf("after the lease: %+v, pushed %v; want expired and not pushed", s, f.pushed())
	}
	if n := len(f.hub.requests()); n < 3 {
		t.Errorf("%d requests, want the expired subscription requested again", n)
	}
}

func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	req := f.active("3600")
	before := f.sub()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Check(context.Background()); err != nil {
			t.Error(err)
		}
		st.Close()
	}()
	f.mu.Lock()
	f.pushedTo = map[string]bool{}
	f.mu.Unlock()
	f.restart(st)
	// Before Load, the callback asks the hub to come back later.
	if code := push(t, req.Get("hub.callback"), "x", ""); code != http.StatusServiceUnavailable {
		t.Errorf("push before Load: %d, want 503", code)
	}
	if err := f.m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := f.sub(); after != before {
		t.Errorf("after a restart:\n%+v\nwant\n%+v", after, before)
	}
	if !f.pushed() {
		t.Error("the loaded active subscription was not reported to SetPushed")
	}
	doc := feedDoc(f.hub.URL+"/", f.topic(), "after-restart")
	push(t, req.Get("hub.callback"), doc, sign("sha256", req.Get("hub.secret"), []byte(doc)))
	if !f.titles()["after-restart"] {
		t.Error("a push to the old callback after a restart was not stored")
	}
	// Nothing is due: no request to the hub on start.
	f.maintain()
	if n := len(f.hub.requests()); n != 1 {
		t.Errorf("%d requests after a restart, want still 1", n)
	}
}

func TestHubGoneUnsubscribes(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.active("3600")
	cb := req.Get("hub.callback")

	f.setDoc(feedDoc("", f.topic(), "first"))
	f.poll()
	reqs := f.hub.requests()
	if len(reqs) != 2 || reqs[1].Get("hub.mode") != "unsubscribe" || reqs[1].Get("hub.callback") != cb || reqs[1].Has("hub.secret") {
		t.Fatalf("requests %v, want an unsubscribe for the callback", reqs)
	}
	if f.pushed() {
		t.Error("still pushed while unsubscribing")
	}
	if code, _ := verifyIntent(t, cb, "subscribe", f.topic(), "3600"); code != http.StatusNotFound {
		t.Errorf("a subscribe verification while unsubscribing: %d, want 404", code)
	}
	if code, body := verifyIntent(t, cb, "unsubscribe", f.topic(), ""); code != 200 || body != "chal-unsubscribe-42" {
		t.Fatalf("unsubscribe verification: %d %q", code, body)
	}
	if subs := f.m.Subscriptions(); len(subs) != 0 {
		t.Errorf("subscriptions after unsubscribing: %+v", subs)
	}
	if b, err := f.st.SourceMeta(context.Background(), f.src.URL, MetaName); err != nil || b != nil {
		t.Errorf("stored subscription after unsubscribing: %q, %v", b, err)
	}
	if code := push(t, cb, "x", "sha256=00"); code != http.StatusNotFound {
		t.Errorf("push after unsubscribing: %d, want 404", code)
	}
}

func TestNewHubNewSubscription(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	old := f.active("3600")
	other := newTestHub(t)
	f.setDoc(feedDoc(other.URL+"/", f.topic(), "first"))
	f.poll()
	reqs := other.requests()
	if len(reqs) != 1 || reqs[0].Get("hub.callback") == old.Get("hub.callback") || reqs[0].Get("hub.secret") == old.Get("hub.secret") {
		t.Fatalf("the new hub got %v, want one request with a new callback and secret", reqs)
	}
	if s := f.sub(); s.Hub != other.URL+"/" || s.State != Pending || f.pushed() {
		t.Errorf("%+v, want pending at the new hub, not pushed", s)
	}
	if code, _ := verifyIntent(t, old.Get("hub.callback"), "subscribe", f.topic(), "3600"); code != http.StatusNotFound {
		t.Errorf("the old callback still verifies: %d", code)
	}
}

func TestDenied(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	req := f.active("3600")
	q := url.Values{"hub.mode": {"denied"}, "hub.topic": {f.topic()}, "hub.reason": {"not allowed"}}
	resp, err := http.Get(req.Get("hub.callback") + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := f.sub(); resp.StatusCode != 200 || s.State != Denied || f.pushed() || !strings.Contains(s.LastError, "not allowed") {
		t.Fatalf("after a denial: %d, %+v", resp.StatusCode, s)
	}
	f.clock.Add(deniedRetry - time.Second)
	f.maintain()
	if n := len(f.hub.requests()); n != 1 {
		t.Errorf("%d requests within a day of a denial, want 1", n)
	}
	f.clock.Add(time.Second)
	f.maintain()
	if n := len(f.hub.requests()); n != 2 || f.sub().State != Pending {
		t.Errorf("%d requests a day after a denial, want 2 and pending", n)
	}
}

// The default client refuses a hub on a private address, as the fetcher
// refuses a feed there, and the failure is recorded for a retry.
func TestPrivateHubRefused(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.m.client = guardedClient(time.Second, netguard.Guard{})
	f.poll()
	if n := len(f.hub.requests()); n != 0 {
		t.Fatalf("a loopback hub got %d requests", n)
	}
	s := f.sub()
	if !strings.Contains(s.LastError, "private address") || s.Attempts != 1 || !s.Next.Equal(f.clock.Now().Add(retryFirst)) {
		t.Errorf("%+v, want the refusal recorded and a retry in %v", s, retryFirst)
	}
}

// fetch.allow opens the hub's address to the default client as it does
// to the fetcher.
func TestHubInAllowedRangeReached(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.m.client = guardedClient(time.Second, netguard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	f.poll()
	if n := len(f.hub.requests()); n != 1 {
		t.Fatalf("a hub on an allowed address got %d requests, want 1", n)
	}
}

func TestHubErrorRecorded(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.hub.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "topic not allowed here", http.StatusForbidden)
	})
	f.poll()
	if s := f.sub(); !strings.Contains(s.LastError, "403") || !strings.Contains(s.LastError, "topic not allowed here") {
		t.Errorf("LastError = %q", s.LastError)
	}
}

// Run subscribes as soon as a poll finds a hub, and returns when its
// context ends.
func TestRun(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	f.m.o.Every = time.Hour // only Observe wakes it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.m.Run(ctx) }()
	if r := f.agg.Poll(ctx, f.src); r.Err != nil {
		t.Fatal(r.Err)
	}
	select {
	case req := <-f.hub.got:
		if req.Get("hub.mode") != "subscribe" {
			t.Errorf("got %v", req)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no subscription request after a poll found the hub")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// Some hubs verify intent before they answer the subscription request:
// the callback must answer while the request is still in flight.
func TestHubVerifiesBeforeAnswering(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	verified := make(chan string, 1)
	f.hub.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {r.PostForm.Get("hub.topic")}, "hub.challenge": {"sync"}, "hub.lease_seconds": {"600"}}
		resp, err := http.Get(r.PostForm.Get("hub.callback") + "?" + q.Encode())
		if err != nil {
			verified <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		verified <- fmt.Sprint(resp.StatusCode, " ", string(b))
		w.WriteHeader(http.StatusAccepted)
	})
	f.poll()
	if got := <-verified; got != "200 sync" {
		t.Fatalf("verification during the request: %s", got)
	}
	if s := f.sub(); s.State != Active || s.LeaseSeconds != 600 || s.LastError != "" || !f.pushed() {
		t.Errorf("%+v, want active with a 600 s lease", s)
	}
}
