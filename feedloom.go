// Package feedloom holds the domain language shared by every part of the
// aggregator: a Source is a feed that is polled, an Item is one normalized
// entry of a source, a Story groups the items of every outlet that carried
// the same news, and a Topic is a curated selection of stories that is
// republished as a feed.
//
// The package has no dependencies beyond the standard library. Its types are
// plain values: the store persists them, the aggregator produces them and the
// publisher renders them.
package feedloom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A Source is one configured feed.
type Source struct {
	// URL identifies the source: the address as configured (http, https,
	// or file:// for feeds bundled with a config).
	URL string
	// Name is the outlet's name as configured; empty means the feed's own
	// title is used.
	Name string
	// Tags let topics select sources as a group ("tag:defense").
	Tags []string
	// Primary marks an outlet whose item is shown when it carries a
	// story, whatever the dates.
	Primary bool
	// Interval, when not zero, replaces the adaptive poll interval.
	Interval time.Duration
	// Republish is how much of the source's items is republished: one of
	// the Republish* constants; "" means RepublishSummary.
	Republish string
	// MaxLength, when not zero, caps the republished text at this many
	// runes.
	MaxLength int
	// Rights is the source's copyright or license statement, carried into
	// each of its items and published with them.
	Rights string
	// FullText makes each new item's content the article taken from the
	// item's web page, for feeds that carry only a summary; the feed's
	// summary stays the item's summary. FullTextSelector, when set, is a
	// CSS selector for the article on the page, in place of readability's
	// guess.
	FullText         bool
	FullTextSelector string
}

// The republishing policies of a source.
const (
	RepublishFull    = "full"    // the content as the source gave it
	RepublishSummary = "summary" // the summary, or the content cut to one
	RepublishTitle   = "title"   // title and link only, no body
)

