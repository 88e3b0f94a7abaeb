package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

const (
	// version is the first byte of an encoded signature. A signature of
	// another version does not decode: the index must be rebuilt.
	version = 1

	numMin      = 56 // MinHash slots over all shingles
	leadLen     = 32 // distinct shingles kept from the start of the text
	maxAnchors  = 40 // anchors kept; see Signature.cut
	anchorLead  = 80 // words from the start whose anchors are always kept, and whose words are in vocab
	maxTitle    = 8  // title words kept
	vocabBits   = 384
	posUnit     = 2 // words per step of an anchor position
	posBeyond   = 255
	minShingles = 8 // a shorter text is never judged the same as another
	allAnchors  = 1 << 16
	maxEncoded  = 1 + 3*binary.MaxVarintLen32 + 2*numMin + 1 + 2*leadLen + 1 + 3*maxAnchors + 1 + 2*maxTitle + vocabBits/8
)

// A Signature is a compact digest of one item's text and title, made by
// Fingerprint and compared by Same. It holds hashes only, never words.
// Its encoding (MarshalBinary) is at most 380 bytes.
//
// The zero Signature is that of an empty text.
type Signature struct {
	words    int            // words of the text after the dateline, stop words included
	shingles int            // distinct shingles (three consecutive content words)
	min      [numMin]uint16 // MinHash of the shingles: 16 bits of each minimum
	lead     []uint16       // the first leadLen distinct shingles, in text order
	anchors  []anchor       // numbers, names and ordinals, sorted by hash
	// cut: every anchor of the text whose hash is below cut is in anchors
	// (allAnchors when all are). The absence of an anchor can only be
	// asserted below cut.
	cut   uint32
	title []uint16 // title words, sorted
	// vocab is a Bloom filter of the words of the first anchorLead words
	// of the text, by anchor hash, whatever their case: an anchor of one
	// copy ("Energy Minister", a capitalized sentence opener) that the
	// other writes in lower case is not missing from it.
	vocab bloom
}

type bloom [vocabBits / 8]byte

// bits are the three bits of h in a bloom: with the 50 or so distinct
// words of 80 words of news, about one word in 30 that is not in the
// filter is taken for one that is.
func (bloom) bits(h uint16) [3]uint {
	x := mix(uint64(h) ^ 0x564f434142)
	return [3]uint{uint(x % vocabBits), uint(x >> 21 % vocabBits), uint(x >> 42 % vocabBits)}
}

func (b *bloom) add(h uint16) {
	for _, i := range b.bits(h) {
		b[i/8] |= 1 << (i % 8)
	}
}

