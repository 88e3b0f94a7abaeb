package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The near-duplicate index. Keys of bucket near are
//
//	week (4 bytes) + band length (1 byte) + band + published (8 bytes) + item ID
//
// where week is the item's published time in whole weeks since 1970 and
// published is in nanoseconds, both big-endian. A lookup seeks to each
// (week, band) of its window and reads only the keys under it: its cost
// grows with the items that share a band in the window (and with the
// weeks it spans: one or two for a window of days), never with the size
// of the index. The week comes first so that the pages written and read
// are those of the last weeks, not pages all over the index: a store
// larger than memory keeps its index's working set small. Bucket near_sig
// holds, per item, what a lookup returns and what DeleteNear needs to
// find the item's keys again:
//
//	item ID → story ID length (uvarint) + story ID + published (8 bytes)
//	          + band count (uvarint) + (band length (uvarint) + band)… + signature

const (
	nsPerWeek = int64(7 * 24 * time.Hour)
	// nearScanMax bounds the keys a lookup reads under one (week, band),
	// the newest first: a band shared by more items in one week (a
	// template repeated verbatim) adds only its newest nearScanMax.
	nearScanMax = 1024
	maxBandLen  = 255
)

var errNoItem = errors.New("store: near index: empty item ID")

// NearCandidate is an item of the near-duplicate index: its story, its
// published time and the signature stored with it.
type NearCandidate struct {
	Item, Story string
	Published   time.Time
	Sig         []byte
}

// PutNear records an item's signature under its bands (opaque keys of 1
// to 255 bytes, from the clustering code), keyed so lookups can be limited
// to a time window. Putting an item again replaces its entries.
func (w *Writer) PutNear(itemID, storyID string, published time.Time, sig []byte, bands [][]byte) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if itemID == "" {
		return errNoItem
	}
	if storyID == "" {
		return fmt.Errorf("store: near index: item %s has no story", itemID)
	}
	for _, b := range bands {
		if len(b) == 0 || len(b) > maxBandLen {
			return fmt.Errorf("store: near index: item %s: band of %d bytes (want 1 to %d)", itemID, len(b), maxBandLen)
		}
	}
	if err := w.DeleteNear(itemID); err != nil {
		return err
	}
	ns := clampNS(published)
	near := w.tx.Bucket(bucketNear)
	for _, b := range bands {
		if err := near.Put(nearKey(ns, b, itemID), nil); err != nil {
			return err
		}
	}
	v := binary.AppendUvarint(nil, uint64(len(storyID)))
	v = append(v, storyID...)
	v = binary.BigEndian.AppendUint64(v, uint64(ns))
	v = binary.AppendUvarint(v, uint64(len(bands)))
	for _, b := range bands {
		v = binary.AppendUvarint(v, uint64(len(b)))
		v = append(v, b...)
	}
	v = append(v, sig...)
	return w.tx.Bucket(bucketNearSig).Put([]byte(itemID), v)
}

