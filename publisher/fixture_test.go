package publisher

import (
	"context"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
)

// memStore is a Store over hand-built entries, for render tests that need
// exact control of what the store returns (order, ties, odd items).
type memStore struct {
	mu       sync.Mutex
	entries  map[string][]feedloom.Entry
	versions map[string]uint64
	err      error // returned by every call when set
}

func (m *memStore) TopicEntries(ctx context.Context, topic string, limit int) ([]feedloom.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	es := m.entries[topic]
	if limit > 0 && len(es) > limit {
		es = es[:limit]
	}
	return append([]feedloom.Entry(nil), es...), nil
}

func (m *memStore) TopicVersion(ctx context.Context, topic string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	return m.versions[topic], nil
}

// set replaces the entries of topic and bumps its version.
func (m *memStore) set(topic string, es []feedloom.Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string][]feedloom.Entry{}
		m.versions = map[string]uint64{}
	}
	m.entries[topic] = es
	m.versions[topic]++
}

const testBase = "https://feeds.example/loom/"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var testTopics = []feedloom.Topic{
	{Name: "world", Title: `World <news> & "more"`, Description: "Wire stories & analysis", Limit: 10},
	{Name: "empty", Title: "Empty", Description: ""},
}

// Story IDs, named for their place in the expected order.
const (
	idA = "0123456789abcdef0123456789abcdef" // newest
	idC = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // ties with B, sorts first by ID
	idB = "fedcba9876543210fedcba9876543210"
	idD = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" // oldest
)

// worldEntries are four stories in store order B, D, A, C; the feeds must
// show them A, C, B, D.
func worldEntries() []feedloom.Entry {
	a := feedloom.Entry{
		Story: feedloom.Story{ID: idA, Published: t0.Add(3 * time.Hour), Updated: t0.Add(4 * time.Hour), Topics: []string{"world"}},
		Items: []feedloom.Item{
			{
				ID: "a1", Source: "https://tass.example/rss", SourceName: "TASS",
				URL:        "https://tass.example/news/1?id=1",
				Title:      `Ministers meet: 5 < 6 & "quotes" <b>not bold</b>`,
				Summary:    "<p>The <b>ministers</b> met &amp; talked.</p>",
				Content:    "<p>Full text of the meeting.</p><p>Second paragraph.</p>",
				Authors:    []string{"Ivan Petrov", "Anna Smirnova", "Ivan Petrov"},
				Categories: []string{"Politics", "World", "Politics"},
				Enclosures: []feedloom.Enclosure{{URL: "https://tass.example/a.jpg", Type: "image/jpeg", Length: 12345}},
				Published:  t0.Add(3 * time.Hour), Updated: t0.Add(3 * time.Hour),
			},
			{
				ID: "a2", Source: "https://defapress.example/feed", SourceName: "Defa Press",
				URL: "https://defapress.example/n/77346", Title: "Ministers meet (repost)",
				Published: t0.Add(3*time.Hour + time.Minute), Updated: t0.Add(4 * time.Hour),
			},
			{
				// Another item of the same outlet: credited once.
				ID: "a3", Source: "https://defapress.example/feed", SourceName: "Defa Press",
				URL: "https://defapress.example/n/77347", Title: "Ministers meet (update)",
			},
		},
	}
	b := feedloom.Entry{
		Story: feedloom.Story{ID: idB, Published: t0.Add(time.Hour), Updated: t0.Add(time.Hour)},
		Items: []feedloom.Item{{
			ID: "b1", Source: "http://wire.example/atom.xml", SourceName: "",
			URL: "http://www.wire.example/b", Title: "Short one",
			Summary: "Short <i>summary</i>.", Published: t0.Add(time.Hour),
		}},
	}
	c := feedloom.Entry{
		Story: feedloom.Story{ID: idC, Published: t0.Add(time.Hour).In(time.FixedZone("MSK", 3*3600))},
		Items: []feedloom.Item{{
			ID: "c1", Source: "file:///etc/feedloom/local.xml", SourceName: "Local",
			URL: "https://local.example/c", Title: "Content only",
			Content: "<p>Only content, no summary.</p>",
		}},
	}
	d := feedloom.Entry{
		Story: feedloom.Story{ID: idD, Published: t0},
		Items: []feedloom.Item{{
			ID: "d1", Source: "https://pod.example/feed.xml", SourceName: "Pod",
			Text:       "Plain words only, no title and no markup at all in this item.",
			Enclosures: []feedloom.Enclosure{{URL: "https://pod.example/ep1.mp3"}},
		}},
	}
	empty := feedloom.Entry{Story: feedloom.Story{ID: "cccccccccccccccccccccccccccccccc", Published: t0.Add(9 * time.Hour)}}
	return []feedloom.Entry{b, d, a, empty, c}
}

// wantOrder is the story order every format must show.
var wantOrder = []string{idA, idC, idB, idD}

func newTestServer() (*Server, *memStore) {
	st := &memStore{}
	st.set("world", worldEntries())
	return New(st, Options{BaseURL: testBase, Topics: testTopics, Title: "Loom & co"}), st
}
