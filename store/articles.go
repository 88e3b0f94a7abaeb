package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

// An Article is what fetching an item's web page for its full text gave:
// the article, or why there is none. It is kept by a key the caller
// makes of the page's canonical URL (and how the article was taken), so
// that a later poll, or another source linking the same article, does not
// fetch the page again.
type Article struct {
	// Content is the article as sanitized HTML; empty when Outcome is not
	// "ok".
	Content string `json:"content,omitempty"`
	// Outcome is "ok" or what went wrong (a fetch error's class,
	// "not_html", "no_article").
	Outcome string    `json:"outcome"`
	Fetched time.Time `json:"fetched"`
	// Used is the last time a new item took the article: retention
	// removes it with the last item that can hold it.
	Used time.Time `json:"used"`
}

// ErrArticleKey is returned by PutArticle for an empty key.
var ErrArticleKey = errors.New("store: article needs a key")

// Articles returns the articles stored under keys, by key; a key with
// none is absent from the map.
func (s *Store) Articles(ctx context.Context, keys []string) (map[string]Article, error) {
	out := make(map[string]Article)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketArticles)
		for _, k := range keys {
			v := b.Get([]byte(k))
			if v == nil {
				continue
			}
			p, err := decodeArticle(v)
			if err != nil {
				return fmt.Errorf("store: decode article %q: %w", k, err)
			}
			out[k] = p
		}
		return nil
	})
	return out, err
}

// PutArticle stores p under key, replacing any earlier article there.
func (w *Writer) PutArticle(key string, p Article) error {
	if key == "" {
		return ErrArticleKey
	}
	v, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: encode article %q: %w", key, err)
	}
	return w.tx.Bucket(bucketArticles).Put([]byte(key), append(timeKey(p.Used, ""), v...))
}

// decodeArticle reads a stored article: the time it was last used (8
// bytes, as timeKey writes it, so that retention reads no more) and the
// Article as JSON.
func decodeArticle(v []byte) (Article, error) {
	var p Article
	if len(v) < 8 {
		return p, errors.New("value too short")
	}
	err := json.Unmarshal(v[8:], &p)
	return p, err
}

// Seen reports, for each of items, whether a poll would not store it as
// new: an item with its ID is stored or was removed by retention, or its
// source has an item with its canonical URL.
func (s *Store) Seen(ctx context.Context, items []feedloom.Item) ([]bool, error) {
	out := make([]bool, len(items))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		stored, tomb, urls := tx.Bucket(bucketItems), tx.Bucket(bucketTombstones), tx.Bucket(bucketSourceURLs)
		for i, it := range items {
			id := []byte(it.ID)
			out[i] = stored.Get(id) != nil || tomb.Get(id) != nil ||
				it.URL != "" && urls.Get([]byte(it.Source+"\x00"+it.URL)) != nil
		}
		return nil
	})
	return out, err
}

// pruneArticles removes the articles last used before t, in batches of
// short transactions, and returns how many it removed. Items first seen
// before t are removed by the same retention, and an item takes its
// article when it is first seen: no item left can need these.
func (s *Store) pruneArticles(ctx context.Context, t time.Time) (int, error) {
	removed := 0
	limit := timeKey(t, "")
	for {
		var doomed [][]byte
		err := s.view(ctx, func(tx *bolt.Tx) error {
			return tx.Bucket(bucketArticles).ForEach(func(k, v []byte) error {
				if len(doomed) < pruneBatch && len(v) >= 8 && bytes.Compare(v[:8], limit) < 0 {
					doomed = append(doomed, bytes.Clone(k))
				}
				return nil
			})
		})
		if err != nil || len(doomed) == 0 {
			return removed, err
		}
		err = s.Update(ctx, func(w *Writer) error {
			b := w.tx.Bucket(bucketArticles)
			for _, k := range doomed {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
		removed += len(doomed)
	}
}