// NearCandidates returns items sharing at least one band with bands,
// published within [from, to], deduped, at most limit (no limit when
// limit <= 0): those sharing the most bands first, then the most recently
// published, then by item ID. An item already in the index finds itself.
func (w *Writer) NearCandidates(bands [][]byte, from, to time.Time, limit int) ([]NearCandidate, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}
	lo, hi := clampNS(from), clampNS(to)
	if lo > hi || len(bands) == 0 {
		return nil, nil
	}
	type hit struct {
		id        string
		shared    int
		published int64
	}
	var hits []*hit
	byID := map[string]*hit{}
	c := w.tx.Bucket(bucketNear).Cursor()
	for week := hi / nsPerWeek; week >= lo/nsPerWeek; week-- {
		for _, b := range bands {
			if len(b) == 0 || len(b) > maxBandLen {
				continue
			}
			prefix := nearKey(week*nsPerWeek, b, "")[:4+1+len(b)]
			// Seek past the newest key in the window, then walk back.
			k, _ := c.Seek(append(slices.Clip(prefix), be64(hi+1)...))
			if k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
			for n := 0; n < nearScanMax && k != nil && bytes.HasPrefix(k, prefix) && len(k) > len(prefix)+8; n++ {
				ts := int64(binary.BigEndian.Uint64(k[len(prefix):]))
				if ts < lo {
					break
				}
				id := string(k[len(prefix)+8:])
				if h := byID[id]; h != nil {
					h.shared++
				} else {
					h = &hit{id: id, shared: 1, published: ts}
					byID[id] = h
					hits = append(hits, h)
				}
				k, _ = c.Prev()
			}
		}
	}
	slices.SortFunc(hits, func(a, b *hit) int {
		if a.shared != b.shared {
			return b.shared - a.shared
		}
		if a.published != b.published {
			if a.published > b.published {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]NearCandidate, 0, len(hits))
	for _, h := range hits {
		nc, err := w.Near(h.id)
		if err != nil {
			return nil, err
		}
		if nc != nil { // an index key without its entry: Check reports it
			out = append(out, *nc)
		}
	}
	return out, nil
}

// Near returns the near-index entry of an item, or nil.
func (w *Writer) Near(itemID string) (*NearCandidate, error) {
	v := w.tx.Bucket(bucketNearSig).Get([]byte(itemID))
	if v == nil {
		return nil, nil
	}
	e, err := decodeNear(v)
	if err != nil {
		return nil, fmt.Errorf("store: near index: item %s: %w", itemID, err)
	}
	return &NearCandidate{Item: itemID, Story: e.story, Published: time.Unix(0, e.published).UTC(), Sig: bytes.Clone(e.sig)}, nil
}

// DeleteNear removes an item's entries (for retention later). An item
// with none is not an error.
func (w *Writer) DeleteNear(itemID string) error {
	if itemID == "" {
		return errNoItem
	}
	sigs := w.tx.Bucket(bucketNearSig)
	v := sigs.Get([]byte(itemID))
	if v == nil {
		return nil
	}
	e, err := decodeNear(v)
	if err != nil {
		return fmt.Errorf("store: near index: item %s: %w", itemID, err)
	}
	near := w.tx.Bucket(bucketNear)
	for _, b := range e.bands {
		if err := near.Delete(nearKey(e.published, b, itemID)); err != nil {
			return err
		}
	}
	return sigs.Delete([]byte(itemID))
}

// nearEntry is a decoded value of near_sig. Its slices alias the value.
type nearEntry struct {
	story     string
	published int64
	bands     [][]byte
	sig       []byte
}

var errNearEntry = errors.New("malformed entry")

func decodeNear(v []byte) (nearEntry, error) {
	var e nearEntry
	next := func() []byte {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			v = nil
			return nil
		}
		b := v[k : k+int(n)]
		v = v[k+int(n):]
		return b
	}
	story := next()
	if story == nil || len(v) < 8 {
		return e, errNearEntry
	}
	e.story = string(story)
	e.published = int64(binary.BigEndian.Uint64(v))
	v = v[8:]
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return e, errNearEntry
	}
	v = v[k:]
	for range n {
		b := next()
		if b == nil {
			return e, errNearEntry
		}
		e.bands = append(e.bands, b)
	}
	e.sig = v
	return e, nil
}

func nearKey(ns int64, band []byte, itemID string) []byte {
	k := make([]byte, 0, 4+1+len(band)+8+len(itemID))
	k = binary.BigEndian.AppendUint32(k, uint32(ns/nsPerWeek))
	k = append(k, byte(len(band)))
	k = append(k, band...)
	k = binary.BigEndian.AppendUint64(k, uint64(ns))
	return append(k, itemID...)
}

func be64(ns int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(ns)) }

// clampNS is t in nanoseconds since 1970, within what the keys hold:
// earlier times count as 1970, and the last nanosecond is kept free so
// that a lookup can seek one past its end.
func clampNS(t time.Time) int64 {
	ns := t.UnixNano()
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64-1)):
		return math.MaxInt64 - 1
	}
	return ns
}