// HasTag reports whether the source carries tag t.
func (s Source) HasTag(t string) bool {
	for _, x := range s.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// SourceState is what feedloom remembers about polling one source.
type SourceState struct {
	URL          string    `json:"url"`
	Title        string    `json:"title,omitempty"` // the feed's own title
	SiteURL      string    `json:"site_url,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastPoll     time.Time `json:"last_poll,omitzero"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	// ErrorClass names what kind of failure LastError is, from a short
	// fixed set: "parse/too_deep", "parse/not_feed", ... for a document
	// that could not be read, "store" when storing failed, or the fetch
	// error's class ("blocked", "timeout", "http_5xx", ...).
	ErrorClass       string    `json:"error_class,omitempty"`
	ConsecutiveFails int       `json:"consecutive_errors,omitempty"`
	NextPoll         time.Time `json:"next_poll,omitzero"`
	Items            int       `json:"items"` // items stored for this source

	// State is one of the State* constants, as of the last poll; empty
	// (a source never polled) means StateNew.
	State string `json:"state,omitempty"`
	// Interval is the nominal time from the last poll to NextPoll (which
	// adds jitter), and IntervalReason where it comes from: "adaptive (3.5
	// items/day)", "ttl 60m", "max-age 2h", "retry-after", "backoff (3
	// errors)", "config", "push", ...
	Interval       time.Duration `json:"interval,omitempty"`
	IntervalReason string        `json:"interval_reason,omitempty"`
	// ItemsPerWeek is the publishing rate the adaptive interval used.
	ItemsPerWeek float64 `json:"items_per_week,omitempty"`
	// FailingSince is the first failure of the current run of
	// failures; Flagged is set when that run has lasted a week or more.
	FailingSince time.Time `json:"failing_since,omitzero"`
	Flagged      bool      `json:"flagged,omitempty"`
	// MovedTo is the URL polled instead of the configured one, after
	// consecutive permanent redirects there; the configured URL still
	// identifies the source. RedirectTo and Redirects count the run of
	// permanent redirects to one place that leads to a move.
	MovedTo    string `json:"moved_to,omitempty"`
	RedirectTo string `json:"redirect_to,omitempty"`
	Redirects  int    `json:"redirects,omitempty"`
	// Retired is when the source answered 410 Gone; it is not polled
	// again.
	Retired time.Time `json:"retired,omitzero"`
}

// The states of a source, from its last poll.
const (
	StateNew     = "new"     // never polled
	StateOK      = "ok"      // the last poll succeeded
	StateFailing = "failing" // the last poll failed (Flagged after a week of it)
	StateMoved   = "moved"   // ok, polled at MovedTo
	StateGone    = "gone"    // retired by a 410
)

// An Enclosure is a media file attached to an item.
type Enclosure struct {
	URL    string `json:"url"`
	Type   string `json:"type,omitempty"`
	Length int64  `json:"length,omitempty"`
}

// An Item is one entry of one source, normalized.
type Item struct {
	// ID is stable for the life of the item: derived from the source URL
	// and Key.
	ID string `json:"id"`
	// Story is the ID of the story the item belongs to.
	Story string `json:"story"`
	// Source is the source URL as configured.
	Source string `json:"source"`
	// SourceName is the outlet's display name at the time of the poll.
	SourceName string `json:"source_name,omitempty"`
	// GUID is the entry's id as the feed gave it, empty if none.
	GUID string `json:"guid"`
	// Key is the identity used for dedup within the source: "guid:…",
	// "url:…" or "hash:…".
	Key        string      `json:"key"`
	URL        string      `json:"url"` // canonical link
	Title      string      `json:"title"`
	Summary    string      `json:"summary,omitempty"` // sanitized HTML
	Content    string      `json:"content,omitempty"` // sanitized HTML
	Text       string      `json:"text,omitempty"`    // plain text of summary and content, one line a paragraph, for matching
	Authors    []string    `json:"authors,omitempty"`
	Categories []string    `json:"categories,omitempty"`
	Enclosures []Enclosure `json:"enclosures,omitempty"`
	Published  time.Time   `json:"published"`
	Updated    time.Time   `json:"updated"`
	FirstSeen  time.Time   `json:"first_seen"`
	// Changed is when feedloom last stored a change to the item: when it
	// was first seen, or edited since. It drives the story's updated date.
	Changed time.Time `json:"changed,omitzero"`
	// Primary is copied from the source: a primary outlet's item is the
	// one shown for its story.
	Primary bool     `json:"primary,omitempty"`
	Topics  []string `json:"topics"`
	// Language is the primary subtag of the entry's language, lower case
	// ("en" for "en-US"): the entry's dc:language, else its feed's; empty
	// when neither says. It is not part of Hash.
	Language string `json:"language,omitempty"`
	// Rights is the source's rights statement (Source.Rights) as of the
	// poll that stored the item.
	Rights string `json:"rights,omitempty"`
	// Republish is the source's policy (Source.Republish) when it is
	// RepublishTitle: the item's text is then never published.
	Republish string `json:"republish,omitempty"`
}

// Hash is a digest of the item's published fields: when it changes, the
// stored item is updated.
func (it *Item) Hash() string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(it.URL)
	w(it.Title)
	w(it.Summary)
	w(it.Content)
	w(strings.Join(it.Authors, "\x01"))
	w(strings.Join(it.Categories, "\x01"))
	for _, e := range it.Enclosures {
		w(fmt.Sprint(e.URL, e.Type, e.Length))
	}
	w(it.Published.UTC().Format(time.RFC3339Nano))
	w(it.Updated.UTC().Format(time.RFC3339Nano))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ItemID derives the stable ID of the item with identity key within the
// source sourceURL.
func ItemID(sourceURL, key string) string {
	sum := sha256.Sum256([]byte(sourceURL + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// A Story is one piece of news as published: every item that carries it,
// from one or more outlets. Its ID never changes once assigned; it is the
// ID of the item that created the story.
type Story struct {
	ID string `json:"id"`
	// Published orders the story in topic feeds: the shown member's
	// published time (see Entry).
	Published time.Time `json:"published"`
	// Updated is the last time the story changed: a member was edited or
	// an outlet joined (the latest of its members' Updated and Changed).
	Updated time.Time `json:"updated"`
	// Items lists the member item IDs in arrival order.
	Items []string `json:"items"`
	// Topics the story is filed under (the union over its members).
	Topics []string `json:"topics,omitempty"`
}

// EntryID is the id a story carries in published feeds: a URN derived from
// the story ID, so it does not depend on base_url or on which member is
// shown.
func (s *Story) EntryID() string {
	return StoryURN(s.ID)
}

// StoryURN formats a story ID (32 hex digits) as a urn:uuid.
func StoryURN(id string) string {
	b := []byte(id)
	if len(b) != 32 {
		return "urn:feedloom:story:" + id
	}
	// Mark it as a name-based (version 8, RFC 9562 custom) UUID of the
	// RFC 4122 variant so that strict parsers accept it.
	v := make([]byte, 32)
	copy(v, b)
	v[12] = '8'
	switch v[16] {
	case '8', '9', 'a', 'b':
	default:
		v[16] = "89ab"[hexval(v[16])&3]
	}
	s := string(v)
	return "urn:uuid:" + s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

func hexval(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// An Entry is a story as a topic feed shows it: the story and its member
// items, the shown item first. The item shown is the earliest published
// member of a primary source, else the earliest published member (ties:
// the first to arrive).
type Entry struct {
	Story Story
	Items []Item
}

// Shown is the member item whose title, link and content are published.
func (e *Entry) Shown() *Item {
	if len(e.Items) == 0 {
		return nil
	}
	return &e.Items[0]
}

// A Topic is a curated selection republished as feeds.
type Topic struct {
	Name        string // [a-z0-9-]+, used in URLs
	Title       string
	Description string
	Match       Match
	Limit       int // entries in the topic feed
}

// Match holds a topic's rules. An empty Match takes every item. Terms are
// described in package publisher/rules.
type Match struct {
	Any     []string // at least one of these terms
	All     []string // every one of these
	None    []string // none of these
	Sources []string // "tag:x" or a source name; empty means every source
	// Languages lists ISO 639 codes ("en", "ru"); when not empty, an item
	// in another language is not taken (one without a language is).
	Languages []string
	// MaxAge, when not zero, takes only items published at most this long
	// before they are classified.
	MaxAge time.Duration
}

// IsZero reports whether the match has no rules at all.
func (m Match) IsZero() bool {
	return len(m.Any) == 0 && len(m.All) == 0 && len(m.None) == 0 && len(m.Sources) == 0 &&
		len(m.Languages) == 0 && m.MaxAge == 0
}

// ShowOrder sorts a story's members so the one to show comes first: items
// of primary sources before the others, then the earliest published; the
// sort is stable, so ties keep arrival order.
func ShowOrder(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		if a.Primary != b.Primary {
			if a.Primary {
				return -1
			}
			return 1
		}
		return a.Published.Compare(b.Published)
	})
}
