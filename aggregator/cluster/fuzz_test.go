package cluster_test

import (
	"testing"

	"github.com/feedloom/feedloom/aggregator/cluster"
)

// FuzzFingerprint checks that any title and text give a signature that
// survives encoding unchanged, within its size, that a text long enough
// to be indexed is the same as itself, and that Same is symmetric.
func FuzzFingerprint(f *testing.F) {
	f.Add("Russia, Japan hold talks", talksMoscow, firstParagraph(talksMoscow))
	f.Add("Rovers beat Eastfield 2-1", matchRovers, matchAshford)
	f.Add("", "MOSCOW, May 11. /TASS/. 1,200.5 2–1 10:30 Russia’s TokyoRussian", "")
	f.Add("\xff\xfe", "a\x00b\u200b\u0301\U0001F600 ÉCOLE école", "(AP) — \n\n\n")
	f.Fuzz(func(t *testing.T, title, text, other string) {
		s := cluster.Fingerprint(title, text)
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 380 {
			t.Fatalf("%d bytes", len(b))
		}
		var back cluster.Signature
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		again, _ := back.MarshalBinary()
		if string(again) != string(b) {
			t.Fatal("round trip changed the encoding")
		}
		indexed := len(s.Bands()) > 0
		if same, _ := cluster.Same(s, back); same != indexed {
			t.Fatalf("Same(s, s) = %v with %d bands: %s", same, len(s.Bands()), cluster.Why(s, back))
		}
		o := cluster.Fingerprint(title, other)
		ab, sab := cluster.Same(s, o)
		ba, sba := cluster.Same(o, s)
		if ab != ba || sab != sba {
			t.Fatalf("not symmetric: %v %v, %v %v", ab, sab, ba, sba)
		}
		if sab < 0 || sab > 1 {
			t.Fatalf("score %v", sab)
		}
		var junk cluster.Signature
		_ = junk.UnmarshalBinary([]byte(text)) // must not panic
	})
}
