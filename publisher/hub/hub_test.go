package hub

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

const base = "http://feeds.test/"

type push struct {
	body   []byte
	header http.Header
}

// subscriber is a loopback WebSub subscriber that echoes challenges when
// accept is set and records the pushes.
type subscriber struct {
	accept bool
	mu     sync.Mutex
	checks []url.Values
	pushes []push
	ts     *httptest.Server
}

func newSubscriber(t *testing.T, accept bool) *subscriber {
	s := &subscriber{accept: accept}
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			s.checks = append(s.checks, q)
			if !s.accept {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, q.Get("hub.challenge"))
		case http.MethodPost:
			b, _ := io.ReadAll(r.Body)
			s.pushes = append(s.pushes, push{b, r.Header.Clone()})
		}
	}))
	t.Cleanup(s.ts.Close)
	return s
}

func save(t *testing.T, st *store.Store, key string, topics ...string) {
	t.Helper()
	src := "https://outlet.test/feed"
	now := time.Now().UTC().Truncate(time.Second)
	it := feedloom.Item{
		ID: feedloom.ItemID(src, key), Source: src, Key: "url:" + key,
		URL: src + "/" + key, Title: "Story " + key, Published: now, Updated: now, FirstSeen: now,
		Topics: topics,
	}
	it.Story = it.ID
	if err := st.Update(context.Background(), func(w *store.Writer) error { return w.SaveItem(&it) }); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T) (*store.Store, *publisher.Server, *Hub, http.Handler) {
	st := storetest.Open(t)
	pub := publisher.New(st, publisher.Options{BaseURL: base, Topics: []feedloom.Topic{{Name: "world", Title: "World"}}})
	h := New(st, pub, Options{BaseURL: base, Topics: []string{"world"}, AllowPrivate: true, Timeout: 5 * time.Second})
	return st, pub, h, h.Handler()
}

// tickWait is one tick of Run, then waits for the deliveries it started.
func (h *Hub) tickWait(ctx context.Context) {
	h.tick(ctx)
	h.workers.Wait()
}

func subscribe(t *testing.T, hd http.Handler, form url.Values) int {
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	hd.ServeHTTP(rec, req)
	return rec.Code
}

func TestSubscribeAndDeliver(t *testing.T) {
	st, pub, h, hd := setup(t)
	ctx := context.Background()
	save(t, st, "a", "world")
	sub := newSubscriber(t, true)
	topic := base + "topics/world.atom"
	code := subscribe(t, hd, url.Values{
		"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.ts.URL + "/cb?x=1"},
		"hub.secret": {"s3cret"}, "hub.lease_seconds": {"60"},
	})
	if code != http.StatusAccepted {
		t.Fatalf("subscribe: %d", code)
	}
	h.wg.Wait()
	if len(sub.checks) != 1 {
		t.Fatalf("verifications: %d", len(sub.checks))
	}
	q := sub.checks[0]
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.topic") != topic || q.Get("hub.lease_seconds") != "3600" || q.Get("x") != "1" {
		t.Errorf("verification query: %v", q)
	}
	subs := h.Subscribers(topic)
	if len(subs) != 1 || subs[0].Secret != "s3cret" {
		t.Fatalf("subscriptions: %+v", subs)
	}
	// persisted
	h2 := New(st, pub, Options{BaseURL: base, Topics: []string{"world"}})
	if err := h2.Load(ctx); err != nil || len(h2.Subscribers(topic)) != 1 {
		t.Fatalf("reloaded: %v %+v", err, h2.Subscribers(topic))
	}

	h.tickWait(ctx) // baseline: nothing is delivered
	h.tickWait(ctx)
	if len(sub.pushes) != 0 {
		t.Fatalf("pushes before any change: %d", len(sub.pushes))
	}
	save(t, st, "b", "world")
	h.tickWait(ctx)
	h.tickWait(ctx)
	if len(sub.pushes) != 1 {
		t.Fatalf("pushes: %d, want 1", len(sub.pushes))
	}
	rd, err := pub.Render(ctx, "world", publisher.Atom)
	if err != nil {
		t.Fatal(err)
	}
	p := sub.pushes[0]
	if !bytes.Equal(p.body, rd.Body) || !bytes.Contains(p.body, []byte("Story b")) {
		t.Errorf("pushed body is not the new feed:\n%s", p.body)
	}
	if got, want := p.header.Get("X-Hub-Signature"), "sha256="+Sign(rd.Body, "s3cret"); got != want {
		t.Errorf("signature %q, want %q", got, want)
	}
	if ct := p.header.Get("Content-Type"); ct != rd.ContentType {
		t.Errorf("content type %q", ct)
	}
	if l := p.header.Get("Link"); l != `<`+base+`websub>; rel="hub", <`+topic+`>; rel="self"` {
		t.Errorf("Link %q", l)
	}

	// the lease runs out
	h.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	h.tickWait(ctx)
	if n := len(h.Subscribers(topic)); n != 0 {
		t.Errorf("expired subscription kept: %d", n)
	}
}

