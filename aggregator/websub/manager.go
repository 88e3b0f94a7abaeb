package websub

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/internal/netguard"
	"github.com/feedloom/feedloom/store"
)

// CallbackPath is where the Handler is mounted: every callback URL is the
// base URL with this path (without its leading slash) and the
// subscription's ID appended.
const CallbackPath = "/websub/callback/"

// MetaName is the source meta entry a subscription is stored under.
const MetaName = "websub"

// Defaults for the zero values of Options.
const (
	DefaultLease   = 10 * 24 * time.Hour
	DefaultMaxBody = 10 << 20
	DefaultTimeout = 30 * time.Second
	DefaultEvery   = time.Minute
)

const (
	// renewAt is the part of a lease after which it is renewed.
	renewNum, renewDen = 8, 10
	// retryFirst and retryMax bound the backoff between requests to a hub
	// that fails or does not verify.
	retryFirst = 5 * time.Minute
	retryMax   = 6 * time.Hour
	// deniedRetry is how long a denied subscription waits.
	deniedRetry = 24 * time.Hour
	// maxUnsubscribe is how many unsubscribe requests are sent before the
	// subscription is forgotten (its lease ends it anyway).
	maxUnsubscribe = 5
	// parallel is how many hub requests Maintain sends at once.
	parallel = 8
)

// State is where a subscription stands.
type State string

const (
	Pending       State = "pending"       // requested, not verified yet
	Active        State = "active"        // verified, lease running
	Expired       State = "expired"       // the lease ran out before a renewal was verified
	Denied        State = "denied"        // the hub said hub.mode=denied
	Unsubscribing State = "unsubscribing" // the feed no longer advertises the hub
)

