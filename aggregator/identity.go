package aggregator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/mmcdole/gofeed"
)

// How a source's entries are identified, from the most to the least
// trusted. A source starts with GUIDs and moves down this list when its
// feed shows that the current identity does not hold; it never moves back,
// so the keys of stored items keep their meaning.
const (
	IdentityGUID     = "guid"      // the entry's GUID (per entry: its link, then a hash, when it has none)
	IdentityLink     = "link"      // the canonical link
	IdentityLinkDate = "link+date" // the link and the published date: for feeds that reuse one link
	IdentityHash     = "hash"      // a hash of title and text
)

var identityRank = map[string]int{IdentityGUID: 0, IdentityLink: 1, IdentityLinkDate: 2, IdentityHash: 3}

// Identity is what feedloom decided about a source's entry identity, kept
// in the store (source meta "identity") and shown by `feedloom sources -v`.
type Identity struct {
	Mode   string    `json:"mode"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

const metaIdentity = "identity"

func loadIdentity(w *store.Writer, source string) (Identity, error) {
	id := Identity{Mode: IdentityGUID}
	b, err := w.SourceMeta(source, metaIdentity)
	if err != nil || b == nil {
		return id, err
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return Identity{Mode: IdentityGUID}, fmt.Errorf("aggregator: identity of %s: %w", source, err)
	}
	return id, nil
}

func saveIdentity(w *store.Writer, source string, id Identity) error {
	b, err := json.Marshal(id)
	if err != nil {
		return err
	}
	return w.PutSourceMeta(source, metaIdentity, b)
}

// demote moves id down to mode (never up) and records why.
func (id *Identity) demote(mode, reason string, now time.Time) bool {
	if identityRank[mode] <= identityRank[id.Mode] {
		return false
	}
	*id = Identity{Mode: mode, Reason: reason, Since: now}
	return true
}

// judgeDocument looks at one fetched document for signs that the
// source's current identity does not hold: GUIDs missing from most
// entries or repeated, links shared by several entries.
func (id *Identity) judgeDocument(f *gofeed.Feed, items []feedloom.Item, now time.Time) {
	n := 0
	missing, repeated := 0, 0
	guids := map[string]bool{}
	for _, e := range f.Items {
		if e == nil {
			continue
		}
		n++
		g := strings.TrimSpace(e.GUID)
		switch {
		case g == "":
			missing++
		case guids[g]:
			repeated++
		}
		guids[g] = true
	}
	if n == 0 {
		return
	}
	switch {
	case missing*2 > n:
		id.demote(IdentityLink, fmt.Sprintf("%d of %d entries have no GUID", missing, n), now)
	case repeated > 0:
		id.demote(IdentityLink, fmt.Sprintf("%d GUIDs repeated within one document", repeated), now)
	}
	if id.Mode == IdentityGUID {
		return
	}
	links := map[string]bool{}
	shared, dated := 0, 0
	for _, it := range items {
		if it.URL != "" && links[it.URL] {
			shared++
		}
		links[it.URL] = true
		if !it.Published.IsZero() {
			dated++
		}
	}
	if shared > 0 {
		if dated == len(items) {
			id.demote(IdentityLinkDate, fmt.Sprintf("%d entries share a link with another", shared), now)
		} else {
			id.demote(IdentityHash, fmt.Sprintf("%d entries share a link and some have no date", shared), now)
		}
	}
}

// rekey gives each item the key its source's identity mode calls for.
// In GUID mode the normalizer's keys stand. A key repeated within the
// document keeps its first entry.
func rekey(items []feedloom.Item, mode string) []feedloom.Item {
	if mode == IdentityGUID {
		return items
	}
	seen := map[string]bool{}
	out := items[:0]
	for _, it := range items {
		switch {
		case mode == IdentityHash || it.URL == "":
			it.Key = "hash:" + contentHash(it.Title, it.Text)
		case mode == IdentityLinkDate:
			it.Key = "url:" + it.URL + "|" + it.Published.UTC().Format(time.RFC3339)
		default:
			it.Key = "url:" + it.URL
		}
		if seen[it.Key] {
			continue
		}
		seen[it.Key] = true
		it.ID = feedloom.ItemID(it.Source, it.Key)
		out = append(out, it)
	}
	return out
}

func contentHash(title, text string) string {
	sum := sha256.Sum256([]byte(title + "\x00" + text))
	return hex.EncodeToString(sum[:16])
}

// SourceIdentity returns how the entries of source are identified.
func SourceIdentity(ctx context.Context, st *store.Store, source string) (Identity, error) {
	id := Identity{Mode: IdentityGUID}
	b, err := st.SourceMeta(ctx, source, metaIdentity)
	if err != nil || b == nil {
		return id, err
	}
	err = json.Unmarshal(b, &id)
	return id, err
}