func TestVerificationFailure(t *testing.T) {
	_, _, h, hd := setup(t)
	sub := newSubscriber(t, false)
	topic := base + "topics/world.rss"
	if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.ts.URL}}); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d", code)
	}
	h.wg.Wait()
	if len(sub.checks) != 1 {
		t.Fatalf("verifications: %d", len(sub.checks))
	}
	if n := len(h.Subscribers(topic)); n != 0 {
		t.Errorf("subscriptions after failed verification: %d", n)
	}
}

func TestUnknownTopic(t *testing.T) {
	_, _, h, hd := setup(t)
	sub := newSubscriber(t, true)
	for _, topic := range []string{base + "topics/sport.rss", base + "topics/world", "http://other.test/topics/world.rss"} {
		if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.ts.URL}}); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", topic, code)
		}
	}
	h.wg.Wait()
	if len(sub.checks) != 0 {
		t.Errorf("verified an unknown topic")
	}
}

func TestPublishPing(t *testing.T) {
	st := storetest.Open(t)
	pub := publisher.New(st, publisher.Options{BaseURL: base, Topics: []feedloom.Topic{{Name: "world"}}})
	var mu sync.Mutex
	var got []url.Values
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.PostForm)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ext.Close()
	h := New(st, pub, Options{BaseURL: base, Topics: []string{"world"}, External: ext.URL, AllowPrivate: true})
	if h.URL() != ext.URL {
		t.Errorf("URL %q", h.URL())
	}
	ctx := context.Background()
	h.tickWait(ctx)
	save(t, st, "a", "world")
	h.tickWait(ctx)
	h.tickWait(ctx)
	if len(got) != 3 { // one per feed format
		t.Fatalf("pings: %v", got)
	}
	for _, v := range got {
		if v.Get("hub.mode") != "publish" || !strings.HasPrefix(v.Get("hub.url"), base+"topics/world.") {
			t.Errorf("ping %v", v)
		}
	}
}

func TestRetryAndUnsubscribe(t *testing.T) {
	st, _, h, hd := setup(t)
	ctx := context.Background()
	var mu sync.Mutex
	fail, posts := true, 0
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		posts++
		if fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer cb.Close()
	topic := base + "topics/world.json"
	subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {cb.URL}})
	h.wg.Wait()
	if len(h.Subscribers(topic)) != 1 {
		t.Fatal("not subscribed")
	}
	start := time.Now()
	clock := start
	h.now = func() time.Time { return clock }
	h.tickWait(ctx)
	save(t, st, "a", "world")
	h.tickWait(ctx) // attempt 1 fails
	clock = start.Add(30 * time.Second)
	h.tickWait(ctx) // not due yet
	if posts != 1 {
		t.Fatalf("posts %d, want 1", posts)
	}
	clock = start.Add(61 * time.Second)
	h.tickWait(ctx) // attempt 2 fails
	for _, d := range []time.Duration{7 * time.Minute, 40 * time.Minute} {
		clock = clock.Add(d)
		h.tickWait(ctx)
	}
	if posts != 4 || len(h.pending) != 0 {
		t.Fatalf("posts %d pending %d, want 4 attempts then dropped", posts, len(h.pending))
	}

	fail = false
	subscribe(t, hd, url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {topic}, "hub.callback": {cb.URL}})
	h.wg.Wait()
	if len(h.Subscribers(topic)) != 0 {
		t.Fatal("still subscribed after unsubscribe")
	}
}

