package clean

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

const (
	// minShare and minItems make a shape boilerplate: it is in at least
	// minShare of the source's recent items, and in at least minItems of
	// them. Chrome is in nearly every item; 40% leaves room for chrome
	// that only some kinds of item carry (a video item's "Watch more"),
	// while a real sentence that recurs (the background paragraph of a
	// running story) is in a few items, not in 40% of a window that holds
	// every other story too. minItems keeps a two-item feed from learning
	// anything but the seeds.
	minShare = 0.4
	minItems = 3
	// longLine is the length (in runes) from which a line is taken as
	// prose. A recurring long paragraph is usually a legal notice or an
	// "about us" blurb, and left in place it would make every item of the
	// source look alike to near-duplicate detection and topic rules; but
	// long lines are where a mistake costs real text, so they need
	// longShare of the recent items and longMinItems of them.
	longLine     = 300
	longShare    = 0.6
	longMinItems = 5
	// window sets how fast counts fade: each item learned multiplies
	// every weight by 1-1/window, so an item's weight halves after about
	// 140 newer items.
	window = 200
	// maxShapes bounds the model: after each Learn it keeps the maxShapes
	// heaviest shapes (ties: the most recently seen).
	maxShapes = 200
	// maxKeyBytes: a longer shape is stored as its first runes and a
	// hash, so that long paragraphs do not make the model large.
	maxKeyBytes = 160
	// maxLines is how many lines of an item are read.
	maxLines = 500
	// maxDateRunes is the longest line tried as a date line.
	maxDateRunes = 100
)

// A Model is what has been learned about one source's boilerplate. The
// zero value is an empty model. Its fields are exported for JSON; they
// are not meant to be set by hand.
type Model struct {
	// Seen is the number of items learned, each weighted by its age.
	Seen float64 `json:"seen"`
	// Items is the number of items learned.
	Items int `json:"items"`
	// Shapes maps a line shape to what was learned about it.
	Shapes map[string]Shape `json:"shapes,omitempty"`
}

// A Shape is what a Model knows about one line shape.
type Shape struct {
	// Weight is the number of items with the shape, each weighted by its
	// age as in Model.Seen.
	Weight float64 `json:"weight"`
	// Count is the number of items with the shape.
	Count int `json:"count"`
	// Last is Model.Items when an item last had the shape.
	Last int `json:"last"`
	// Long reports that the line was longer than 300 runes.
	Long bool `json:"long,omitempty"`
}

// Learn counts the line shapes of items: each item once per shape. Pass
// the new items of each poll, before cleaning them, and each item only
// once: an item learned twice counts twice.
func (m *Model) Learn(items []feedloom.Item) {
	if len(items) == 0 {
		return
	}
	if m.Shapes == nil {
		m.Shapes = make(map[string]Shape)
	}
	decay := math.Pow(1-1.0/window, float64(len(items)))
	m.Seen *= decay
	for k, s := range m.Shapes {
		s.Weight *= decay
		m.Shapes[k] = s
	}
	for i := range items {
		m.Items++
		m.Seen++
		for key, long := range itemShapes(&items[i]) {
			s := m.Shapes[key]
			s.Weight++
			s.Count++
			s.Last = m.Items
			s.Long = long
			m.Shapes[key] = s
		}
		if len(m.Shapes) > 20*maxShapes {
			// A large poll of long items: most of these shapes are
			// prose seen once, and the heaviest are far ahead.
			m.prune(10 * maxShapes)
		}
	}
	m.prune(maxShapes)
}

// prune keeps the n heaviest shapes (ties: the most recently seen, then
// the key, so that the result does not depend on map order).
func (m *Model) prune(n int) {
	if len(m.Shapes) <= n {
		return
	}
	keys := make([]string, 0, len(m.Shapes))
	for k := range m.Shapes {
		keys = append(keys, k)
	}
	m.sort(keys)
	for _, k := range keys[n:] {
		delete(m.Shapes, k)
	}
}

// sort orders shape keys heaviest first.
func (m *Model) sort(keys []string) {
	slices.SortFunc(keys, func(a, b string) int {
		sa, sb := m.Shapes[a], m.Shapes[b]
		switch {
		case sa.Weight != sb.Weight:
			if sa.Weight > sb.Weight {
				return -1
			}
			return 1
		case sa.Last != sb.Last:
			return sb.Last - sa.Last
		}
		return strings.Compare(a, b)
	})
}

