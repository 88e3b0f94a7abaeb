package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/clean"
	"github.com/feedloom/feedloom/aggregator/cluster"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/feedloom/feedloom/store"
	"github.com/mmcdole/gofeed"
)

// ingest parses a fetched document and stores its items together with the
// source's new state (its validators, a successful poll, the next poll),
// in one transaction; st becomes the state stored.
func (a *Aggregator) ingest(ctx context.Context, src feedloom.Source, st *feedloom.SourceState, resp *fetch.Response, now time.Time, res *Result) error {
	return a.ingestDocument(ctx, src, resp.Body, resp.ContentType, resp.URL, now, res, func(w *store.Writer, feed *gofeed.Feed) error {
		if a.beforeValidators != nil {
			if err := a.beforeValidators(); err != nil {
				return err
			}
		}
		st.Title = feed.Title
		st.SiteURL = normalize.CanonicalURL(feed.Link, mustParse(resp.URL))
		st.ETag = resp.ETag
		st.LastModified = resp.LastModified
		return a.succeeded(w, src, st, resp, feed, now)
	})
}

// Ingest stores a feed document of src that arrived other than by polling
// (a WebSub push): the same parse, cleanup, identity, dedup and clustering
// as a poll, without touching the source's polling state. docURL is the
// base for relative links.
func (a *Aggregator) Ingest(ctx context.Context, src feedloom.Source, body []byte, contentType, docURL string) (Result, error) {
	res := Result{Source: src.URL, Bytes: len(body)}
	err := a.ingestDocument(ctx, src, body, contentType, docURL, a.o.Now(), &res, nil)
	return res, err
}

// ingestDocument parses body and stores its items in one transaction;
// then, in the same transaction, calls after (when not nil).
func (a *Aggregator) ingestDocument(ctx context.Context, src feedloom.Source, body []byte, contentType, docURL string, now time.Time, res *Result,
	after func(*store.Writer, *gofeed.Feed) error) error {
	feed, err := normalize.Parse(body, contentType)
	if err != nil {
		return err
	}
	items := normalize.Items(feed, src, docURL, now)
	pages, err := a.fullTexts(ctx, src, items, now)
	if err != nil {
		return err
	}
	return a.st.Update(ctx, func(w *store.Writer) error {
		*res = Result{Source: res.Source, Status: res.Status, Bytes: res.Bytes, FullText: pages.countsCopy()}
		in := &ingestion{a: a, w: w, src: src, now: now, res: res}
		ident, err := loadIdentity(w, src.URL)
		if err != nil {
			return err
		}
		was := ident
		ident.judgeDocument(feed, items, now)
		items = rekey(items, ident.Mode)
		// The article from the item's page replaces the feed's text
		// before anything reads the text: boilerplate cleaning, the
		// near-duplicate fingerprint and topic rules all see the article.
		pages.apply(items)
		if err := pages.save(w, src.URL); err != nil {
			return err
		}
		if err := in.clean(items); err != nil {
			return err
		}
		for i := range items {
			it := &items[i]
			it.Primary = src.Primary
			ApplyPolicy(it, src)
			if classify := a.classify(); classify != nil {
				it.Topics = classify(it, src)
			}
			if err := in.store(it); err != nil {
				return err
			}
		}
		// Entries whose GUID changed while their link and title stayed are
		// matched by link above; when it happens to several at once, the
		// source's GUIDs are not identities.
		if ident.Mode == IdentityGUID && in.guidChanges >= 2 {
			ident.demote(IdentityLink, fmt.Sprintf("%d GUIDs changed for the same link in one poll", in.guidChanges), now)
		}
		if ident != was {
			if err := saveIdentity(w, src.URL, ident); err != nil {
				return err
			}
		}
		if after != nil {
			return after(w, feed)
		}
		return nil
	})
}

// metaBoilerplate names the source meta value holding the source's
// boilerplate model (clean.Model as JSON).
const metaBoilerplate = "boilerplate"

// clean removes the source's boilerplate from items: the model learns from
// the items it has not seen (their lines recur across the source's items,
// or not), then every item is cleaned with it. An undated new item takes a
// date from its body ("Publish Date: …") before the cleaning removes it.
func (in *ingestion) clean(items []feedloom.Item) error {
	var m clean.Model
	if b, err := in.w.SourceMeta(in.src.URL, metaBoilerplate); err != nil {
		return err
	} else if b != nil {
		if err := json.Unmarshal(b, &m); err != nil {
			m = clean.Model{} // unreadable: learn again
		}
	}
	var fresh []feedloom.Item
	for i := range items {
		it := &items[i]
		if in.w.Tombstoned(it.ID) {
			continue
		}
		if old, err := in.w.Item(it.ID); err != nil {
			return err
		} else if old != nil {
			continue
		}
		if it.Published.IsZero() {
			if d, ok := clean.BodyDate(it.Text, in.now); ok {
				it.Published, it.Updated = d, d
			}
		}
		fresh = append(fresh, *it)
	}
	if len(fresh) > 0 {
		m.Learn(fresh)
		b, err := json.Marshal(&m)
		if err != nil {
			return err
		}
		if err := in.w.PutSourceMeta(in.src.URL, metaBoilerplate, b); err != nil {
			return err
		}
	}
	for i := range items {
		m.Clean(&items[i])
	}
	return nil
}