func TestRunStops(t *testing.T) {
	_, _, h, hd := setup(t)
	h.o.Poll = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {base + "topics/world.rss"}, "hub.callback": {"http://127.0.0.1:1/"}}); code != http.StatusServiceUnavailable {
		t.Errorf("after Run: %d, want 503", code)
	}
}

// gated is a subscriber that verifies every request and reports each
// pushed body on got; when blocking, it then holds the push unanswered
// until release is closed (at the end of the test at the latest).
type gated struct {
	got     chan []byte
	release chan struct{}
	mu      sync.Mutex
	bodies  [][]byte
	ts      *httptest.Server
}

func newGated(t *testing.T, blocking bool) *gated {
	g := &gated{got: make(chan []byte, 16), release: make(chan struct{})}
	g.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.bodies = append(g.bodies, b)
		g.mu.Unlock()
		g.got <- b
		if blocking {
			select {
			case <-g.release:
			case <-r.Context().Done():
			}
		}
	}))
	t.Cleanup(g.ts.Close)
	t.Cleanup(g.open) // runs first: no handler stays blocked
	return g
}

func (g *gated) open() {
	select {
	case <-g.release:
	default:
		close(g.release)
	}
}

func (g *gated) received() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.bodies)
}

// next waits for the next push to g; a push that never comes fails the
// test (after a generous guard, so a broken hub cannot hang it).
func (g *gated) next(t *testing.T, what string) []byte {
	t.Helper()
	select {
	case b := <-g.got:
		return b
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no delivery", what)
		return nil
	}
}

func subscribeAll(t *testing.T, h *Hub, hd http.Handler, topic string, subs ...*gated) {
	t.Helper()
	for _, g := range subs {
		if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {g.ts.URL}}); code != http.StatusAccepted {
			t.Fatalf("subscribe: %d", code)
		}
	}
	h.wg.Wait()
	if n := len(h.Subscribers(topic)); n != len(subs) {
		t.Fatalf("%d subscriptions, want %d", n, len(subs))
	}
}

// TestSlowSubscriber: a subscriber that holds its delivery unanswered
// does not hold up another subscriber's deliveries, of this change or of
// the next; it gets both changes itself, once each and in order, when it
// answers.
func TestSlowSubscriber(t *testing.T) {
	st, _, h, hd := setup(t)
	ctx := context.Background()
	save(t, st, "a", "world")
	slow, fast := newGated(t, true), newGated(t, false)
	topic := base + "topics/world.atom"
	subscribeAll(t, h, hd, topic, slow, fast) // the slow one first
	h.tick(ctx)
	save(t, st, "b", "world")
	h.tick(ctx)
	first := slow.next(t, "slow subscriber, first change")
	if b := fast.next(t, "fast subscriber while the slow one holds its delivery"); !bytes.Equal(b, first) {
		t.Errorf("the subscribers got different bodies for one change")
	}
	save(t, st, "c", "world")
	h.tick(ctx)
	second := fast.next(t, "fast subscriber, second change, while the slow one still holds the first")
	if !bytes.Contains(second, []byte("Story c")) || bytes.Contains(first, []byte("Story c")) {
		t.Errorf("second change not in the second body")
	}
	h.mu.Lock()
	queued := h.pending[subKey{topic, slow.ts.URL}]
	h.mu.Unlock()
	if queued == nil || !bytes.Equal(queued.body, second) {
		t.Errorf("the slow subscriber's second delivery is not queued behind its first")
	}
	slow.open()
	if b := slow.next(t, "slow subscriber, second change"); !bytes.Equal(b, second) {
		t.Errorf("slow subscriber's second body is not the second change")
	}
	h.workers.Wait()
	for name, g := range map[string]*gated{"slow": slow, "fast": fast} {
		if got := g.received(); len(got) != 2 || !bytes.Equal(got[0], first) || !bytes.Equal(got[1], second) {
			t.Errorf("%s subscriber got %d deliveries, want the two changes once each, in order", name, len(got))
		}
	}
}

