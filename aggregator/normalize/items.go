package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	jsonfeed "github.com/mmcdole/gofeed/json"
)

const (
	// maxTitleRunes caps titles (and the feed title used as source name).
	maxTitleRunes = 1000
	// maxNameRunes caps one author name or category.
	maxNameRunes = 256
	// maxNames caps the authors and the categories of one item.
	maxNames = 64
	// maxEnclosures caps the enclosures of one item.
	maxEnclosures = 32
	// maxEnclosureLength is the largest enclosure length taken as real
	// (1 TiB); larger values are typos or attacks and become 0.
	maxEnclosureLength = 1 << 40
)

// minDate is the earliest date taken as real: feeds did not exist before
// it, and earlier values are defaults such as the Unix epoch or year 1.
var minDate = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// Items turns every entry of f into one normalized item of source src.
// feedURL is the final URL the document was fetched from (the base for
// relative links). now is the poll time.
//
// Each item's Key is decided per entry, in document order:
//   - "guid:"+GUID for the first entry with that GUID;
//   - "guid:"+GUID+"|"+URL for a later entry repeating the GUID, or
//     "guid:"+GUID+"|"+position (its index in f.Items) when it has no URL;
//   - "url:"+URL without a GUID;
//   - "hash:"+hex of the first 16 bytes of the SHA-256 of the entry's title
//     and content as gofeed gave them (the description when there is no
//     content), without GUID and URL.
//
// An entry whose key an earlier entry already has (the same GUID and link
// twice, the same link twice without GUID) is dropped: the first one wins,
// so IDs are unique within the result. Nil entries are skipped, and at most
// 5,000 entries are read.
//
// Keys depend on CanonicalURL for entries without a GUID: changing the
// tracking-parameter list changes them.
func Items(f *gofeed.Feed, src feedloom.Source, feedURL string, now time.Time) []feedloom.Item {
	if f == nil {
		return nil
	}
	now = now.UTC().Truncate(time.Second)
	base, err := url.Parse(trimURL(feedURL))
	if err != nil || !base.IsAbs() {
		base = nil
	}
	name := src.Name
	if name == "" {
		name = truncateRunes(CleanText(f.Title), maxTitleRunes)
	}
	feedAuthors := authorNames(f.Authors)

	entries := f.Items
	if len(entries) > maxItems {
		entries = entries[:maxItems]
	}
	textContent := declaredTextContent(f)
	entryLanguage := entryLanguages(f)
	feedLanguage := languageSubtag(f.Language)
	out := make([]feedloom.Item, 0, len(entries))
	guids := make(map[string]bool)
	keys := make(map[string]bool)
	for i, e := range entries {
		if e == nil {
			continue
		}
		it := item(e, base, now, textContent(i))
		it.Source = src.URL
		it.SourceName = name
		if len(it.Authors) == 0 {
			it.Authors = feedAuthors
		}
		if it.Language = entryLanguage(i, e); it.Language == "" {
			it.Language = feedLanguage
		}
		it.Key = itemKey(e, it, i, guids)
		if keys[it.Key] && strings.HasPrefix(it.Key, "url:") {
			// Entries without GUIDs that share a link (a feed that links
			// every entry to its home page): the date, then the content,
			// tell them apart.
			if !it.Published.IsZero() {
				it.Key += "|" + it.Published.Format(time.RFC3339)
			}
			if keys[it.Key] {
				it.Key = hashKey(e)
			}
		}
		if keys[it.Key] {
			continue
		}
		keys[it.Key] = true
		it.ID = feedloom.ItemID(src.URL, it.Key)
		out = append(out, it)
	}
	return out
}

