package aggregator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/fulltext"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/feedloom/feedloom/store"
)

// Full text for sources with Source.FullText: each new item's page is
// fetched, before the poll's write transaction and with the poll's
// context, through the aggregator's one fetch client (its guard, limits
// and timeout), at most pageWorkers pages at once for one poll and at most
// PerHost at once to one host across polls. What a page gave, the article
// or the reason there is none, is stored by the page's canonical URL
// (store.Article) in the poll's transaction, so neither a later poll nor
// another source linking the same article fetches it again.
const (
	// pageWorkers is how many pages one poll fetches at once.
	pageWorkers = 4
	// maxPagesPerPoll bounds the pages one poll fetches; the new items
	// past it keep the feed's text ("skipped"), so that a feed listing
	// thousands of new links does not hold a worker for hours.
	maxPagesPerPoll = 100
	// pageRetry is how long a page that gave no article is not fetched
	// again for another new item linking it.
	pageRetry = 6 * time.Hour
)

// The outcomes of full text for one new item, besides the fetch error
// classes (fetch.Classify). They label feedloom_fulltext_total and the
// per-source counts of `feedloom sources -v`.
const (
	FullTextExtracted = "extracted" // the page was fetched and its article taken
	FullTextCached    = "cached"    // the article was stored already (another source, an earlier poll)
	FullTextNotHTML   = "not_html"  // the page is not HTML
	FullTextNoArticle = "no_article"
	FullTextSkipped   = "skipped" // over maxPagesPerPoll, or the poll's context ended first
)

// metaFullText names the source meta value holding the source's full text
// counts (outcome → new items, as JSON).
const metaFullText = "fulltext"

// pageTexts is the full text found for one poll's items.
type pageTexts struct {
	content map[string]string        // canonical URL → article, for every item that takes one
	put     map[string]store.Article // what each fetched or reused page gave, to store with the items
	counts  map[string]int           // outcome → new items (one per page)
}

// fullTexts finds the articles of the items of a source with full text:
// from the stored pages, and by fetching the pages of new items that have
// none. A failed page leaves its item out of content (it keeps the feed's
// text). It returns nil for a source without full text; an error only when
// the store cannot be read.
func (a *Aggregator) fullTexts(ctx context.Context, src feedloom.Source, items []feedloom.Item, now time.Time) (*pageTexts, error) {
	if !src.FullText || len(items) == 0 {
		return nil, nil
	}
	ident, err := SourceIdentity(ctx, a.st, src.URL)
	if err != nil {
		return nil, err
	}
	keyed := rekey(slices.Clone(items), ident.Mode) // the IDs the items are stored under
	seen, err := a.st.Seen(ctx, keyed)
	if err != nil {
		return nil, err
	}
	sel := src.FullTextSelector
	var keys []string
	for _, it := range keyed {
		if it.URL != "" {
			keys = append(keys, articleKey(it.URL, sel))
		}
	}
	stored, err := a.st.Articles(ctx, keys)
	if err != nil {
		return nil, err
	}
	pt := &pageTexts{content: map[string]string{}, put: map[string]store.Article{}, counts: map[string]int{}}
	var fetchURLs []string
	queued := map[string]bool{}
	for i, it := range keyed {
		if it.URL == "" {
			continue
		}
		key := articleKey(it.URL, sel)
		p, ok := stored[key]
		if ok && p.Outcome == "ok" {
			pt.content[it.URL] = p.Content
		}
		if seen[i] {
			continue // stored already: its page, if any, was fetched then
		}
		switch {
		case ok && (p.Outcome == "ok" || now.Sub(p.Fetched) < pageRetry):
			pt.counts[cachedOutcome(p)]++
			p.Used = now
			pt.put[key] = p
		case queued[it.URL]:
		case len(fetchURLs) >= maxPagesPerPoll:
			pt.counts[FullTextSkipped]++
		default:
			queued[it.URL] = true
			fetchURLs = append(fetchURLs, it.URL)
		}
	}
	for u, p := range a.fetchPages(ctx, src, fetchURLs, now) {
		outcome := p.Outcome
		if outcome == "ok" {
			outcome = FullTextExtracted
			pt.content[u] = p.Content
		}
		pt.counts[outcome]++
		if outcome != FullTextSkipped { // cut short: nothing learned about the page
			pt.put[articleKey(u, sel)] = p
		}
	}
	return pt, nil
}

// articleKey is what the article of the page at u is stored under: the
// URL, and the selector it was taken with, if any, since another selector
// takes another block of the same page.
func articleKey(u, selector string) string {
	if selector == "" {
		return u
	}
	return u + "\x00" + selector
}

// cachedOutcome is how a new item that found its page stored is counted.
func cachedOutcome(p store.Article) string {
	if p.Outcome == "ok" {
		return FullTextCached
	}
	return p.Outcome
}

// fetchPages fetches and extracts the pages at urls, pageWorkers at a
// time, and returns what each gave. When ctx has a deadline (a WebSub
// push is stored within one), the pages get half the time left, so that
// the items are still stored, with the feed's text where a page was cut
// short.
func (a *Aggregator) fetchPages(ctx context.Context, src feedloom.Source, urls []string, now time.Time) map[string]store.Article {
	out := make(map[string]store.Article, len(urls))
	if len(urls) == 0 {
		return out
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/2))
		defer cancel()
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range min(pageWorkers, len(urls)) {
		wg.Go(func() {
			for u := range next {
				p := a.fetchPage(ctx, src, u, now)
				mu.Lock()
				out[u] = p
				mu.Unlock()
			}
		})
	}
	for _, u := range urls {
		next <- u
	}
	close(next)
	wg.Wait()
	return out
}