// TestDeliveryPoolBounded: no more deliveries are in flight than there
// are workers; the rest wait their turn and are delivered once.
func TestDeliveryPoolBounded(t *testing.T) {
	st := storetest.Open(t)
	pub := publisher.New(st, publisher.Options{BaseURL: base, Topics: []feedloom.Topic{{Name: "world", Title: "World"}}})
	h := New(st, pub, Options{BaseURL: base, Topics: []string{"world"}, AllowPrivate: true, Timeout: 30 * time.Second, Workers: 2})
	ctx := context.Background()
	subs := []*gated{newGated(t, true), newGated(t, true), newGated(t, true)}
	subscribeAll(t, h, h.Handler(), base+"topics/world.rss", subs...)
	h.tick(ctx)
	save(t, st, "a", "world")
	h.tick(ctx)
	// Two pushes arrive and block; the third waits for a worker.
	var held []*gated
	for len(held) < 2 {
		select {
		case <-subs[0].got:
			held = append(held, subs[0])
		case <-subs[1].got:
			held = append(held, subs[1])
		case <-subs[2].got:
			held = append(held, subs[2])
		case <-time.After(20 * time.Second):
			t.Fatal("fewer than two deliveries started")
		}
	}
	h.tick(ctx) // nothing new; must not start a third worker
	h.mu.Lock()
	running, inflight, pending := h.running, len(h.inflight), len(h.pending)
	h.mu.Unlock()
	if running != 2 || inflight != 2 || pending != 1 {
		t.Errorf("running %d, in flight %d, queued %d; want 2, 2, 1", running, inflight, pending)
	}
	for _, g := range subs {
		g.open()
	}
	h.workers.Wait()
	for i, g := range subs {
		if n := len(g.received()); n != 1 {
			t.Errorf("subscriber %d got %d deliveries, want 1", i, n)
		}
	}
}

// TestRunStopsDeliveries: Run returns while a delivery is held
// unanswered; the delivery's request is canceled.
func TestRunStopsDeliveries(t *testing.T) {
	st, _, h, hd := setup(t)
	h.o.Poll = 10 * time.Millisecond
	save(t, st, "a", "world")
	g := newGated(t, true)
	subscribeAll(t, h, hd, base+"topics/world.atom", g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		h.mu.Lock()
		_, seen := h.seen[base+"topics/world.atom"]
		h.mu.Unlock()
		if seen || time.Now().After(deadline) {
			break
		}
	}
	save(t, st, "b", "world")
	g.next(t, "delivery")
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop while a delivery was held")
	}
}