// A Subscription is one source's subscription at one hub, as stored.
type Subscription struct {
	Source string `json:"source"` // the source URL as configured
	Hub    string `json:"hub"`
	Topic  string `json:"topic"`  // the feed's self URL
	ID     string `json:"id"`     // the last segment of the callback URL
	Secret string `json:"secret"` // hub.secret
	State  State  `json:"state"`
	// Requested is when the last (un)subscribe request was sent;
	// Attempts counts the requests sent since the last verification.
	Requested time.Time `json:"requested,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	// Verified is when the hub last verified the subscription, for
	// LeaseSeconds, so it ends at Expires.
	Verified     time.Time `json:"verified,omitzero"`
	LeaseSeconds int64     `json:"lease_seconds,omitempty"`
	Expires      time.Time `json:"expires,omitzero"`
	// Next is when the next request is due: a renewal, or a retry.
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// An Ingester stores a pushed document; *aggregator.Aggregator is one.
type Ingester interface {
	Ingest(ctx context.Context, src feedloom.Source, body []byte, contentType, docURL string) (aggregator.Result, error)
}

// Options configure a Manager.
type Options struct {
	// BaseURL is the public absolute URL of the site; callbacks are under
	// it. Required.
	BaseURL string
	// Sources are the configured sources; only http and https ones are
	// subscribed.
	Sources []feedloom.Source
	// Lease is the lease requested from hubs; default 10 days. The hub
	// decides.
	Lease time.Duration
	// MaxBody caps a pushed document; default 10 MiB.
	MaxBody int64
	// Client sends the requests to hubs. Default: a client that refuses
	// private, loopback and other special addresses (checked on the
	// dialed IP, as the feed fetcher does) unless AllowPrivate is set or
	// Allow lists them (the config's fetch.allow), with Timeout and
	// UserAgent.
	Client       *http.Client
	AllowPrivate bool
	Allow        []netip.Prefix
	Timeout      time.Duration // default 30s
	UserAgent    string
	// SetPushed is told when a source's subscription becomes active
	// (true) and when it stops being so (false), so the scheduler can
	// poll it only as a safety net. It must not block or call back into
	// the Manager. Nil: nobody is told.
	SetPushed func(source string, pushed bool)
	// Every is how often Run looks for renewals and retries that are due;
	// default 1 minute.
	Every time.Duration
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Stats counts content distribution requests since the Manager started.
type Stats struct {
	Accepted int64 // signed correctly and stored
	Refused  int64 // unsigned, badly signed, or to an unknown callback: ignored
	Failed   int64 // signed correctly but too large or not a storable feed
}

// A Manager keeps the subscriptions of a set of sources and answers
// their hubs.
type Manager struct {
	st     *store.Store
	ing    Ingester
	o      Options
	base   string
	client *http.Client
	log    *slog.Logger

	mu      sync.Mutex
	loaded  bool
	sources map[string]feedloom.Source
	subs    map[string]*Subscription // by source URL
	byID    map[string]*Subscription

	fmu   sync.Mutex
	found map[string]found // discoveries Maintain has not applied yet
	wake  chan struct{}

	accepted, refused, failed atomic.Int64
}

// found is what Observe saw in a source's document.
type found struct {
	src        feedloom.Source
	hub, topic string
}

// New returns a Manager storing its subscriptions in st and pushed
// documents through ing. Call Run (or Load, then Maintain) to use it.
func New(st *store.Store, ing Ingester, o Options) *Manager {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		st:      st,
		ing:     ing,
		o:       o,
		base:    strings.TrimSuffix(o.BaseURL, "/") + "/",
		client:  o.Client,
		log:     o.Logger.With(slog.String("component", "websub")),
		sources: make(map[string]feedloom.Source),
		subs:    make(map[string]*Subscription),
		byID:    make(map[string]*Subscription),
		found:   make(map[string]found),
		wake:    make(chan struct{}, 1),
	}
	if m.client == nil {
		m.client = guardedClient(o.Timeout, netguard.Guard{AllowPrivate: o.AllowPrivate, Allow: o.Allow})
	}
	for _, s := range o.Sources {
		if isHTTP(s.URL) {
			m.sources[s.URL] = s
		}
	}
	return m
}

// Stats returns the push counters.
func (m *Manager) Stats() Stats {
	return Stats{Accepted: m.accepted.Load(), Refused: m.refused.Load(), Failed: m.failed.Load()}
}

// Subscriptions returns a copy of every subscription, by source URL.
func (m *Manager) Subscriptions() []Subscription {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Subscription, 0, len(m.subs))
	for _, s := range m.subs {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Subscription) int { return cmp.Compare(a.Source, b.Source) })
	return out
}

// Callback is the callback URL of the subscription with id.
func (m *Manager) Callback(id string) string {
	return m.base + strings.TrimPrefix(CallbackPath, "/") + id
}

// Observe looks for a hub in a document a poll of src fetched; it has the
// signature of aggregator.DocumentFunc. It only notes what it found: Run
// acts on it.
func (m *Manager) Observe(src feedloom.Source, doc aggregator.Document) {
	if !isHTTP(src.URL) {
		return
	}
	base := cmp.Or(doc.URL, src.URL)
	hub, self := Discover(doc.Header, doc.Body)
	hub, self = resolve(base, hub), resolve(base, self)
	if self == "" {
		self = base
	}
	if !isHTTP(hub) || !isHTTP(self) {
		hub = ""
	}
	m.fmu.Lock()
	m.found[src.URL] = found{src: src, hub: hub, topic: self}
	m.fmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Load reads the stored subscriptions of the configured sources; it does
// nothing once it has succeeded. Active subscriptions are reported to
// SetPushed. The Handler answers 503 until Load has run.
func (m *Manager) Load(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded {
		return nil
	}
	now := m.o.Now()
	for _, src := range m.o.Sources {
		if _, ok := m.sources[src.URL]; !ok {
			continue
		}
		b, err := m.st.SourceMeta(ctx, src.URL, MetaName)
		if err != nil {
			return fmt.Errorf("websub: loading subscriptions: %w", err)
		}
		if b == nil {
			continue
		}
		s := new(Subscription)
		if err := json.Unmarshal(b, s); err != nil || s.ID == "" || s.Source != src.URL {
			m.log.Warn("ignoring an unreadable stored subscription", slog.String("source", src.URL), slog.Any("error", err))
			continue
		}
		if s.State == Active && !now.Before(s.Expires) {
			s.State = Expired
		}
		m.subs[s.Source], m.byID[s.ID] = s, s
		if s.State == Active {
			m.pushed(s.Source, true)
		}
	}
	m.loaded = true
	return nil
}

// Run keeps the subscriptions until ctx is done: it loads them, then
// applies what Observe found and sends the requests that are due (see
// Maintain) as soon as Observe finds something, and every Options.Every.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.o.Every)
	defer t.Stop()
	for {
		if err := m.Maintain(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("maintaining subscriptions", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.wake:
		}
	}
}

// Maintain makes one pass at the time Options.Now gives: it loads the
// subscriptions if need be, applies what Observe found (subscribing,
// resubscribing elsewhere or unsubscribing), marks the leases that ran out
// as expired, and sends every request that is due, a few at a time. It
// returns when the hubs have answered.
func (m *Manager) Maintain(ctx context.Context) error {
	if err := m.Load(ctx); err != nil {
		return err
	}
	now := m.o.Now()
	m.fmu.Lock()
	seen := m.found
	m.found = make(map[string]found)
	m.fmu.Unlock()

	m.mu.Lock()
	changed := make(map[string]*Subscription) // source -> new value, nil to delete
	for _, f := range seen {
		m.apply(f, now, changed)
	}
	var due []Subscription
	for _, s := range m.subs {
		if s.State == Active && !now.Before(s.Expires) {
			s.State = Expired
			m.pushed(s.Source, false)
			changed[s.Source] = s
		}
		if now.Before(s.Next) {
			continue
		}
		if s.State == Unsubscribing && s.Attempts >= maxUnsubscribe {
			m.forget(s)
			changed[s.Source] = nil
			continue
		}
		s.Attempts++
		s.Requested = now
		s.Next = now.Add(retry(s.Attempts))
		if s.State == Denied {
			s.State = Pending
		}
		changed[s.Source] = s
		due = append(due, *s)
	}
	err := m.save(ctx, changed)
	m.mu.Unlock()
	if err != nil {
		return err
	}

	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, s := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m.send(ctx, s)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// apply acts on what a poll of one source showed. Called with mu held.
func (m *Manager) apply(f found, now time.Time, changed map[string]*Subscription) {
	m.sources[f.src.URL] = f.src
	cur := m.subs[f.src.URL]
	switch {
	case f.hub == "" && cur == nil:
	case f.hub == "":
		if cur.State != Active {
			if cur.State != Unsubscribing {
				m.forget(cur)
				changed[cur.Source] = nil
			}
			return
		}
		m.log.Info("the feed no longer advertises its hub: unsubscribing", slog.String("source", cur.Source), slog.String("hub", cur.Hub))
		cur.State, cur.Attempts, cur.Next = Unsubscribing, 0, now
		m.pushed(cur.Source, false)
		changed[cur.Source] = cur
	case cur != nil && cur.Hub == f.hub && cur.Topic == f.topic && cur.State != Unsubscribing:
	default:
		if cur != nil {
			m.forget(cur)
		}
		s := &Subscription{
			Source: f.src.URL,
			Hub:    f.hub,
			Topic:  f.topic,
			ID:     randomHex(16),
			Secret: randomHex(32),
			State:  Pending,
			Next:   now,
		}
		m.subs[s.Source], m.byID[s.ID] = s, s
		changed[s.Source] = s
		m.log.Info("the feed advertises a hub: subscribing", slog.String("source", s.Source), slog.String("hub", s.Hub), slog.String("topic", s.Topic))
	}
}

// forget removes s from the maps. Called with mu held.
func (m *Manager) forget(s *Subscription) {
	if s.State == Active {
		m.pushed(s.Source, false)
	}
	delete(m.subs, s.Source)
	delete(m.byID, s.ID)
}

// send sends the request s is due for and records a failure.
func (m *Manager) send(ctx context.Context, s Subscription) {
	mode := "subscribe"
	if s.State == Unsubscribing {
		mode = "unsubscribe"
	}
	err := m.request(ctx, s, mode)
	if ctx.Err() != nil {
		return
	}
	log := m.log.With(slog.String("source", s.Source), slog.String("hub", s.Hub), slog.String("mode", mode))
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.byID[s.ID]
	if cur == nil || !cur.Requested.Equal(s.Requested) {
		return // replaced, forgotten or requested again meanwhile
	}
	if err != nil {
		log.Warn("hub request failed", slog.Int("attempts", cur.Attempts), slog.Time("retry", cur.Next), slog.Any("error", err))
		cur.LastError = err.Error()
	} else {
		log.Debug("hub accepted the request")
		if cur.LastError == "" {
			return
		}
		cur.LastError = ""
	}
	if err := m.save(ctx, map[string]*Subscription{cur.Source: cur}); err != nil {
		log.Error("saving the subscription", slog.Any("error", err))
	}
}

// request POSTs an (un)subscription request to the hub. Only a 2xx
// answer is a success; 307 and 308 are followed to another hub.
func (m *Manager) request(ctx context.Context, s Subscription, mode string) error {
	form := url.Values{
		"hub.mode":     {mode},
		"hub.topic":    {s.Topic},
		"hub.callback": {m.Callback(s.ID)},
	}
	if mode == "subscribe" {
		form.Set("hub.secret", s.Secret)
		form.Set("hub.lease_seconds", strconv.FormatInt(int64(m.o.Lease/time.Second), 10))
	}
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("websub: hub %s: %w", s.Hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if m.o.UserAgent != "" {
		req.Header.Set("User-Agent", m.o.UserAgent)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("websub: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return fmt.Errorf("websub: hub %s answered %s: %s", s.Hub, resp.Status, strings.Join(strings.Fields(string(msg)), " "))
}

// save writes the changed subscriptions in one transaction (nil
// deletes). Called with mu held.
func (m *Manager) save(ctx context.Context, changed map[string]*Subscription) error {
	if len(changed) == 0 {
		return nil
	}
	return m.st.Update(context.WithoutCancel(ctx), func(w *store.Writer) error {
		for source, s := range changed {
			var b []byte
			if s != nil {
				var err error
				if b, err = json.Marshal(s); err != nil {
					return err
				}
			}
			if err := w.PutSourceMeta(source, MetaName, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// pushed tells SetPushed. Called with mu held.
func (m *Manager) pushed(source string, on bool) {
	if m.o.SetPushed != nil {
		m.o.SetPushed(source, on)
	}
}

// retry is the wait after the nth request without a verification.
func retry(n int) time.Duration {
	d := retryFirst
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func isHTTP(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// resolve makes ref absolute against base; "" stays "".
func resolve(base, ref string) string {
	if ref == "" {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	r, err := b.Parse(ref)
	if err != nil {
		return ""
	}
	r.Fragment = ""
	return r.String()
}
