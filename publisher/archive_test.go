package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// parsedFeed is what a subscriber needs of a feed document in any format.
type parsedFeed struct {
	IDs     []string
	Links   map[string]string // rel → href
	Archive bool              // fh:archive
}

func parseFeed(t *testing.T, f Format, body []byte) parsedFeed {
	t.Helper()
	p := parsedFeed{Links: map[string]string{}}
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	}
	switch f {
	case Atom:
		var doc struct {
			Links   []link    `xml:"http://www.w3.org/2005/Atom link"`
			Archive *struct{} `xml:"http://purl.org/syndication/history/1.0 archive"`
			Entries []struct {
				ID string `xml:"http://www.w3.org/2005/Atom id"`
			} `xml:"http://www.w3.org/2005/Atom entry"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, l := range doc.Links {
			p.Links[l.Rel] = l.Href
		}
		for _, e := range doc.Entries {
			p.IDs = append(p.IDs, e.ID)
		}
		p.Archive = doc.Archive != nil
	case RSS:
		var doc struct {
			Channel struct {
				Links   []link    `xml:"http://www.w3.org/2005/Atom link"`
				Archive *struct{} `xml:"http://purl.org/syndication/history/1.0 archive"`
				Items   []struct {
					GUID string `xml:"guid"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, l := range doc.Channel.Links {
			p.Links[l.Rel] = l.Href
		}
		for _, e := range doc.Channel.Items {
			p.IDs = append(p.IDs, e.GUID)
		}
		p.Archive = doc.Channel.Archive != nil
	case JSON:
		var doc struct {
			FeedURL string `json:"feed_url"`
			NextURL string `json:"next_url"`
			Hubs    []struct{ Type, URL string }
			Items   []struct{ ID string }
			Ext     *struct {
				Archive     bool
				Current     string
				NextArchive string `json:"next_archive"`
			} `json:"_feedloom"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		p.Links["self"] = doc.FeedURL
		if doc.NextURL != "" {
			p.Links["prev-archive"] = doc.NextURL
		}
		for _, h := range doc.Hubs {
			if h.Type == "WebSub" {
				p.Links["hub"] = h.URL
			}
		}
		for _, e := range doc.Items {
			p.IDs = append(p.IDs, e.ID)
		}
		if doc.Ext != nil {
			p.Archive = doc.Ext.Archive
			p.Links["current"] = doc.Ext.Current
			if doc.Ext.NextArchive != "" {
				p.Links["next-archive"] = doc.Ext.NextArchive
			}
		}
	}
	return p
}

var pagedTopics = []feedloom.Topic{{Name: "paged", Title: "Paged", Limit: 3}}

// newPagedSite is a site whose topic "paged" has a limit of 3 entries.
func newPagedSite(t *testing.T, o Options) *site {
	t.Helper()
	st := storetest.Open(t)
	o.BaseURL, o.Topics = testBase, pagedTopics
	srv := New(st, o)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	return &site{st: st, srv: srv, ts: ts, client: client}
}

// file stores story n of topic "paged", published at t0 plus the given
// hours, in a transaction of its own (so filing order is n's order), and
// returns its entry id.
func file(t *testing.T, st *store.Store, n int, hours int) string {
	t.Helper()
	it := storeItem("https://p.example", fmt.Sprint(n), t0.Add(time.Duration(hours)*time.Hour), "paged")
	it.FirstSeen = t0.Add(time.Duration(n) * time.Minute)
	save(t, st, it)
	return feedloom.StoryURN(it.ID)
}

// backfill follows prev-archive links from the current feed in format f
// like an RFC 5005 subscriber and returns how often each entry was seen
// on archive pages and in the current feed.
func backfill(t *testing.T, s *site, f Format) (archived, current map[string]int, pages []string) {
	t.Helper()
	archived, current = map[string]int{}, map[string]int{}
	resp, body := s.do(t, "GET", "/topics/paged"+f.Ext())
	if resp.StatusCode != 200 {
		t.Fatalf("current %v: %s", f, resp.Status)
	}
	p := parseFeed(t, f, body)
	if p.Archive {
		t.Errorf("current %v feed is marked fh:archive", f)
	}
	for _, id := range p.IDs {
		current[id]++
	}
	for next := p.Links["prev-archive"]; next != ""; {
		path := "/" + strings.TrimPrefix(next, testBase)
		resp, body := s.do(t, "GET", path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != cacheImmutable {
			t.Errorf("%s: Cache-Control %q, want %q", path, cc, cacheImmutable)
		}
		if len(pages) > 10 {
			t.Fatal("prev-archive loop")
		}
		pages = append(pages, path)
		ap := parseFeed(t, f, body)
		if !ap.Archive {
			t.Errorf("%s has no fh:archive", path)
		}
		if ap.Links["hub"] != "" {
			t.Errorf("%s advertises a hub", path)
		}
		if ap.Links["current"] != testBase+"topics/paged"+f.Ext() {
			t.Errorf("%s: current link %q", path, ap.Links["current"])
		}
		if len(ap.IDs) != 3 {
			t.Errorf("%s: %d entries, want 3 (a full page)", path, len(ap.IDs))
		}
		for _, id := range ap.IDs {
			archived[id]++
		}
		next = ap.Links["prev-archive"]
	}
	return archived, current, pages
}

func checkBackfill(t *testing.T, s *site, want []string, wantPages int) {
	t.Helper()
	for _, f := range feedFormats {
		archived, current, pages := backfill(t, s, f)
		if len(pages) != wantPages {
			t.Errorf("%v: followed %d archive pages %v, want %d", f, len(pages), pages, wantPages)
		}
		for id, n := range archived {
			if n != 1 {
				t.Errorf("%v: %s on %d archive pages", f, id, n)
			}
		}
		var got []string
		for id := range archived {
			got = append(got, id)
		}
		for id := range current {
			if archived[id] == 0 {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, w) {
			t.Errorf("%v: a subscriber collected %d entries %v, want %d %v", f, len(got), got, len(w), w)
		}
	}
}

func TestArchivePaging(t *testing.T) {
	s := newPagedSite(t, Options{})
	// Eight stories filed in this order; their publish dates are not in
	// filing order (story 4 is the oldest of all, filed late).
	hours := []int{10, 11, 12, 13, 0, 14, 15, 16}
	var ids []string
	for n, h := range hours {
		ids = append(ids, file(t, s.st, n, h))
	}
	// 8 stories, 3 a page: archive pages 0 and 1 are full, the current
	// feed holds stories 5, 6, 7.
	checkBackfill(t, s, ids, 2)
	resp, body := s.do(t, "GET", "/topics/paged.atom")
	cur := parseFeed(t, Atom, body)
	if want := []string{ids[7], ids[6], ids[5]}; !slices.Equal(cur.IDs, want) {
		t.Errorf("current feed %v, want %v", cur.IDs, want)
	}
	if got := cur.Links["prev-archive"]; got != testBase+"topics/paged/archive/1.atom" {
		t.Errorf("current prev-archive %q", got)
	}
	if cc := resp.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("current feed Cache-Control %q", cc)
	}
	// The page still filling is served (the newest full page links to
	// it) but not cached for long; later pages do not exist.
	resp, body = s.do(t, "GET", "/topics/paged/archive/1.atom")
	if got := parseFeed(t, Atom, body).Links["next-archive"]; got != testBase+"topics/paged/archive/2.atom" {
		t.Errorf("page 1 next-archive %q", got)
	}
	resp, _ = s.do(t, "GET", "/topics/paged/archive/2.atom")
	if resp.StatusCode != 200 || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("page 2 (filling): %s, Cache-Control %q", resp.Status, resp.Header.Get("Cache-Control"))
	}
	for _, path := range []string{"/topics/paged/archive/3.atom", "/topics/paged/archive/01.atom", "/topics/paged/archive/-1.rss", "/topics/paged/archive/0", "/topics/nope/archive/0.atom"} {
		if resp, _ := s.do(t, "GET", path); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}

	// Archive bytes do not change when new stories arrive, whatever
	// their dates.
	before := map[string][]byte{}
	for _, f := range feedFormats {
		for k := range 2 {
			path := fmt.Sprintf("/topics/paged/archive/%d%s", k, f.Ext())
			_, before[path] = s.do(t, "GET", path)
		}
	}
	ids = append(ids, file(t, s.st, 8, -5), file(t, s.st, 9, 20), file(t, s.st, 10, 1))
	for path, b := range before {
		if _, now := s.do(t, "GET", path); string(now) != string(b) {
			t.Errorf("%s changed after new stories arrived", path)
		}
	}
	// 11 stories: pages 0, 1, 2 full.
	checkBackfill(t, s, ids, 3)
}

func TestArchiveFeedparser(t *testing.T) {
	readertest.Require(t, "feedparser")
	s := newPagedSite(t, Options{Hub: "https://hub.example/"})
	for n := range 7 {
		file(t, s.st, n, n)
	}
	for _, f := range []Format{Atom, RSS} {
		for _, path := range []string{"/topics/paged" + f.Ext(), "/topics/paged/archive/0" + f.Ext(), "/topics/paged/archive/1" + f.Ext()} {
			_, body := s.do(t, "GET", path)
			p := readertest.Feedparser(t, body)
			if p.Bozo || p.Version == "" || len(p.IDs) != 3 {
				t.Errorf("%s: feedparser bozo %v (%s), version %q, %d entries", path, p.Bozo, p.Exception, p.Version, len(p.IDs))
			}
		}
	}
}

func TestHubLinks(t *testing.T) {
	const hub = "https://hub.example/websub"
	s := newPagedSite(t, Options{Hub: hub})
	for n := range 4 {
		file(t, s.st, n, n)
	}
	for _, f := range feedFormats {
		self := testBase + "topics/paged" + f.Ext()
		resp, body := s.do(t, "GET", "/topics/paged"+f.Ext())
		p := parseFeed(t, f, body)
		if p.Links["hub"] != hub || p.Links["self"] != self {
			t.Errorf("%v: hub %q, self %q", f, p.Links["hub"], p.Links["self"])
		}
		if want := "<" + hub + `>; rel="hub", <` + self + `>; rel="self"`; resp.Header.Get("Link") != want {
			t.Errorf("%v: Link %q, want %q", f, resp.Header.Get("Link"), want)
		}
		if f == JSON && p.Links["prev-archive"] != testBase+"topics/paged/archive/0.json" {
			t.Errorf("JSON next_url %q", p.Links["prev-archive"])
		}
		if _, _, pages := backfill(t, s, f); len(pages) != 1 { // and archive pages carry no hub
			t.Errorf("%v: archive pages %v", f, pages)
		}
	}
	// Without a hub: no hub link, no Link header.
	s = newPagedSite(t, Options{})
	file(t, s.st, 0, 0)
	for _, f := range feedFormats {
		resp, body := s.do(t, "GET", "/topics/paged"+f.Ext())
		if p := parseFeed(t, f, body); p.Links["hub"] != "" || resp.Header.Get("Link") != "" || strings.Contains(string(body), "next_url") {
			t.Errorf("%v without a hub: hub %q, Link %q", f, p.Links["hub"], resp.Header.Get("Link"))
		}
	}
}

func TestMaxAge(t *testing.T) {
	arrivals := func(n int, gap time.Duration) []feedloom.Entry {
		var es []feedloom.Entry
		for i := range n {
			es = append(es, feedloom.Entry{Items: []feedloom.Item{{FirstSeen: t0.Add(-time.Duration(i) * gap)}}})
		}
		return es
	}
	for _, c := range []struct {
		es   []feedloom.Entry
		want string
	}{
		{nil, "public, max-age=300"},
		{arrivals(2, time.Minute), "public, max-age=300"},
		{arrivals(10, 10*time.Minute), "public, max-age=300"},
		{arrivals(30, 20*time.Minute), "public, max-age=600"},
		{arrivals(10, time.Second), "public, max-age=60"},
		{arrivals(10, 24*time.Hour), "public, max-age=3600"},
	} {
		if got := maxAgeOf(c.es); got != c.want {
			t.Errorf("%d entries: %q, want %q", len(c.es), got, c.want)
		}
	}
	// The median resists one long pause: 9 gaps, one of them a day.
	es := arrivals(10, 4*time.Minute)
	es[9].Items[0].FirstSeen = es[8].Items[0].FirstSeen.Add(-24 * time.Hour)
	if got := maxAgeOf(es); got != "public, max-age=120" {
		t.Errorf("with a pause: %q", got)
	}
	// Served: a topic whose stories arrived a minute apart.
	s := newPagedSite(t, Options{})
	for n := range 5 {
		file(t, s.st, n, n)
	}
	resp, _ := s.do(t, "GET", "/topics/paged.rss")
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control %q", cc)
	}
	resp, _ = s.do(t, "GET", "/topics.opml")
	if cc := resp.Header.Get("Cache-Control"); cc != cacheControl {
		t.Errorf("OPML Cache-Control %q", cc)
	}
}

func TestExportArchives(t *testing.T) {
	s := newPagedSite(t, Options{})
	for n := range 7 {
		file(t, s.st, n, n)
	}
	dir := t.TempDir()
	if err := s.srv.Export(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	// Pages 0 and 1 are full, page 2 is filling; no page 3.
	for _, f := range formats {
		for k := range 4 {
			path := archivePath("paged", k, f)
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
			if k == 3 {
				if err == nil {
					t.Errorf("%s exported", path)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, served := s.do(t, "GET", "/"+path); string(served) != string(b) {
				t.Errorf("%s: exported bytes differ from served", path)
			}
		}
	}
}

// TestArchiveHTML pages back through a topic as a person would: from the
// topic page, "Older stories" leads through the archive pages (HTML, with
// the page's CSP) to the oldest, which has no older link; every story is
// seen, none twice except across the topic page and the newest archive;
// "Newer stories" leads back up to the topic page.
func TestArchiveHTML(t *testing.T) {
	s := newPagedSite(t, Options{})
	want := map[string]bool{}
	for n, h := range []int{10, 11, 12, 13, 0, 14, 15, 16} {
		file(t, s.st, n, h)
		want[fmt.Sprintf("https://p.example/%d", n)] = true
	}
	story := regexp.MustCompile(`<h2><a href="([^"]+)" rel="nofollow noopener noreferrer">`)
	link := func(body []byte, class string) string {
		m := regexp.MustCompile(`<a class="` + class + `" rel="[a-z]+" href="([^"]+)">`).FindSubmatch(body)
		if m == nil {
			return ""
		}
		return strings.TrimPrefix(string(m[1]), strings.TrimSuffix(testBase, "/"))
	}
	get := func(path string) []byte {
		t.Helper()
		resp, body := s.do(t, "GET", path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != HTML.ContentType() || resp.Header.Get("Content-Security-Policy") != headerCSP {
			t.Fatalf("%s: %s, Content-Type %q, CSP %q", path, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
		}
		return body
	}
	page := "/topics/paged"
	var visited []string
	seen := map[string]int{}
	for page != "" {
		visited = append(visited, page)
		if len(visited) > 10 {
			t.Fatalf("no end to the older pages: %v", visited)
		}
		body := get(page)
		for _, m := range story.FindAllSubmatch(body, -1) {
			seen[string(m[1])]++
		}
		page = link(body, "older")
	}
	wantPages := []string{"/topics/paged", "/topics/paged/archive/1.html", "/topics/paged/archive/0.html"}
	if !slices.Equal(visited, wantPages) {
		t.Errorf("paged back through %v, want %v", visited, wantPages)
	}
	for u := range want {
		if seen[u] == 0 {
			t.Errorf("story %s on no page", u)
		}
	}
	for u, n := range seen {
		if !want[u] || n > 2 {
			t.Errorf("story %s seen %d times", u, n)
		}
	}
	if link(get("/topics/paged"), "newer") != "" {
		t.Errorf("the topic page links to newer stories")
	}
	// Newer links lead back up: 0 → 1 → 2 (the page still filling) →
	// the topic page.
	page, visited = "/topics/paged/archive/0.html", nil
	for page != "/topics/paged" {
		visited = append(visited, page)
		if len(visited) > 10 {
			t.Fatalf("no way back up: %v", visited)
		}
		if page = link(get(page), "newer"); page == "" {
			t.Fatalf("%s has no newer link", visited[len(visited)-1])
		}
	}
	if len(visited) != 3 {
		t.Errorf("climbed back through %v", visited)
	}
	body := get("/topics/paged/archive/0.html")
	if !bytes.Contains(body, []byte(`<link rel="canonical" href="`+testBase+`topics/paged/archive/0.html">`)) || !bytes.Contains(body, []byte("page 1")) {
		t.Errorf("archive page 0 lacks its canonical URL or page number:\n%s", body)
	}
	for _, path := range []string{"/topics/paged/archive/0", "/topics/paged/archive/3.html", "/topics/paged/archive/00.html", "/topics/paged/archive/.html"} {
		if resp, _ := s.do(t, "GET", path); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}
}
