package cluster_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/aggregator/cluster"
)

// text5KB is 5,000 bytes of news text.
var text5KB = func() string {
	s := strings.Join([]string{talksMoscow, talksTokyo, talksFollowUp, matchRovers, earningsQ1, quakeMorobe, rbaHold, launchSoyuz}, "\n")
	for len(s) < 5000 {
		s += "\n" + s
	}
	return s[:5000]
}()

func BenchmarkFingerprint5KB(b *testing.B) {
	b.SetBytes(int64(len(text5KB)))
	for b.Loop() {
		cluster.Fingerprint("Russia and Japan hold talks on a peace treaty", text5KB)
	}
}

func BenchmarkSame(b *testing.B) {
	x := cluster.Fingerprint("Russia, Japan hold talks", talksMoscow)
	y := cluster.Fingerprint("Russia, Japan hold talks", firstParagraph(talksMoscow))
	for b.Loop() {
		cluster.Same(x, y)
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data, _ := cluster.Fingerprint("Russia, Japan hold talks", talksMoscow).MarshalBinary()
	var s cluster.Signature
	for b.Loop() {
		if err := s.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}
