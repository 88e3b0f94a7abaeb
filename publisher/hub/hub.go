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
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	AllowPrivate bool          // callbacks may be on private or loopback addresses
	Timeout      time.Duration // of each request to a callback or hub; default 30s
	Poll         time.Duration // how often topic versions are checked; default 5s
	Logger       *slog.Logger
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

// Hub is a WebSub hub for the topics of one site.
type Hub struct {
	o      Options
	st     *store.Store
	r      Renderer
	log    *slog.Logger
	client *http.Client
	now    func() time.Time
	self   string              // the hub's URL
	topics map[string]topicRef // topic URL -> topic

	mu      sync.Mutex
	subs    map[string][]Sub  // topic URL -> subscriptions
	seen    map[string]string // topic URL -> ETag last seen
	pending []*delivery

	closed bool           // Run has returned: no more verifications
	wg     sync.WaitGroup // verifications in flight
	stop   context.CancelFunc
	bg     context.Context // of the verifications, canceled when Run ends
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
	h := &Hub{
		o: o, st: st, r: r, log: o.Logger, now: time.Now,
		client: guardedClient(o.Timeout, o.AllowPrivate),
		self:   o.External,
		topics: map[string]topicRef{},
		subs:   map[string][]Sub{},
		seen:   map[string]string{},
	}
	h.bg, h.stop = context.WithCancel(context.Background())
	if h.self == "" {
		h.self = o.BaseURL + strings.TrimPrefix(Path, "/")
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	for _, n := range o.Topics {
		for _, f := range []publisher.Format{publisher.RSS, publisher.Atom, publisher.JSON} {
			h.topics[o.BaseURL+"topics/"+n+f.Ext()] = topicRef{n, f}
		}
	}
	return h
}

// URL is the hub URL the feeds advertise.
func (h *Hub) URL() string { return h.self }

// Load reads the subscriptions kept in the store.
func (h *Hub) Load(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for u := range h.topics {
		b, err := h.st.SourceMeta(ctx, metaPrefix+u, metaName)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			continue
		}
		var subs []Sub
		if err := json.Unmarshal(b, &subs); err != nil {
			h.log.Warn("websub hub: bad stored subscriptions", "topic", u, "error", err)
			continue
		}
		h.subs[u] = subs
	}
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
		if _, ok := h.topics[topic]; !ok {
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
				h.verify(ctx, mode, topic, Sub{Callback: callback, Secret: secret}, lease)
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

// verify asks the callback to confirm the request, and applies it when it
// echoes the challenge.
func (h *Hub) verify(ctx context.Context, mode, topic string, sub Sub, lease time.Duration) {
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
			return
		case <-t.C:
		}
	}
}

// tick drops expired subscriptions, queues deliveries (or publish pings)
// for the topics that changed since the last tick, and sends what is due.
func (h *Hub) tick(ctx context.Context) {
	now := h.now()
	h.expire(ctx, now)
	for u, ref := range h.topics {
		if ctx.Err() != nil {
			return
		}
		rd, err := h.r.Render(ctx, ref.name, ref.f)
		if err != nil {
			h.log.Warn("websub hub: render", "topic", u, "error", err)
			continue
		}
		h.mu.Lock()
		prev, known := h.seen[u]
		h.seen[u] = rd.ETag
		changed := known && prev != rd.ETag
		if changed && h.o.External == "" {
			for _, s := range h.subs[u] {
				h.pending = append(h.pending, &delivery{topic: u, sub: s, body: rd.Body, ctype: rd.ContentType, due: now})
			}
		}
		h.mu.Unlock()
		if changed && h.o.External != "" {
			h.publish(ctx, u)
		}
	}
	h.deliver(ctx, now)
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

// deliver sends the deliveries that are due, rescheduling failures.
func (h *Hub) deliver(ctx context.Context, now time.Time) {
	h.mu.Lock()
	var due, later []*delivery
	for _, d := range h.pending {
		if !d.due.After(now) {
			due = append(due, d)
		} else {
			later = append(later, d)
		}
	}
	h.pending = later
	h.mu.Unlock()
	for _, d := range due {
		if ctx.Err() != nil {
			return
		}
		if err := h.send(ctx, d); err != nil {
			if d.attempts >= len(backoff) {
				h.log.Warn("websub hub: delivery dropped", "topic", d.topic, "callback", d.sub.Callback, "error", err)
				continue
			}
			d.due = now.Add(backoff[d.attempts])
			d.attempts++
			h.mu.Lock()
			h.pending = append(h.pending, d)
			h.mu.Unlock()
		}
	}
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
	req.Header.Set("Link", fmt.Sprintf(`<%s>; rel="hub", <%s>; rel="self"`, h.self, d.topic))
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

// guardedClient refuses private and loopback addresses unless
// allowPrivate, checked on the address about to be dialed; it follows no
// redirects.
func guardedClient(timeout time.Duration, allowPrivate bool) *http.Client {
	g := netguard.Guard{AllowPrivate: allowPrivate}
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: netguard.Transport(netguard.Dialer(timeout, g.Control("websub hub"))),
	}
}
