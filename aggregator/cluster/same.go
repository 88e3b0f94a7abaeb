package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// Thresholds of Same. See the package documentation for the rules.
const (
	minLead      = 0.6  // share of the shorter lead found in the other lead
	minContained = 0.5  // share of the shorter text found in the other
	minJaccard   = 0.75 // resemblance that accepts a copy whose start differs
	shortText    = 20   // shingles under which a text must be copied nearly whole,
	minShortLead = 0.8  // this much of it,
	minTitle     = 0.25 // or share this much of the shorter title
	// A copy that rewrote or dropped its lead (a repost starting at the
	// second paragraph) is still the story when it keeps the title and
	// most of the text.
	minSameTitle     = 0.8
	minTitledContain = 0.8
)

// Same reports whether a and b are the same story, and a similarity
// score in [0, 1] (1: the same text). The score ranks candidates; the
// decision also weighs the anchors, so a high score can still be a
// different story. Same is symmetric.
func Same(a, b Signature) (bool, float64) {
	v := compare(a, b)
	return v.same, v.score
}

// Why explains Same's decision for a and b in one line, for logs and
// debugging.
func Why(a, b Signature) string { return compare(a, b).String() }

type verdict struct {
	same  bool
	score float64
	rule  string

	shingles     [2]int
	jaccard      float64 // estimated resemblance of the whole texts
	lead         float64 // share of the shorter lead in the other
	contained    float64 // estimated share of the shorter text in the other
	title        float64 // share of the shorter title's words in the other
	only         [2]int  // anchors in one text only, within the stretch both cover
	shift, cover int     // alignment of the texts in words; words both cover
}

func compare(a, b Signature) verdict {
	if b.shingles < a.shingles || (b.shingles == a.shingles && b.words < a.words) {
		a, b = b, a // a is the shorter: the verdict does not depend on the order
	}
	v := verdict{shingles: [2]int{a.shingles, b.shingles}}
	if a.shingles < minShingles {
		v.rule = fmt.Sprintf("too short to compare (%d shingles, need %d)", a.shingles, minShingles)
		return v
	}
	v.jaccard = jaccard(a, b)
	v.lead = overlap(a.lead, b.lead)
	v.title = overlap(a.title, b.title)
	if a.shingles <= leadLen {
		// The lead holds all of the shorter text: containment is counted,
		// not estimated.
		v.contained = v.lead
	} else {
		j := v.jaccard
		v.contained = min(1, j*float64(a.shingles+b.shingles)/((1+j)*float64(a.shingles)))
	}
	v.score = max(v.jaccard, (v.lead+v.contained)/2)
	v.anchors(a, b)
	switch {
	case v.only[0] > 0 && v.only[1] > 0:
		v.rule = "anchors differ: each text has numbers or names the other lacks"
	case a.shingles < shortText && v.lead < minShortLead && v.title < minTitle:
		v.rule = "short text neither copied whole nor under the same title"
	case v.lead >= minLead && v.contained >= minContained:
		v.same, v.rule = true, "same lead, shorter text contained"
	case a.shingles > leadLen && v.jaccard >= minJaccard:
		v.same, v.rule = true, "same text"
	case v.title >= minSameTitle && v.contained >= minTitledContain:
		v.same, v.rule = true, "same title, shorter text contained"
	default:
		v.rule = "texts differ"
	}
	return v
}

func (v verdict) String() string {
	var b strings.Builder
	if v.same {
		b.WriteString("same: ")
	} else {
		b.WriteString("different: ")
	}
	b.WriteString(v.rule)
	fmt.Fprintf(&b, " (score %.2f; lead %.2f, contained %.2f, jaccard %.2f, title %.2f; shingles %d/%d; anchors only-shorter %d, only-longer %d over %d words, shift %d)",
		v.score, v.lead, v.contained, v.jaccard, v.title, v.shingles[0], v.shingles[1], v.only[0], v.only[1], v.cover, v.shift)
	return b.String()
}

// jaccard estimates the resemblance of the texts from the MinHash slots.
func jaccard(a, b Signature) float64 {
	n := 0
	for i := range a.min {
		if a.min[i] == b.min[i] {
			n++
		}
	}
	return float64(n) / numMin
}

// overlap is the share of the smaller set found in the other.
func overlap(a, b []uint16) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for _, x := range a {
		if slices.Contains(b, x) {
			n++
		}
	}
	return float64(n) / float64(min(len(a), len(b)))
}

// anchors counts the anchors each text has and the other lacks, over the
// stretch of text both cover. A truncated copy covers only the start of
// the full one; a copy with words before the shared text (an intro, a
// kept dateline) is aligned by the median shift of the anchors both hold.
// An anchor counts as lacking only when the other text's sample could
// hold it (its hash is below the other's cut).
func (v *verdict) anchors(a, b Signature) {
	var shifts []int
	for _, x := range a.anchors {
		if i, ok := findAnchor(b.anchors, x.hash); ok {
			y := b.anchors[i]
			if x.pos > 0 && y.pos > 0 && x.pos < posBeyond && y.pos < posBeyond {
				shifts = append(shifts, int(x.pos)-int(y.pos))
			}
		}
	}
	shift := 0
	if n := len(shifts); n > 0 {
		slices.Sort(shifts)
		shift = (shifts[(n-1)/2] + shifts[n/2]) / 2 // rounds toward zero: the same either way round
	}
	v.shift = shift * posUnit
	limitA, limitB := window(b.words), window(a.words)
	v.cover = min(limitA, limitB) * posUnit
	for _, x := range a.anchors {
		if p := int(x.pos) - shift; p >= 0 && p < limitA && lacks(b, x.hash) {
			v.only[0]++
		}
	}
	for _, y := range b.anchors {
		if p := int(y.pos) + shift; p >= 0 && p < limitB && lacks(a, y.hash) {
			v.only[1]++
		}
	}
}

// lacks reports whether s certainly lacks the anchor h: not among its
// anchors although its sample would hold it, and not among the words of
// its start in any case.
func lacks(s Signature, h uint16) bool {
	if uint32(h) >= s.cut || s.vocab.has(h) {
		return false
	}
	_, found := findAnchor(s.anchors, h)
	return !found
}

// window is how far, in anchor positions, a text of n words covers: its
// last step is left out, since a truncated copy may end within it.
func window(words int) int {
	if words/posUnit >= posBeyond {
		return posBeyond + 1
	}
	return words/posUnit - 1
}

func findAnchor(as []anchor, h uint16) (int, bool) {
	return slices.BinarySearchFunc(as, h, func(a anchor, h uint16) int { return int(a.hash) - int(h) })
}
