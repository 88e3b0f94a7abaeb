// Package hub is feedloom's WebSub hub, the publishing side of WebSub
// (https://www.w3.org/TR/websub/): subscribers ask it at /websub for the
// topic feeds of this site, it verifies their intent, and pushes a topic's
// new feed body to them whenever the topic changes. With an external hub
// instead, it only pings that hub (hub.mode=publish) on each change.
package hub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feedloom/feedloom/internal/netguard"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/store"
)

// Path is where the built-in hub is mounted, under the base URL.
const Path = "/websub"

const (
	minLease     = time.Hour
	maxLease     = 10 * 24 * time.Hour
	defaultLease = maxLease
	defaultPoll  = 5 * time.Second

	metaPrefix = "websub-hub:" // + topic URL: the store source meta key
	metaName   = "subscriptions"
)

// backoff is the wait before each retry of a failed delivery; after the
// last one the delivery is dropped.
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}

// Renderer renders a topic's feed; *publisher.Server is one.
type Renderer interface {
	Render(ctx context.Context, topic string, f publisher.Format) (*publisher.Rendered, error)
}

// Options configure a Hub.
type Options struct {
	BaseURL string   // the site's base URL, ending in "/"
	Topics  []string // names of the configured topics
	// External is the URL of an external hub to ping on each topic
	// change; "" for the built-in hub.
	External     string
	AllowPrivate bool           // callbacks may be on private or loopback addresses
	Allow        []netip.Prefix // callbacks may be in these ranges (the config's fetch.allow)
	Timeout      time.Duration  // of each request to a callback or hub; default 30s
	Poll         time.Duration  // how often topic versions are checked; default 5s
	// Workers bounds the deliveries in flight at once; default 8. Each
	// subscriber of a topic has at most one in flight, so a slow one
	// holds one worker, not the others' deliveries.
	Workers int
	Logger  *slog.Logger
}

type topicRef struct {
	name string
	f    publisher.Format
}

// Sub is an active subscription.
type Sub struct {
	Callback string    `json:"callback"`
	Secret   string    `json:"secret,omitempty"`
	Expires  time.Time `json:"expires"`
}

type delivery struct {
	topic    string // topic URL
	sub      Sub
	body     []byte
	ctype    string
	attempts int
	due      time.Time
}

// key is what deliveries are serialized by: one subscriber of one topic.
func (d *delivery) key() subKey { return subKey{d.topic, d.sub.Callback} }

type subKey struct{ topic, callback string }

// Hub is a WebSub hub for the topics of one site.
//
// Deliveries run on a bounded pool: tick queues one delivery per
// subscriber of each changed topic and starts workers (at most
// Options.Workers) while there is due work no worker holds; a worker
// sends due deliveries until none is left, then exits. A subscriber of a
// topic has at most one delivery in flight and one waiting: a newer feed
// body replaces the waiting one (it carries the whole feed), so bodies
// arrive in order and a change is delivered once. A failed delivery waits
// its backoff unless a newer one supersedes it. The workers are counted
// by workers and stop with bg, which Run cancels before it returns.
type Hub struct {
	o      Options
	st     *store.Store
	log    *slog.Logger
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	r        Renderer            // of the site's current config
	self     string              // the hub's URL
	topics   map[string]topicRef // topic URL -> topic
	subs     map[string][]Sub    // topic URL -> subscriptions
	seen     map[string]string   // topic URL -> ETag last seen
	pending  map[subKey]*delivery
	inflight map[subKey]bool
	running  int // workers started and not yet exited

	closed  bool           // Run has returned: no more verifications or deliveries
	wg      sync.WaitGroup // verifications in flight
	workers sync.WaitGroup // delivery workers
	stop    context.CancelFunc
	bg      context.Context // of verifications and deliveries, canceled when Run ends
}

// New returns a Hub; Load reads the stored subscriptions.
func New(st *store.Store, r Renderer, o Options) *Hub {
	if !strings.HasSuffix(o.BaseURL, "/") {
		o.BaseURL += "/"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = defaultPoll
	}
	if o.Workers <= 0 {
		o.Workers = defaultWorkers
	}
	h := &Hub{
		o: o, st: st, r: r, log: o.Logger, now: time.Now,
		client:   guardedClient(o.Timeout, netguard.Guard{AllowPrivate: o.AllowPrivate, Allow: o.Allow}),
		subs:     map[string][]Sub{},
		seen:     map[string]string{},
		pending:  map[subKey]*delivery{},
		inflight: map[subKey]bool{},
	}
	h.bg, h.stop = context.WithCancel(context.Background())
	if h.log == nil {
		h.log = slog.Default()
	}
	h.self, h.topics = h.site(o.BaseURL, o.Topics)
	return h
}

