package cluster

import "unicode/utf8"

// The hashes are part of the stored format: signatures and band keys
// written by one version are compared by the next. They are FNV-1a over
// the lowercase UTF-8 of a word, finished with the SplitMix64 mixer, and
// must not change without a new signature version.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvRune(h uint64, r rune) uint64 {
	if r < utf8.RuneSelf {
		return (h ^ uint64(r)) * fnvPrime
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// mix is the SplitMix64 finalizer: every input bit affects every output
// bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// fold16 keeps 16 well-mixed bits of x.
func fold16(x uint64) uint16 { return uint16(mix(x) >> 48) }

// shingleHash hashes three consecutive words, in order.
func shingleHash(a, b, c uint64) uint64 {
	return mix(a ^ (b<<21 | b>>43) ^ (c<<42 | c>>22) ^ 0x5348494e474c45)
}

// perms are the MinHash permutations x → a·x + b (mod 2⁶⁴), a odd, drawn
// once from a fixed SplitMix64 stream.
var permA, permB = func() (a, b [numMin]uint64) {
	seed := uint64(0x666565646c6f6f6d) // "feedloom"
	next := func() uint64 {
		seed += 0x9e3779b97f4a7c15
		return mix(seed)
	}
	for i := range a {
		a[i] = next() | 1
		b[i] = next()
	}
	return a, b
}()
