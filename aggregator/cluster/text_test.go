package cluster

import (
	"slices"
	"strings"
	"testing"
)

// words returns the hashes scan gives s, with its anchors marked.
func words(s string) (hashes []uint64, anchors []bool) {
	scan(s, func(t token) {
		hashes = append(hashes, t.hash)
		anchors = append(anchors, t.anchor)
	})
	return hashes, anchors
}

func TestScanWords(t *testing.T) {
	tests := map[string]struct {
		in, same string // same: scans to the same words
	}{
		"case and punctuation":    {`"We agreed," Lavrov said.`, "we agreed lavrov said"},
		"curly apostrophe":        {"Russia’s security", "Russia's security"},
		"clitic dropped":          {"Japan's plans don't change", "Japan plans don change"},
		"thousands separator":     {"1,200 people", "1200 people"},
		"en dash in a score":      {"won 2–1", "won 2-1"},
		"glued words split":       {"TokyoRussian Foreign Minister", "Tokyo Russian Foreign Minister"},
		"paragraphs and spaces":   {"one two\n\nthree", "one two three"},
		"hyphenated words":        {"first-quarter profit", "first quarter profit"},
		"markup-free accents":     {"Zürich café", "zürich CAFÉ"},
		"number inside word kept": {"Yamal-601 satellite", "yamal 601 satellite"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, _ := words(tc.in)
			b, _ := words(tc.same)
			if !slices.Equal(a, b) {
				t.Errorf("%q and %q scan differently: %x, %x", tc.in, tc.same, a, b)
			}
		})
	}
}

func TestScanKeepsNumbersWhole(t *testing.T) {
	for _, s := range []string{"2-1", "1.25", "10:30", "2019-05-11", "1,200.5", "11/05"} {
		h, a := words(s)
		if len(h) != 1 || !a[0] {
			t.Errorf("%q: %d words, anchors %v; want one anchor", s, len(h), a)
		}
	}
	if a, b := firstHash("2-1"), firstHash("1-2"); a == b {
		t.Error("2-1 and 1-2 are the same word")
	}
}

func firstHash(s string) uint64 {
	h, _ := words(s)
	return h[0]
}

func TestScanAnchors(t *testing.T) {
	in := "The ministers met in Moscow on Friday for the second time, Mr Lavrov said; NATO and US officials were 3 km away."
	want := map[string]bool{"moscow": true, "friday": true, "second": true, "lavrov": true, "nato": true, "us": true, "3": true}
	var got []string
	for _, w := range strings.Fields(strings.NewReplacer(",", "", ".", "", ";", "").Replace(in)) {
		_, a := words(w)
		if a[0] {
			got = append(got, strings.ToLower(w))
		}
	}
	for _, w := range got {
		if !want[w] {
			t.Errorf("%q is an anchor", w)
		}
		delete(want, w)
	}
	for w := range want {
		t.Errorf("%q is not an anchor", w)
	}
}

func TestStripDateline(t *testing.T) {
	const body = "Russian Foreign Minister Sergei Lavrov said on Friday"
	tests := map[string]string{
		"MOSCOW, May 11. /TASS/. " + body:            body,
		"/TASS/. " + body:                            body,
		"LONDON, May 11 (Reuters) - " + body:         body,
		"WASHINGTON (AP) — " + body:                  body,
		"Paris (AFP) - " + body:                      body,
		"NEW YORK, May 11 -- " + body:                body,
		"MOSCOW: " + body:                            body,
		"By Staff Writer\nOSLO (Meridian) - " + body: body,
		// Left alone.
		body:                                          body,
		"Alphabet Inc (GOOGL.O) said on Tuesday":      "Alphabet Inc (GOOGL.O) said on Tuesday",
		"US and Japan - allies - met":                 "US and Japan - allies - met",
		"First paragraph.\nLAVROV: We agreed.":        "First paragraph.\nLAVROV: We agreed.",
		"The ratio was 1/2 of the total":              "The ratio was 1/2 of the total",
		"MOSCOW, May 11. /TASS/.":                     "MOSCOW, May 11. /TASS/.",
		"One.\nTwo.\nThree.\nTOKYO (Kyodo) - " + body: "One.\nTwo.\nThree.\nTOKYO (Kyodo) - " + body,
	}
	for in, want := range tests {
		if got := stripDateline(in); got != want {
			t.Errorf("stripDateline(%q) = %q, want %q", in, got, want)
		}
	}
}
