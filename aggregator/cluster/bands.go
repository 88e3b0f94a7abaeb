package cluster

import "encoding/binary"

// The bands of locality-sensitive hashing: each is an 8-byte key, and
// two texts that share a key are candidates for Same. Two kinds:
//
//   - text bands: wholeRows MinHash slots of the whole text each. Copies
//     share one with probability 1-(1-J⁴)⁸ for resemblance J: 0.95 at
//     0.75, 0.997 at 0.85, 0.01 at 0.2.
//   - lead bands: the minima of leadRows permutations of the first 8, 16
//     or 32 distinct shingles. A copy cut after its first sentences keeps
//     the other's first shingles whatever its length: with nothing before
//     them, the 8-shingle bands always match. TestBandsFindCopies measures
//     copies cut to 12 to 150 words behind up to three words of their
//     own: 999 in 1,000 share a band.
const (
	wholeBands = 8
	wholeRows  = 4
	leadRows   = 2
	bandSalt   = 0x42414e44 // "BAND"
)

// leadBands are the lead bands: how many bands over the first prefix
// shingles.
var leadBands = []struct{ prefix, bands int }{{8, 4}, {16, 4}, {32, 6}}

// leadSeeds are the permutations of the lead bands: y → mix(y ^ seed).
var leadSeeds = func() (s [(4 + 4 + 6) * leadRows]uint64) {
	for i := range s {
		s[i] = mix(uint64(i+1) * 0x9e3779b97f4a7c15)
	}
	return s
}()

// numBands is the number of keys Bands returns.
const numBands = wholeBands + 4 + 4 + 6

// Bands returns the keys under which s is indexed and looked up: 22 keys
// of 8 bytes, distinct between bands. A text too short for Same to accept
// has none.
func (s Signature) Bands() [][]byte {
	if s.shingles < minShingles {
		return nil
	}
	buf := make([]byte, 8*numBands)
	keys := make([][]byte, 0, numBands)
	put := func(h uint64) {
		n := len(keys) * 8
		k := buf[n : n+8 : n+8]
		binary.BigEndian.PutUint64(k, mix(h^uint64(len(keys))<<56^bandSalt))
		keys = append(keys, k)
	}
	for i := range wholeBands {
		var h uint64
		for _, m := range s.min[i*wholeRows : (i+1)*wholeRows] {
			h = h<<16 | uint64(m)
		}
		put(h)
	}
	seeds := leadSeeds[:]
	for _, lb := range leadBands {
		lead := s.lead[:min(lb.prefix, len(s.lead))]
		for range lb.bands {
			var h uint64
			for _, seed := range seeds[:leadRows] {
				best, arg := ^uint64(0), uint16(0)
				for _, y := range lead {
					if v := mix(uint64(y) ^ seed); v < best {
						best, arg = v, y
					}
				}
				h = h<<16 | uint64(arg)
			}
			seeds = seeds[leadRows:]
			put(h)
		}
	}
	return keys
}
