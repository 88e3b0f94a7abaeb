// Package cluster recognizes the same news story carried by several
// outlets: a wire story reposted under another title, cut to its first
// paragraph, with or without its dateline, from HTML or plain text. It
// keeps apart what only looks alike: two results from one match-report
// template, one company's first and second quarter, two meetings of the
// same ministers, the next day's follow-up.
//
// [Fingerprint] digests an item's title and plain text into a
// [Signature] of hashes (at most 380 bytes encoded). [Signature.Bands]
// gives the keys of a locality-sensitive index, so that a lookup reads
// only the few items that could be copies. [Same] decides, and [Why] says
// why. The package is pure: no state, no I/O, safe for concurrent use.
//
// # What a signature holds
//
// The text is read as a stream of words (letters and digits; case,
// punctuation and paragraph breaks do not matter), after a leading wire
// dateline ("MOSCOW, May 11. /TASS/.", "LONDON (Reuters) -") and a
// repetition of the title are dropped. Common English function words are
// left out of the shingles, the runs of three consecutive remaining
// words. A signature keeps:
//
//   - a MinHash of all shingles, to estimate how alike two texts are;
//   - the first 32 distinct shingles (the lead), so that a copy cut to its
//     first paragraph can be measured exactly against the other's start;
//   - anchors: the numbers ("2-1", "1.25", "10:30"), capitalized words
//     (names, places, weekdays, months) and ordinals of the text, each with
//     its position; all of those of the first 80 words, a hash sample of
//     the rest;
//   - the words of the first 80 words, in a Bloom filter, and the title's
//     words.
//
// # The rules of Same, in order
//
// Texts are compared shorter against longer.
//
//  1. A text of fewer than 8 shingles (about 15 words) is never the same
//     as another.
//  2. Over the stretch both texts cover (the shorter's length, the texts
//     aligned by the anchors they share), if each has an anchor the other
//     certainly lacks, they are different events: another score, quarter,
//     date, place or team. Additions on one side only (a dateline, a
//     credit, the rest of the story) are not a difference.
//  3. A short text (under 20 shingles) must be at least 80% in the other's
//     lead, or share a quarter of its title's words.
//  4. Same when at least 60% of the shorter lead is in the other's lead
//     and at least half of the shorter text is in the other: counted when
//     the shorter text fits in its lead, otherwise estimated from the
//     MinHash resemblance J as J·(a+b)/((1+J)·a) for shingle counts a ≤ b.
//  5. Same when the resemblance of the whole texts is at least 0.75, for a
//     copy whose start differs (an introduction before the wire text).
//  6. Same when the shorter title's words are at least 80% in the other
//     title and at least 80% of the shorter text is in the other: a
//     repost that dropped or rewrote the lead paragraph.
//
// Otherwise different. The score Same returns is the larger of the
// resemblance and the mean of lead share and containment; it ranks
// candidates, and is not the decision.
//
// # Caveats
//
// The hashes are part of the stored format: a signature encodes its
// version, and one of another version does not decode. Changing
// Fingerprint or Bands means reindexing.
//
// The function-word list is English. Text in another language still
// clusters (shingles are then a little more specific); a language without
// letter case has only numbers as anchors.
package cluster