func (b *bloom) has(h uint16) bool {
	for _, i := range b.bits(h) {
		if b[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}

// An anchor is a word that tells one event from another: a number (a
// score, an amount, a date), a capitalized word (a name, a place, a
// weekday, a month) or an ordinal.
type anchor struct {
	hash uint16
	pos  uint8 // first position in the text, in posUnit words (posBeyond: further); 0 for a number of the title
}

// Fingerprint makes the signature of an item from its title and its text
// (plain text, one paragraph a line, as in feedloom.Item.Text). Text is
// read as a stream of words: paragraph breaks, punctuation, case and the
// markup the text came from do not matter. A leading wire dateline
// ("MOSCOW, May 11. /TASS/.") is dropped.
func Fingerprint(title, text string) Signature {
	var s Signature
	var anchors []anchorAt
	var heading []uint64
	scan(title, func(t token) {
		heading = append(heading, t.hash)
		if t.stop {
			return
		}
		if len(s.title) < maxTitle && !slices.Contains(s.title, fold16(t.hash)) {
			s.title = append(s.title, fold16(t.hash))
		}
		if t.number {
			anchors = append(anchors, anchorAt{anchorHash(t.hash), -1})
		}
	})
	slices.Sort(s.title)

	// A body that opens with its own title (some outlets repeat it) opens
	// with words another outlet's copy lacks: they are skipped.
	toks := make([]token, 0, len(text)/6+1)
	scan(stripDateline(text), func(t token) { toks = append(toks, t) })
	skip := 0
	if len(heading) >= 3 && len(toks) > len(heading) {
		skip = len(heading)
		for i, h := range heading {
			if toks[i].hash != h {
				skip = 0
				break
			}
		}
	}
	content := make([]uint64, 0, len(toks))
	for _, t := range toks[skip:] {
		pos := t.pos - skip
		s.words = pos + 1
		if t.stop {
			continue
		}
		content = append(content, t.hash)
		if t.anchor {
			anchors = append(anchors, anchorAt{anchorHash(t.hash), pos})
		}
		if pos < anchorLead {
			s.vocab.add(anchorHash(t.hash))
		}
	}
	s.shingle(content)
	s.keepAnchors(anchors)
	return s
}

type anchorAt struct {
	hash uint16
	pos  int // -1: the title
}

func anchorHash(h uint64) uint16 { return fold16(h ^ 0x414e43484f52) }

// shingle fills words' MinHash, lead and count of distinct shingles.
func (s *Signature) shingle(words []uint64) {
	var hs []uint64
	switch {
	case len(words) == 0:
		return
	case len(words) < 3:
		w := append(words, 0, 0)
		hs = []uint64{shingleHash(w[0], w[1], w[2])}
	default:
		hs = make([]uint64, len(words)-2)
		for i := range hs {
			hs[i] = shingleHash(words[i], words[i+1], words[i+2])
		}
	}
	var mins [numMin]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for _, x := range hs {
		for i := range mins {
			if v := x*permA[i] + permB[i]; v < mins[i] {
				mins[i] = v
			}
		}
		if len(s.lead) < leadLen && !slices.Contains(s.lead, fold16(x)) {
			s.lead = append(s.lead, fold16(x))
		}
	}
	for i, m := range mins {
		s.min[i] = fold16(m)
	}
	slices.Sort(hs)
	s.shingles = len(slices.Compact(hs))
}

// keepAnchors keeps the first position of each anchor: every anchor of
// the first anchorLead words, then those of the rest with the smallest
// hashes, up to maxAnchors. Sampling by hash keeps both texts' samples
// comparable: below the smaller cut, an anchor missing from one text is
// missing from it, not merely dropped.
func (s *Signature) keepAnchors(as []anchorAt) {
	slices.SortFunc(as, func(a, b anchorAt) int {
		if a.hash != b.hash {
			return int(a.hash) - int(b.hash)
		}
		return a.pos - b.pos
	})
	as = slices.CompactFunc(as, func(a, b anchorAt) bool { return a.hash == b.hash })
	s.cut = allAnchors
	if len(as) > maxAnchors {
		lead := 0
		for _, a := range as {
			if a.pos < anchorLead {
				lead++
			}
		}
		var kept []anchorAt
		if lead >= maxAnchors {
			kept, s.cut = as[:maxAnchors], uint32(as[maxAnchors].hash)
		} else {
			rest := maxAnchors - lead
			for _, a := range as {
				switch {
				case a.pos < anchorLead:
					kept = append(kept, a)
				case rest > 0:
					kept = append(kept, a)
					rest--
				case s.cut == allAnchors:
					s.cut = uint32(a.hash)
				}
			}
		}
		as = kept
	}
	s.anchors = make([]anchor, len(as))
	for i, a := range as {
		s.anchors[i] = anchor{hash: a.hash, pos: anchorPos(a.pos)}
	}
}

func anchorPos(pos int) uint8 {
	switch {
	case pos < 0:
		return 0
	case pos/posUnit >= posBeyond:
		return posBeyond
	}
	return uint8(pos / posUnit)
}

// MarshalBinary encodes s in at most 380 bytes.
func (s Signature) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, maxEncoded)
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(s.words))
	b = binary.AppendUvarint(b, uint64(s.shingles))
	b = binary.AppendUvarint(b, uint64(s.cut))
	for _, m := range s.min {
		b = binary.BigEndian.AppendUint16(b, m)
	}
	b = append(b, byte(len(s.lead)))
	for _, h := range s.lead {
		b = binary.BigEndian.AppendUint16(b, h)
	}
	b = append(b, byte(len(s.anchors)))
	for _, a := range s.anchors {
		b = binary.BigEndian.AppendUint16(b, a.hash)
		b = append(b, a.pos)
	}
	b = append(b, byte(len(s.title)))
	for _, h := range s.title {
		b = binary.BigEndian.AppendUint16(b, h)
	}
	b = append(b, s.vocab[:]...)
	return b, nil
}

var errBadSignature = errors.New("cluster: malformed signature")

// UnmarshalBinary decodes a signature written by MarshalBinary. It
// rejects another version and anything MarshalBinary would not write.
func (s *Signature) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if v := d.byte(); v != version {
		if d.err == nil {
			return fmt.Errorf("cluster: signature version %d, this feedloom reads %d", v, version)
		}
		return d.err
	}
	var n Signature
	n.words = int(d.uvarint(1 << 31))
	n.shingles = int(d.uvarint(1 << 31))
	n.cut = uint32(d.uvarint(allAnchors))
	for i := range n.min {
		n.min[i] = d.uint16()
	}
	n.lead = make([]uint16, d.count(leadLen))
	for i := range n.lead {
		n.lead[i] = d.uint16()
		if slices.Contains(n.lead[:i], n.lead[i]) {
			d.fail()
		}
	}
	n.anchors = make([]anchor, d.count(maxAnchors))
	for i := range n.anchors {
		n.anchors[i] = anchor{hash: d.uint16(), pos: d.byte()}
		if i > 0 && n.anchors[i].hash <= n.anchors[i-1].hash {
			d.fail()
		}
	}
	n.title = make([]uint16, d.count(maxTitle))
	for i := range n.title {
		n.title[i] = d.uint16()
		if i > 0 && n.title[i] <= n.title[i-1] {
			d.fail()
		}
	}
	if len(d.b) != len(n.vocab) {
		d.fail()
	}
	copy(n.vocab[:], d.b)
	if d.err != nil {
		return d.err
	}
	*s = n
	return nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errBadSignature
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uint16() uint16 {
	if len(d.b) < 2 {
		d.fail()
		return 0
	}
	v := binary.BigEndian.Uint16(d.b)
	d.b = d.b[2:]
	return v
}

func (d *decoder) uvarint(max uint64) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max || n != len(binary.AppendUvarint(nil, v)) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) count(max int) int {
	n := int(d.byte())
	if n > max {
		d.fail()
		return 0
	}
	return n
}