const defaultWorkers = 8

// site is the hub URL and the topic feed URLs of a site with base URL
// base (given a "/" at the end when it lacks one) and topics named names.
func (h *Hub) site(base string, names []string) (string, map[string]topicRef) {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	self := h.o.External
	if self == "" {
		self = base + strings.TrimPrefix(Path, "/")
	}
	topics := map[string]topicRef{}
	for _, n := range names {
		for _, f := range []publisher.Format{publisher.RSS, publisher.Atom, publisher.JSON} {
			topics[base+"topics/"+n+f.Ext()] = topicRef{n, f}
		}
	}
	return self, topics
}

// URL is the hub URL the feeds advertise.
func (h *Hub) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.self
}

// SetSite follows a config reload: from now on the hub serves the topics
// named names under base URL base, rendered by r. A topic still
// configured keeps its subscribers, what was last seen of it and its
// queued deliveries, under its new URL when base changed (the new URL is
// in each delivery's rel="self" link; the store keeps them under it). A
// removed topic's subscriptions end: new requests for it are refused and
// nothing more is delivered. An added topic gets the subscriptions the
// store kept for its URL.
func (h *Hub) SetSite(ctx context.Context, base string, names []string, r Renderer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	self, topics := h.site(base, names)
	moved := map[string]string{} // old topic URL -> new one; "" when removed
	byRef := make(map[topicRef]string, len(topics))
	for u, ref := range topics {
		byRef[ref] = u
	}
	for u, ref := range h.topics {
		moved[u] = byRef[ref]
	}
	subs := map[string][]Sub{}
	seen := map[string]string{}
	var errs []error
	for old, u := range moved {
		if u != "" {
			subs[u], seen[u] = h.subs[old], h.seen[old]
		}
	}
	for k, d := range h.pending {
		delete(h.pending, k)
		if d.topic = moved[k.topic]; d.topic != "" {
			h.pending[d.key()] = d
		}
	}
	h.self, h.topics, h.r, h.subs, h.seen = self, topics, r, subs, seen
	for old, u := range moved {
		if u != old {
			errs = append(errs, h.save(ctx, old)) // now empty
			if u != "" {
				errs = append(errs, h.save(ctx, u))
			}
		}
		delete(byRef, h.topics[u])
	}
	for _, u := range byRef { // added topics
		errs = append(errs, h.load(ctx, u))
	}
	return errors.Join(errs...)
}

