package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomText is n words drawn from a vocabulary of v made-up words, a
// capitalized one or a number now and then, in lines of about 40 words.
func randomText(r *rand.Rand, n, v int) []string {
	w := make([]string, n)
	for i := range w {
		switch x := r.IntN(v); {
		case x%17 == 0:
			w[i] = "N" + letters(x)
		case x%29 == 0:
			w[i] = fmt.Sprint(x % 1000)
		default:
			w[i] = "w" + letters(x)
		}
		if i%40 == 39 {
			w[i] += "\n"
		}
	}
	return w
}

// letters spells x in base 26.
func letters(x int) string {
	var b []byte
	for {
		b = append(b, byte('a'+x%26))
		if x /= 26; x == 0 {
			return string(b)
		}
	}
}

func join(w []string) string { return strings.Join(w, " ") }

func TestMarshalRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	long := join(randomText(r, 5000, 3000))
	for name, s := range map[string]Signature{
		"empty":       Fingerprint("", ""),
		"title only":  Fingerprint("Russia and Japan hold talks 2-1", ""),
		"short":       Fingerprint("Talks", "Lavrov and Kono held talks in Moscow on Friday."),
		"wire story":  Fingerprint("Lavrov, Kono meet", strings.Repeat("The ministers of Russia and Japan met in Moscow on Friday 10 May 2019. ", 20)),
		"5000 words":  Fingerprint(strings.Repeat("Title Words ", 20), long),
		"all numbers": Fingerprint("1 2 3", strings.Repeat("1 22 333 4444 55555 ", 200)),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 380 {
				t.Errorf("%d bytes, want at most 380", len(b))
			}
			var back Signature
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !equal(s, back) {
				t.Errorf("round trip changed the signature:\n%+v\n%+v", s, back)
			}
			again, _ := back.MarshalBinary()
			if string(again) != string(b) {
				t.Error("encoding is not canonical")
			}
		})
	}
}

func equal(a, b Signature) bool {
	return a.words == b.words && a.shingles == b.shingles && a.min == b.min && a.cut == b.cut &&
		a.vocab == b.vocab && slices.Equal(a.lead, b.lead) && slices.Equal(a.anchors, b.anchors) &&
		slices.Equal(a.title, b.title)
}