// item normalizes the fields of one entry; identity and source fields are
// left to Items. textContent says the format declares the entry's content
// to be plain text.
func item(e *gofeed.Item, feedBase *url.URL, now time.Time, textContent bool) feedloom.Item {
	it := feedloom.Item{
		GUID:      strings.TrimSpace(cleanControls(e.GUID)),
		Title:     truncateRunes(CleanText(e.Title), maxTitleRunes),
		FirstSeen: now,
	}

	link := e.Link
	if link == "" && len(e.Links) > 0 {
		link = e.Links[0]
	}
	it.URL = CanonicalURL(link, feedBase)
	// Relative URLs in the entry's HTML are relative to the entry's page.
	// The link as resolved (query and fragment kept) is that base.
	contentBase := feedBase
	if u := resolveHTTP(link, feedBase); u != nil {
		contentBase = u
	}

	content := e.Content
	if textContent {
		content = plainToHTML(content)
	} else {
		content = textToHTML(content)
	}
	it.Content = Sanitize(content, contentBase)
	it.Summary = Sanitize(textToHTML(e.Description), contentBase)
	if it.Summary == it.Content {
		it.Summary = ""
	}
	it.Text = EntryText(it.Summary, it.Content)

	it.Authors = authorNames(e.Authors)
	if len(it.Authors) == 0 && e.Author != nil {
		it.Authors = authorNames([]*gofeed.Person{e.Author})
	}
	it.Categories = dedupe(e.Categories, CleanText)
	it.Enclosures = enclosures(e.Enclosures, feedBase)
	it.Published, it.Updated = dates(e, now)
	return it
}

// declaredTextContent returns a function reporting whether entry i of f has
// content its format declares to be plain text: a JSON Feed content_text
// without content_html, or an Atom content of type "text" (the default).
// gofeed's universal Item does not say; the original feed, which Parse
// keeps, does. Without it (a feed not from Parse) it reports false, and the
// content is then treated as plain text only when it looks like no HTML
// (see textToHTML).
func declaredTextContent(f *gofeed.Feed) func(i int) bool {
	no := func(int) bool { return false }
	switch orig := f.OriginalFeed().(type) {
	case *jsonfeed.Feed:
		if orig == nil || len(orig.Items) != len(f.Items) {
			return no
		}
		return func(i int) bool {
			it := orig.Items[i]
			return it != nil && it.ContentHTML == "" && it.ContentText != ""
		}
	case *atom.Feed:
		if orig == nil || len(orig.Entries) != len(f.Items) {
			return no
		}
		return func(i int) bool {
			e := orig.Entries[i]
			if e == nil || e.Content == nil {
				return false
			}
			t := strings.ToLower(strings.TrimSpace(e.Content.Type))
			return t == "" || t == "text" || strings.HasPrefix(t, "text/plain")
		}
	}
	return no
}

// entryLanguages returns a function giving the language of entry i of f,
// e, as its primary subtag: its dc:language, or the language of a JSON
// Feed 1.1 item; "" when the entry does not say.
func entryLanguages(f *gofeed.Feed) func(i int, e *gofeed.Item) string {
	var items []*jsonfeed.Item
	if orig, ok := f.OriginalFeed().(*jsonfeed.Feed); ok && orig != nil && len(orig.Items) == len(f.Items) {
		items = orig.Items
	}
	return func(i int, e *gofeed.Item) string {
		if e.DublinCoreExt != nil {
			for _, l := range e.DublinCoreExt.Language {
				if l := languageSubtag(l); l != "" {
					return l
				}
			}
		}
		if i < len(items) && items[i] != nil {
			return languageSubtag(items[i].Language)
		}
		return ""
	}
}

// languageSubtag returns the primary subtag of a language tag, lower
// case: "en" for "en-US" or "EN_gb"; "" when it is not two or three
// letters (no tag, or a name such as "English").
func languageSubtag(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i] | 0x20; c < 'a' || c > 'z' {
			return ""
		}
	}
	return strings.ToLower(tag)
}

// itemKey derives the identity of entry i within its document (see Items).
// guids records the GUIDs seen so far.
func itemKey(e *gofeed.Item, it feedloom.Item, i int, guids map[string]bool) string {
	if it.GUID != "" {
		k := "guid:" + it.GUID
		if !guids[it.GUID] {
			guids[it.GUID] = true
			return k
		}
		if it.URL != "" {
			return k + "|" + it.URL
		}
		return k + "|" + strconv.Itoa(i)
	}
	if it.URL != "" {
		return "url:" + it.URL
	}
	return hashKey(e)
}

// hashKey identifies an entry by its title and content. The raw fields, not
// the normalized ones: the key must not change when the sanitizer or
// CleanText do.
func hashKey(e *gofeed.Item) string {
	content := e.Content
	if content == "" {
		content = e.Description
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(e.Title) + "\x00" + strings.TrimSpace(content)))
	return "hash:" + hex.EncodeToString(sum[:16])
}