// Load reads the subscriptions kept in the store.
func (h *Hub) Load(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for u := range h.topics {
		if err := h.load(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// load reads the stored subscriptions of topic URL u; call with h.mu
// held.
func (h *Hub) load(ctx context.Context, u string) error {
	b, err := h.st.SourceMeta(ctx, metaPrefix+u, metaName)
	if err != nil || len(b) == 0 {
		return err
	}
	var subs []Sub
	if err := json.Unmarshal(b, &subs); err != nil {
		h.log.Warn("websub hub: bad stored subscriptions", "topic", u, "error", err)
		return nil
	}
	h.subs[u] = subs
	return nil
}

// Subscribers returns the active subscriptions of topic URL u.
func (h *Hub) Subscribers(u string) []Sub {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Sub(nil), h.subs[u]...)
}

// save stores the subscriptions of topic u; call with h.mu held.
func (h *Hub) save(ctx context.Context, u string) error {
	var b []byte
	if subs := h.subs[u]; len(subs) > 0 {
		var err error
		if b, err = json.Marshal(subs); err != nil {
			return err
		}
	}
	return h.st.Update(ctx, func(w *store.Writer) error {
		return w.PutSourceMeta(metaPrefix+u, metaName, b)
	})
}

// Handler answers subscription requests: POST, form-encoded.
func (h *Hub) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		mode := r.PostForm.Get("hub.mode")
		topic := r.PostForm.Get("hub.topic")
		callback := r.PostForm.Get("hub.callback")
		secret := r.PostForm.Get("hub.secret")
		if mode != "subscribe" && mode != "unsubscribe" {
			http.Error(w, "hub.mode must be subscribe or unsubscribe", http.StatusBadRequest)
			return
		}
		ref, ok := h.ref(topic)
		if !ok {
			http.Error(w, "hub.topic is not a feed of this site", http.StatusBadRequest)
			return
		}
		if cu, err := url.Parse(callback); err != nil || (cu.Scheme != "http" && cu.Scheme != "https") || cu.Host == "" {
			http.Error(w, "hub.callback must be an absolute http(s) URL", http.StatusBadRequest)
			return
		}
		if len(secret) >= 200 {
			http.Error(w, "hub.secret must be shorter than 200 bytes", http.StatusBadRequest)
			return
		}
		lease := defaultLease
		if s := r.PostForm.Get("hub.lease_seconds"); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
				lease = min(max(time.Duration(min(n, int64(maxLease/time.Second)))*time.Second, minLease), maxLease)
			}
		}
		h.mu.Lock()
		closed := h.closed
		if !closed {
			h.wg.Go(func() {
				ctx, cancel := context.WithTimeout(h.bg, h.o.Timeout)
				defer cancel()
				h.verify(ctx, mode, topic, ref, Sub{Callback: callback, Secret: secret}, lease)
			})
		}
		h.mu.Unlock()
		if closed {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// ref is the topic feed at URL u of the site; ok is false when there is
// none.
func (h *Hub) ref(u string) (topicRef, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ref, ok := h.topics[u]
	return ref, ok
}

// verify asks the callback to confirm the request, and applies it when it
// echoes the challenge.
func (h *Hub) verify(ctx context.Context, mode, topic string, ref topicRef, sub Sub, lease time.Duration) {
	b := make([]byte, 24)
	rand.Read(b)
	challenge := hex.EncodeToString(b)
	u, _ := url.Parse(sub.Callback)
	q := u.Query()
	q.Set("hub.mode", mode)
	q.Set("hub.topic", topic)
	q.Set("hub.challenge", challenge)
	if mode == "subscribe" {
		q.Set("hub.lease_seconds", strconv.FormatInt(int64(lease/time.Second), 10))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.log.Info("websub hub: verification failed", "callback", sub.Callback, "error", err)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || strings.TrimSpace(string(body)) != challenge {
		h.log.Info("websub hub: intent not verified", "callback", sub.Callback, "status", resp.StatusCode)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.topics[topic]; !ok {
		// A reload while verifying: the topic's feed moved (base_url) or
		// was removed. A moved one is subscribed at its new URL, as
		// SetSite moved the others.
		topic = ""
		for u, r := range h.topics {
			if r == ref {
				topic = u
			}
		}
		if topic == "" {
			h.log.Info("websub hub: topic removed while verifying", "callback", sub.Callback)
			return
		}
	}
	subs := h.subs[topic][:0:0]
	for _, s := range h.subs[topic] {
		if s.Callback != sub.Callback {
			subs = append(subs, s)
		}
	}
	if mode == "subscribe" {
		sub.Expires = h.now().Add(lease).UTC()
		subs = append(subs, sub)
	}
	h.subs[topic] = subs
	if err := h.save(context.WithoutCancel(ctx), topic); err != nil {
		h.log.Warn("websub hub: saving subscriptions", "error", err)
	}
}

// Run checks topic versions every Poll and delivers changes until ctx is
// done.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(h.o.Poll)
	defer t.Stop()
	for {
		h.tick(ctx)
		select {
		case <-ctx.Done():
			h.mu.Lock()
			h.closed = true
			h.mu.Unlock()
			h.stop()
			h.wg.Wait()
			h.workers.Wait()
			return
		case <-t.C:
		}
	}
}

// tick drops expired subscriptions, queues deliveries (or publish pings)
// for the topics that changed since the last tick, and starts workers for
// what is due. It does not wait for the deliveries.
func (h *Hub) tick(ctx context.Context) {
	now := h.now()
	h.expire(ctx, now)
	h.mu.Lock()
	r, topics := h.r, make(map[string]topicRef, len(h.topics))
	maps.Copy(topics, h.topics)
	h.mu.Unlock()
	for u, ref := range topics {
		if ctx.Err() != nil {
			return
		}
		rd, err := r.Render(ctx, ref.name, ref.f)
		if err != nil {
			h.log.Warn("websub hub: render", "topic", u, "error", err)
			continue
		}
		h.mu.Lock()
		if _, ok := h.topics[u]; !ok { // removed by a reload meanwhile
			h.mu.Unlock()
			continue
		}
		prev, known := h.seen[u]
		h.seen[u] = rd.ETag
		changed := known && prev != rd.ETag
		if changed && h.o.External == "" {
			for _, s := range h.subs[u] {
				d := &delivery{topic: u, sub: s, body: rd.Body, ctype: rd.ContentType, due: now}
				h.pending[d.key()] = d // replaces an older body not yet sent
			}
		}
		h.mu.Unlock()
		if changed && h.o.External != "" {
			h.publish(ctx, u)
		}
	}
	h.deliver()
}

// expire drops the subscriptions whose lease ran out.
func (h *Hub) expire(ctx context.Context, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for u, subs := range h.subs {
		kept := subs[:0:0]
		for _, s := range subs {
			if now.Before(s.Expires) {
				kept = append(kept, s)
			}
		}
		if len(kept) != len(subs) {
			h.subs[u] = kept
			if err := h.save(ctx, u); err != nil {
				h.log.Warn("websub hub: saving subscriptions", "error", err)
			}
		}
	}
}

// deliver starts workers, up to Options.Workers running, while there is
// due work that no worker holds.
func (h *Hub) deliver() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	now := h.now()
	idle := 0
	for k, d := range h.pending {
		if !h.inflight[k] && !d.due.After(now) {
			idle++
		}
	}
	for ; idle > 0 && h.running < h.o.Workers; idle-- {
		h.running++
		h.workers.Go(h.work)
	}
}

// work sends due deliveries, one at a time, until none is left that no
// other worker holds, or the hub stops.
func (h *Hub) work() {
	for {
		h.mu.Lock()
		d := h.take(h.now())
		if d == nil || h.bg.Err() != nil {
			h.running--
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		err := h.send(h.bg, d)
		h.mu.Lock()
		delete(h.inflight, d.key())
		if err != nil {
			h.retry(d, err)
		}
		h.mu.Unlock()
	}
}

// take removes the earliest due delivery whose subscriber has none in
// flight from the queue and marks it in flight; nil when there is none.
// Call with h.mu held.
func (h *Hub) take(now time.Time) *delivery {
	var next *delivery
	for k, d := range h.pending {
		if h.inflight[k] || d.due.After(now) {
			continue
		}
		if next == nil || d.due.Before(next.due) || d.due.Equal(next.due) && k.callback < next.sub.Callback {
			next = d
		}
	}
	if next != nil {
		delete(h.pending, next.key())
		h.inflight[next.key()] = true
	}
	return next
}

// retry queues failed delivery d again after its backoff, unless a newer
// body for the same subscriber is queued (it supersedes d) or d has had
// all its attempts. Call with h.mu held.
func (h *Hub) retry(d *delivery, err error) {
	if _, newer := h.pending[d.key()]; newer {
		return
	}
	if d.attempts >= len(backoff) || h.bg.Err() != nil {
		h.log.Warn("websub hub: delivery dropped", "topic", d.topic, "callback", d.sub.Callback, "error", err)
		return
	}
	d.due = h.now().Add(backoff[d.attempts])
	d.attempts++
	h.pending[d.key()] = d
}

// send POSTs one delivery.
func (h *Hub) send(ctx context.Context, d *delivery) error {
	ctx, cancel := context.WithTimeout(ctx, h.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.sub.Callback, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", d.ctype)
	req.Header.Set("Link", fmt.Sprintf(`<%s>; rel="hub", <%s>; rel="self"`, h.URL(), d.topic))
	if d.sub.Secret != "" {
		req.Header.Set("X-Hub-Signature", "sha256="+Sign(d.body, d.sub.Secret))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("callback answered %s", resp.Status)
	}
	return nil
}

// publish pings the external hub that topic u changed.
func (h *Hub) publish(ctx context.Context, u string) {
	ctx, cancel := context.WithTimeout(ctx, h.o.Timeout)
	defer cancel()
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {u}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.o.External, strings.NewReader(form.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.client.Do(req)
	if err != nil {
		h.log.Warn("websub hub: publish ping", "hub", h.o.External, "topic", u, "error", err)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		h.log.Warn("websub hub: publish ping refused", "hub", h.o.External, "topic", u, "status", resp.Status)
	}
}

// Sign is the hex HMAC-SHA256 of body under secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// guardedClient refuses private and loopback addresses g does not
// permit, checked on the address about to be dialed; it follows no
// redirects.
func guardedClient(timeout time.Duration, g netguard.Guard) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: netguard.Transport(netguard.Dialer(timeout, g.Control("websub hub"))),
	}
}