func TestUnmarshalRejects(t *testing.T) {
	sig := Fingerprint("Lavrov, Kono meet", "The ministers of Russia and Japan met in Moscow on Friday and agreed to meet again in Tokyo.")
	good, _ := sig.MarshalBinary()
	other := slices.Clone(good)
	other[0] = version + 1
	if len(sig.anchors) < 2 {
		t.Fatalf("test text has %d anchors", len(sig.anchors))
	}
	sig.anchors[0], sig.anchors[1] = sig.anchors[1], sig.anchors[0]
	unsorted, _ := sig.MarshalBinary()
	for name, data := range map[string][]byte{
		"nil":             nil,
		"other version":   other,
		"truncated":       good[:len(good)-1],
		"trailing byte":   append(slices.Clone(good), 0),
		"unsorted anchor": unsorted,
	} {
		var s Signature
		err := s.UnmarshalBinary(data)
		if err == nil {
			t.Errorf("%s: decoded", name)
		} else if name != "other version" && !errors.Is(err, errBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFingerprintSkipsRepeatedTitle(t *testing.T) {
	const title = "Russia and Japan hold peace treaty talks"
	const text = "The foreign ministers of Russia and Japan held talks in Moscow on Friday, focusing on a peace treaty."
	a := Fingerprint(title, text)
	b := Fingerprint(title, "RUSSIA AND JAPAN HOLD PEACE TREATY TALKS\n"+text)
	if !equal(a, b) {
		t.Errorf("a body opening with its title differs from the body alone:\n%+v\n%+v", a, b)
	}
	c := Fingerprint(title, "Russia and Japan hold "+text)
	if c.words != a.words+4 {
		t.Errorf("a body opening with part of the title lost words: %d, want %d", c.words, a.words+4)
	}
}

// TestAnchorSample checks the promise Same relies on: every anchor of a
// text whose hash is below the cut is kept, and so are all those of the
// first 80 words unless they alone are too many.
func TestAnchorSample(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		ws := randomText(r, 200+r.IntN(3000), 100+r.IntN(2000))
		s := Fingerprint("", join(ws))
		kept := map[uint16]bool{}
		for _, a := range s.anchors {
			kept[a.hash] = true
		}
		if len(s.anchors) > maxAnchors {
			t.Fatalf("%d anchors kept", len(s.anchors))
		}
		lead := map[uint16]bool{}
		scan(join(ws), func(tk token) {
			if tk.anchor && tk.pos < anchorLead {
				lead[anchorHash(tk.hash)] = true
			}
		})
		scan(join(ws), func(tk token) {
			if !tk.anchor {
				return
			}
			h := anchorHash(tk.hash)
			if (lead[h] && len(lead) <= maxAnchors || uint32(h) < s.cut) && !kept[h] {
				t.Fatalf("anchor %04x at word %d dropped (cut %04x)", h, tk.pos, s.cut)
			}
		})
	}
}

// TestJaccardEstimate checks that the MinHash estimate is unbiased.
func TestJaccardEstimate(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var sumErr, sumAbs float64
	const trials = 200
	for range trials {
		common := randomText(r, 50+r.IntN(200), 50000)
		a := append(slices.Clone(common), randomText(r, r.IntN(200), 50000)...)
		b := append(slices.Clone(common), randomText(r, r.IntN(200), 50000)...)
		exact := exactJaccard(join(a), join(b))
		est := jaccard(Fingerprint("", join(a)), Fingerprint("", join(b)))
		sumErr += est - exact
		sumAbs += math.Abs(est - exact)
	}
	if bias := sumErr / trials; math.Abs(bias) > 0.015 {
		t.Errorf("bias %.3f", bias)
	}
	if mae := sumAbs / trials; mae > 0.06 {
		t.Errorf("mean absolute error %.3f", mae)
	}
}

func shingleSet(s string) map[uint64]bool {
	var content []uint64
	scan(s, func(t token) {
		if !t.stop {
			content = append(content, t.hash)
		}
	})
	set := map[uint64]bool{}
	for i := 0; i+2 < len(content); i++ {
		set[shingleHash(content[i], content[i+1], content[i+2])] = true
	}
	return set
}

func exactJaccard(a, b string) float64 {
	sa, sb := shingleSet(a), shingleSet(b)
	n := 0
	for x := range sa {
		if sb[x] {
			n++
		}
	}
	return float64(n) / float64(len(sa)+len(sb)-n)
}

func shareBand(a, b Signature) bool {
	for i, k := range a.Bands() {
		if string(k) == string(b.Bands()[i]) {
			return true
		}
	}
	return false
}

// TestBandsFindCopies measures how often a copy shares a band with the
// original: cut after its first 12 to 150 words, behind up to three words
// of its own; or with a fifth of its shingles changed.
func TestBandsFindCopies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const trials = 2000
	var truncated, edited, unrelated int
	for range trials {
		full := randomText(r, 150+r.IntN(400), 20000)
		orig := Fingerprint("", join(full))

		cut := slices.Clone(full[:12+r.IntN(140)])
		cut = append(randomText(r, r.IntN(4), 20000), cut...)
		if shareBand(orig, Fingerprint("", join(cut))) {
			truncated++
		}

		ed := slices.Clone(full)
		for i := 0; i < len(ed); i += 15 {
			ed[i] = "edited"
		}
		if shareBand(orig, Fingerprint("", join(ed))) {
			edited++
		}

		if shareBand(orig, Fingerprint("", join(randomText(r, 300, 20000)))) {
			unrelated++
		}
	}
	t.Logf("truncated copies %d/%d, edited copies %d/%d, unrelated %d/%d", truncated, trials, edited, trials, unrelated, trials)
	if truncated < trials*97/100 {
		t.Errorf("truncated copies found %d/%d", truncated, trials)
	}
	if edited < trials*95/100 {
		t.Errorf("edited copies found %d/%d", edited, trials)
	}
	if unrelated > trials/100 {
		t.Errorf("unrelated texts share bands %d/%d", unrelated, trials)
	}
}

func TestBandsOfShortText(t *testing.T) {
	if b := Fingerprint("A title", "Too short to judge.").Bands(); b != nil {
		t.Errorf("a short text has %d bands", len(b))
	}
	b := Fingerprint("", strings.Repeat("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 ", 3)).Bands()
	if len(b) != numBands {
		t.Fatalf("%d bands, want %d", len(b), numBands)
	}
	for i, k := range b {
		if len(k) != 8 {
			t.Errorf("band %d has %d bytes", i, len(k))
		}
	}
}
