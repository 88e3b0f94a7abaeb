package cluster_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/feedloom/feedloom/aggregator/cluster"
)

// TestSignatureIsStable pins the encoding: signatures and bands are
// stored, so a change to Fingerprint's output needs a new signature
// version (and an index rebuild), not just a new digest here.
func TestSignatureIsStable(t *testing.T) {
	h := sha256.New()
	for _, s := range []string{talksMoscow, talksTokyo, matchRovers, earningsQ1, text5KB,
		"ǅemal Ⅰ Ⓐ ÉCOLE Straße İstanbul ΣΊΣΥΦΟΣ 東京 ٣٤ 1,200.5 2–1",
		"MOSCOW, May 11. /TASS/. O'Brien don't Russia’s TokyoRussian"} {
		sig := cluster.Fingerprint("A Title 2-1", s)
		b, _ := sig.MarshalBinary()
		h.Write(b)
		for _, band := range sig.Bands() {
			h.Write(band)
		}
	}
	const want = "caea295e0e48b91447315a5eba850e6f133dd417a2953595b3ebffca3a108ffc"
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != want {
		t.Errorf("signatures changed: digest %s, want %s", got, want)
	}
}