// TestSetSite follows two config reloads: the first moves the site to a
// new base URL and adds a topic, the second removes a topic. The hub
// takes subscriptions for the added topic, keeps (and stores) the
// subscriptions of a kept one under its new URL, delivers with the new
// URLs, and refuses and stops delivering a removed one.
func TestSetSite(t *testing.T) {
	st, _, h, hd := setup(t)
	ctx := context.Background()
	save(t, st, "a", "world", "tech")
	g := newGated(t, false)
	oldTopic := base + "topics/world.atom"
	subscribeAll(t, h, hd, oldTopic, g)
	h.tickWait(ctx)

	const base2 = "https://news.test/loom/"
	topics := []feedloom.Topic{{Name: "world", Title: "World"}, {Name: "tech", Title: "Tech"}}
	pub2 := publisher.New(st, publisher.Options{BaseURL: base2, Topics: topics, Hub: base2 + "websub"})
	if err := h.SetSite(ctx, base2, []string{"world", "tech"}, pub2); err != nil {
		t.Fatal(err)
	}
	if h.URL() != base2+"websub" {
		t.Errorf("hub URL %q after the reload", h.URL())
	}
	world, tech := base2+"topics/world.atom", base2+"topics/tech.json"
	if n := len(h.Subscribers(world)); n != 1 {
		t.Errorf("%d subscriptions under the new URL, want the kept one", n)
	}
	if n := len(h.Subscribers(oldTopic)); n != 0 {
		t.Errorf("%d subscriptions left under the old URL", n)
	}
	if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {oldTopic}, "hub.callback": {g.ts.URL}}); code != http.StatusBadRequest {
		t.Errorf("old URL: %d, want 400", code)
	}
	techSub := newGated(t, false)
	subscribeAll(t, h, hd, tech, techSub)
	stored := New(st, pub2, Options{BaseURL: base2, Topics: []string{"world", "tech"}})
	if err := stored.Load(ctx); err != nil || len(stored.Subscribers(world)) != 1 || len(stored.Subscribers(tech)) != 1 {
		t.Errorf("store after the reload: %v, world %d, tech %d subscriptions", err, len(stored.Subscribers(world)), len(stored.Subscribers(tech)))
	}

	// The new URLs changed world's body: its subscriber hears of it.
	// tech is new: this tick is the baseline it is compared with later.
	h.tickWait(ctx)
	if !bytes.Contains(g.next(t, "delivery after the reload"), []byte(base2+"topics/")) {
		t.Errorf("delivery after the reload lacks the new URLs")
	}
	if n := len(techSub.received()); n != 0 {
		t.Errorf("%d deliveries of the added topic before it changed", n)
	}
	save(t, st, "b", "world", "tech")
	h.tickWait(ctx)
	b := g.next(t, "world change")
	if !bytes.Contains(b, []byte("Story b")) || !bytes.Contains(b, []byte(`href="`+world+`"`)) {
		t.Errorf("world delivery is not the new feed at its new URL:\n%s", b)
	}
	techSub.next(t, "tech change")

	// The second reload removes world.
	pub3 := publisher.New(st, publisher.Options{BaseURL: base2, Topics: topics[1:], Hub: base2 + "websub"})
	if err := h.SetSite(ctx, base2, []string{"tech"}, pub3); err != nil {
		t.Fatal(err)
	}
	if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {world}, "hub.callback": {g.ts.URL}}); code != http.StatusBadRequest {
		t.Errorf("removed topic: %d, want 400", code)
	}
	if n := len(h.Subscribers(world)); n != 0 {
		t.Errorf("removed topic keeps %d subscriptions", n)
	}
	save(t, st, "c", "world", "tech")
	h.tickWait(ctx)
	techSub.next(t, "tech change after world was removed")
	if n := len(g.received()); n != 2 {
		t.Errorf("subscriber of the removed topic got %d deliveries, want the 2 from before", n)
	}
}

// TestSetSiteWhileVerifying: a reload lands between the hub's
// verification request and the subscriber's answer. A topic that moved
// is subscribed at its new URL; a removed one is not subscribed at all.
func TestSetSiteWhileVerifying(t *testing.T) {
	for _, keep := range []bool{true, false} {
		st, _, h, hd := setup(t)
		ctx := context.Background()
		asked, answer := make(chan struct{}), make(chan struct{})
		cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(asked)
			<-answer
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		}))
		if code := subscribe(t, hd, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {base + "topics/world.atom"}, "hub.callback": {cb.URL}}); code != http.StatusAccepted {
			t.Fatalf("subscribe: %d", code)
		}
		<-asked
		const base2 = "https://moved.test/"
		names := []string{"world"}
		if !keep {
			names = nil
		}
		pub2 := publisher.New(st, publisher.Options{BaseURL: base2, Topics: []feedloom.Topic{{Name: "world"}}})
		if err := h.SetSite(ctx, base2, names, pub2); err != nil {
			t.Fatal(err)
		}
		close(answer)
		h.wg.Wait()
		cb.Close()
		want := 0
		if keep {
			want = 1
		}
		if n := len(h.Subscribers(base2 + "topics/world.atom")); n != want {
			t.Errorf("keep %v: %d subscriptions at the new URL, want %d", keep, n, want)
		}
		if n := len(h.Subscribers(base + "topics/world.atom")); n != 0 {
			t.Errorf("keep %v: %d subscriptions at the old URL", keep, n)
		}
	}
}