// SourceBoilerplate returns the line shapes treated as boilerplate in the
// items of source.
func SourceBoilerplate(ctx context.Context, st *store.Store, source string) ([]string, error) {
	var m clean.Model
	b, err := st.SourceMeta(ctx, source, metaBoilerplate)
	if err != nil || b == nil {
		return m.Boilerplate(), err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("aggregator: boilerplate of %s: %w", source, err)
	}
	return m.Boilerplate(), nil
}

// An ingestion stores the items of one poll of one source.
type ingestion struct {
	a           *Aggregator
	w           *store.Writer
	src         feedloom.Source
	now         time.Time
	res         *Result
	guidChanges int
}

// store applies exact dedup to one item inside the poll's transaction.
// The same entry again (same source and identity key, hence the same ID;
// or the same link and title under a new GUID) is updated in place when
// its content changed and left alone otherwise. An item removed by
// retention is not stored again. A new entry joins the story of an item
// with the same canonical URL from any source, or starts a story of its
// own.
func (in *ingestion) store(it *feedloom.Item) error {
	w := in.w
	if w.Tombstoned(it.ID) {
		in.res.Unchanged++
		return nil
	}
	old, err := w.Item(it.ID)
	if err != nil {
		return err
	}
	if old == nil {
		if old, err = w.ItemBySourceURL(it.Source, it.URL); err != nil {
			return err
		}
		if old != nil && old.Title == it.Title {
			in.guidChanges++
			it.ID, it.Key = old.ID, old.Key
		} else {
			old = nil
		}
	}
	if old == nil {
		if it.Published.IsZero() {
			it.Published = in.now
		}
		if it.Updated.IsZero() {
			it.Updated = it.Published
		}
		it.FirstSeen, it.Changed = in.now, in.now
		it.Story = w.StoryByURL(it.URL)
		sig, err := in.nearStory(it)
		if err != nil {
			return err
		}
		if it.Story == "" {
			it.Story = it.ID
		}
		in.res.New++
		if err := w.SaveItem(it); err != nil {
			return err
		}
		return in.indexNear(it, sig)
	}
	// An undated entry keeps the date it was first seen with.
	if it.Published.IsZero() {
		it.Published = old.Published
	}
	if it.Updated.IsZero() {
		it.Updated = it.Published
	}
	it.FirstSeen, it.Story, it.Changed = old.FirstSeen, old.Story, old.Changed
	if it.Hash() == old.Hash() {
		in.res.Unchanged++
		if slices.Equal(it.Topics, old.Topics) && it.SourceName == old.SourceName && it.Primary == old.Primary && it.Language == old.Language {
			return nil
		}
		// Only how the item is filed changed (a topic's max_age passed, a
		// rule or the outlet's name changed): refile it without moving
		// the story's updated date, which is about content.
		return w.SaveItem(it)
	}
	it.Changed = in.now
	in.res.Updated++
	if err := w.SaveItem(it); err != nil {
		return err
	}
	if !in.a.o.Cluster {
		return nil
	}
	sig := cluster.Fingerprint(it.Title, it.Text)
	return in.indexNear(it, &sig)
}

// maxCandidates bounds the near-duplicate candidates verified for one item.
const maxCandidates = 32

// nearStory fingerprints a new item and looks for a near-duplicate
// published within the cluster window. Without a story yet (no item shares
// its canonical URL) the item takes the best match's story. With one, a
// match in another story means the two stories are one (the link ties the
// item to one, its text to the other): they are merged. It returns the
// fingerprint for the index (nil when clustering is off).
func (in *ingestion) nearStory(it *feedloom.Item) (*cluster.Signature, error) {
	if !in.a.o.Cluster {
		return nil, nil
	}
	sig := cluster.Fingerprint(it.Title, it.Text)
	win := in.a.o.ClusterWindow
	cands, err := in.w.NearCandidates(sig.Bands(), it.Published.Add(-win), it.Published.Add(win), maxCandidates)
	if err != nil {
		return nil, err
	}
	best, match := -1.0, ""
	for _, c := range cands {
		var other cluster.Signature
		if err := other.UnmarshalBinary(c.Sig); err != nil {
			continue // written by another version: not a candidate
		}
		if same, score := cluster.Same(sig, other); same && score > best {
			best, match = score, c.Story
		}
	}
	switch {
	case match == "":
	case it.Story == "":
		it.Story = match
	case match != it.Story:
		if it.Story, err = in.w.MergeStories(it.Story, match); err != nil {
			return nil, err
		}
	}
	return &sig, nil
}

// indexNear records the item's fingerprint in the near-duplicate index.
func (in *ingestion) indexNear(it *feedloom.Item, sig *cluster.Signature) error {
	if sig == nil {
		return nil
	}
	b, err := sig.MarshalBinary()
	if err != nil {
		return err
	}
	return in.w.PutNear(it.ID, it.Story, it.Published, b, sig.Bands())
}
