package clean

import (
	"regexp"
	"testing"
)

// numbersRE is the regular expression hashNumbers replaces.
var numbersRE = regexp.MustCompile(`[\p{L}\p{N}_\-./:]*\p{Nd}[\p{L}\p{N}_\-./:]*`)

func FuzzHashNumbers(f *testing.F) {
	for _, s := range []string{"news id: 77346", "publish date: 11may 2019 - 14:08", "#4f2a x", "v1.2.3-rc", "no digits here", "٣ مه ۱۳۹۸", "a_1/b:c. d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hashNumbers(s), numbersRE.ReplaceAllString(s, "#"); got != want {
			t.Errorf("hashNumbers(%q) = %q, the regexp gives %q", s, got, want)
		}
	})
}