// fetchPage fetches one page, when its host has a free slot, and extracts
// its article.
func (a *Aggregator) fetchPage(ctx context.Context, src feedloom.Source, u string, now time.Time) store.Article {
	p := store.Article{Fetched: now, Used: now}
	log := a.o.Logger.With(slog.String("source", src.URL), slog.String("page", u))
	release, err := a.pageHosts.acquire(ctx, hostKey(u))
	if err != nil {
		p.Outcome = FullTextSkipped
		return p
	}
	resp, err := a.client.Fetch(ctx, fetch.Request{URL: u, Accept: fulltext.Accept})
	release()
	if err != nil {
		p.Outcome = fetch.Classify(err)
		if ctx.Err() != nil {
			p.Outcome = FullTextSkipped // the poll's time ran out, not the page's
		}
		log.Debug("full text: page not fetched", slog.String("class", p.Outcome), slog.Any("error", err))
		return p
	}
	base, err := url.Parse(resp.URL)
	if err != nil {
		base = nil
	}
	p.Content, err = fulltext.Extract(resp.Body, resp.ContentType, base, src.FullTextSelector)
	switch {
	case err == nil:
		p.Outcome = "ok"
		return p
	case errors.Is(err, fulltext.ErrNotHTML):
		p.Outcome = FullTextNotHTML
	case errors.Is(err, fulltext.ErrNoArticle):
		p.Outcome = FullTextNoArticle
	default:
		p.Outcome = "other"
	}
	log.Debug("full text: no article", slog.String("class", p.Outcome), slog.Any("error", err))
	return p
}

// apply makes the article of each item that has one its content; the
// feed's summary (or, without one, the feed's content) becomes its
// summary.
func (pt *pageTexts) apply(items []feedloom.Item) {
	if pt == nil {
		return
	}
	for i := range items {
		it := &items[i]
		c, ok := pt.content[it.URL]
		if !ok || it.URL == "" {
			continue
		}
		if it.Summary == "" {
			it.Summary = it.Content
		}
		it.Content = c
		it.Text = normalize.EntryText(it.Summary, it.Content)
	}
}

// save stores the poll's pages and adds its counts to the source's.
func (pt *pageTexts) save(w *store.Writer, source string) error {
	if pt == nil {
		return nil
	}
	for u, p := range pt.put {
		if err := w.PutArticle(u, p); err != nil {
			return err
		}
	}
	if len(pt.counts) == 0 {
		return nil
	}
	total, err := fullTextCounts(w.SourceMeta(source, metaFullText))
	if err != nil {
		total = map[string]int{} // unreadable: count again
	}
	for k, n := range pt.counts {
		total[k] += n
	}
	b, err := json.Marshal(total)
	if err != nil {
		return err
	}
	return w.PutSourceMeta(source, metaFullText, b)
}

func fullTextCounts(b []byte, err error) (map[string]int, error) {
	m := map[string]int{}
	if err != nil || b == nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// SourceFullText returns how the new items of source fared with full
// text, by outcome (FullTextExtracted, FullTextCached, a fetch error class,
// ...), since the store was created.
func SourceFullText(ctx context.Context, st *store.Store, source string) (map[string]int, error) {
	m, err := fullTextCounts(st.SourceMeta(ctx, source, metaFullText))
	if err != nil {
		return nil, fmt.Errorf("aggregator: full text counts of %s: %w", source, err)
	}
	return m, nil
}

// hostSlots limits the page fetches to one host that run at once, across
// every poll of the aggregator.
type hostSlots struct {
	mu    sync.Mutex
	limit int
	hosts map[string]*hostSlot
}

type hostSlot struct {
	free  chan struct{} // holds a token per free slot
	users int           // holders and waiters: the slot is dropped at 0
}

// acquire waits for a free slot for host ("" is not limited) and returns
// the function that frees it, or ctx's error.
func (h *hostSlots) acquire(ctx context.Context, host string) (func(), error) {
	if host == "" {
		return func() {}, nil
	}
	h.mu.Lock()
	if h.hosts == nil {
		h.hosts = map[string]*hostSlot{}
	}
	s := h.hosts[host]
	if s == nil {
		s = &hostSlot{free: make(chan struct{}, h.limit)}
		for range h.limit {
			s.free <- struct{}{}
		}
		h.hosts[host] = s
	}
	s.users++
	h.mu.Unlock()
	done := func() {
		h.mu.Lock()
		if s.users--; s.users == 0 {
			delete(h.hosts, host)
		}
		h.mu.Unlock()
	}
	select {
	case <-s.free:
		return func() { s.free <- struct{}{}; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// counts returns a copy of the poll's counts, for Result.
func (pt *pageTexts) countsCopy() map[string]int {
	if pt == nil || len(pt.counts) == 0 {
		return nil
	}
	return maps.Clone(pt.counts)
}
