package hub

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

	h.tick(ctx) // baseline: nothing is delivered
	h.tick(ctx)
	if len(sub.pushes) != 0 {
		t.Fatalf("pushes before any change: %d", len(sub.pushes))
	}
	save(t, st, "b", "world")
	h.tick(ctx)
	h.tick(ctx)
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
	h.tick(ctx)
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
	h.tick(ctx)
	save(t, st, "a", "world")
	h.tick(ctx)
	h.tick(ctx)
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
	h.tick(ctx)
	save(t, st, "a", "world")
	h.tick(ctx) // attempt 1 fails
	clock = start.Add(30 * time.Second)
	h.tick(ctx) // not due yet
	if posts != 1 {
		t.Fatalf("posts %d, want 1", posts)
	}
	clock = start.Add(61 * time.Second)
	h.tick(ctx) // attempt 2 fails
	for _, d := range []time.Duration{7 * time.Minute, 40 * time.Minute} {
		clock = clock.Add(d)
		h.tick(ctx)
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