// Boilerplate returns the learned shapes that are boilerplate now,
// heaviest first. The seeds are not listed.
func (m *Model) Boilerplate() []string {
	if m == nil {
		return nil
	}
	var keys []string
	for k, s := range m.Shapes {
		if m.boilerplate(s) {
			keys = append(keys, k)
		}
	}
	m.sort(keys)
	return keys
}

// boilerplate reports whether a learned shape is boilerplate now.
func (m *Model) boilerplate(s Shape) bool {
	share, min := minShare, minItems
	if s.Long {
		share, min = longShare, longMinItems
	}
	return s.Count >= min && s.Weight >= share*m.Seen
}

// isBoilerplate reports whether line is boilerplate: a seed, or a learned
// shape. m may be nil (seeds only).
func (m *Model) isBoilerplate(line string) bool {
	key, long := shape(line)
	if key == "" {
		return false
	}
	if !long && seeds.MatchString(key) {
		return true
	}
	if m == nil {
		return false
	}
	s, ok := m.Shapes[key]
	return ok && m.boilerplate(s)
}

// seeds are boilerplate in every source, matched against shapes.
var seeds = regexp.MustCompile(`^\W*(?:` + strings.Join([]string{
	`read more|continue reading|read the (?:full|rest of the) (?:story|article)|full story`,
	`your comment|leave a comment|add (?:a|your) comment`,
	`message end/?`,
	`share (?:on|via|this)\b.{0,80}`,
	`follow us (?:on|at)\b.{0,80}`,
	`the post .{1,200} appeared first on .{1,100}`,
	`(?:©|\(c\)|copyright ©? ?#).{0,100}`,
	`.{0,100}all rights reserved`,
}, "|") + `)\W*$`)

// itemShapes returns the set of shapes of an item's lines, with whether
// each line was long.
func itemShapes(it *feedloom.Item) map[string]bool {
	text := it.Text
	if text == "" {
		text = normalize.PlainText(it.Summary) + "\n" + normalize.PlainText(it.Content)
	}
	set := make(map[string]bool)
	for i, line := range strings.Split(text, "\n") {
		if i == maxLines {
			break
		}
		if key, long := shape(line); key != "" {
			set[key] = set[key] || long
		}
	}
	return set
}

var (
	// urls in a line become "@url".
	urls = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+`)
)

// shape returns the key a line is counted under: lower case, white space
// collapsed, a date line as its label and "@date", URLs as "@url", words
// with digits as "#". A key longer than maxKeyBytes is cut and ends in a
// hash of the whole shape. long reports a line longer than longLine runes.
func shape(line string) (key string, long bool) {
	s := strings.ToLower(strings.Join(strings.Fields(line), " "))
	if s == "" {
		return "", false
	}
	n := utf8.RuneCountInString(s)
	if n <= maxDateRunes && strings.IndexFunc(s, unicode.IsDigit) >= 0 {
		if label, _, ok := dateLine(s); ok {
			return strings.TrimSpace(label + " @date"), false
		}
	}
	if strings.Contains(s, "http") || strings.Contains(s, "www.") {
		s = urls.ReplaceAllString(s, "@url")
	}
	s = hashNumbers(s)
	if len(s) > maxKeyBytes {
		sum := sha256.Sum256([]byte(s))
		s = truncate(s, maxKeyBytes-20) + "… " + hex.EncodeToString(sum[:8])
	}
	return s, n > longLine
}

// hashNumbers replaces every word that holds a digit with "#", where a
// word is a run of letters, digits and the characters _ - . / : (so
// "11May", "2019-05-11", "14:08" and "77346" each become "#"). It is the
// hand-written form of a regular expression that cost a fifth of a poll.
func hashNumbers(s string) string {
	isWord := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_-./:", r)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWord(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		j, digit := i, false
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !isWord(r) {
				break
			}
			digit = digit || unicode.Is(unicode.Nd, r)
			j += n
		}
		if digit {
			b.WriteByte('#')
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