// EntryText is the plain text of summary, then content, one line per
// paragraph. A summary whose text the content already holds (the usual
// lead paragraph) is left out, so that lines are not counted twice when
// items are compared.
func EntryText(summary, content string) string {
	s, c := PlainText(summary), PlainText(content)
	switch {
	case s == "" || strings.Contains(c, s):
		return c
	case c == "":
		return s
	}
	return s + "\n" + c
}

// emailWithName matches the RSS author form "jdoe@example.com (John Doe)";
// nameWithEmail matches "John Doe <jdoe@example.com>".
var (
	emailWithName = regexp.MustCompile(`^\S+@\S+\s*\((.+)\)$`)
	nameWithEmail = regexp.MustCompile(`^(.+?)\s*<\S+@\S+>$`)
)

// authorNames returns the display names of people: deduplicated, order
// kept. Authors hold names only: an e-mail address, given alone or as a
// name, is not one.
func authorNames(people []*gofeed.Person) []string {
	names := make([]string, 0, len(people))
	for _, p := range people {
		if p == nil {
			continue
		}
		names = append(names, strings.TrimSpace(p.Name))
	}
	return dedupe(names, authorName)
}

// authorName cleans one author name; it returns "" for an e-mail address.
func authorName(s string) string {
	s = strings.TrimSpace(s)
	if m := emailWithName.FindStringSubmatch(s); m != nil {
		s = m[1]
	} else if m := nameWithEmail.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = CleanText(s)
	if strings.Contains(s, "@") && !strings.Contains(s, " ") {
		return ""
	}
	return s
}

// dedupe cleans each value with clean and returns the non-empty results,
// without repeats (compared ignoring case; the first spelling is kept), at
// most maxNames of them, each at most maxNameRunes long.
func dedupe(values []string, clean func(string) string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, v := range values {
		v = truncateRunes(clean(v), maxNameRunes)
		k := strings.ToLower(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
		if len(out) == maxNames {
			break
		}
	}
	return out
}

// enclosures keeps the enclosures with an absolute http(s) URL (canonical,
// like item links), deduplicated by URL. The type is the media type without
// parameters, lower case, or "" when it does not parse; the length is 0 when
// it is missing, not a decimal integer, negative or absurdly large.
func enclosures(encs []*gofeed.Enclosure, base *url.URL) []feedloom.Enclosure {
	var out []feedloom.Enclosure
	seen := make(map[string]bool)
	for _, e := range encs {
		if e == nil {
			continue
		}
		u := CanonicalURL(e.URL, base)
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		enc := feedloom.Enclosure{URL: u}
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(e.Type)); err == nil && strings.Contains(mt, "/") {
			enc.Type = mt
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(e.Length), 10, 64); err == nil && n > 0 && n <= maxEnclosureLength {
			enc.Length = n
		}
		out = append(out, enc)
		if len(out) == maxEnclosures {
			break
		}
	}
	return out
}

// dates returns the entry's published and updated times: published is the
// entry's published date, else its updated date; updated is its updated
// date, else published, and never before published. Both are zero when the
// entry has no usable date: only the caller knows when the entry was first
// seen (on a later poll, an undated entry must keep its first date, or it
// would look edited). Dates before 1995 count as missing; dates after now
// become now. All are UTC, truncated to the second. now must already be.
// A date gofeed could not read (its parsed value nil, the raw string not
// empty) is read with ParseDate.
func dates(e *gofeed.Item, now time.Time) (published, updated time.Time) {
	pub, okPub := validDate(orParse(e.PublishedParsed, e.Published), now)
	upd, okUpd := validDate(orParse(e.UpdatedParsed, e.Updated), now)
	switch {
	case okPub:
		published = pub
	case okUpd:
		published = upd
	}
	updated = published
	if okUpd && upd.After(published) {
		updated = upd
	}
	return published, updated
}

// orParse returns parsed, or raw read with ParseDate when gofeed left
// parsed nil.
func orParse(parsed *time.Time, raw string) *time.Time {
	if parsed != nil || raw == "" {
		return parsed
	}
	if t, ok := ParseDate(raw); ok {
		return &t
	}
	return nil
}

func validDate(t *time.Time, now time.Time) (time.Time, bool) {
	if t == nil || t.Before(minDate) {
		return time.Time{}, false
	}
	u := t.UTC().Truncate(time.Second)
	if u.After(now) {
		u = now
	}
	return u, true
}
