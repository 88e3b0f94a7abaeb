package cluster_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/aggregator/cluster"
)

type copyOf struct{ title, text string }

func TestSame(t *testing.T) {
	const boilerplate = "\nMessage end/\nNews ID: 77346\nPublish Date: 10May 2019 - 14:08\nyour comment"
	paras := strings.Split(talksMoscow, "\n")
	tests := map[string]struct {
		a, b copyOf
		same bool
	}{
		// The same story.
		"reworded title": {
			copyOf{"Russia, Japan hold talks on peace treaty", talksMoscow},
			copyOf{"Lavrov and Kono discuss Kuril Islands in Moscow", talksMoscow}, true},
		"boilerplate left in one copy": {
			copyOf{"Russia, Japan hold talks on peace treaty", talksMoscow + boilerplate},
			copyOf{"Russia and Japan discuss peace treaty", talksMoscow}, true},
		"wire dateline in one copy": {
			copyOf{"Russia, Japan hold talks", "MOSCOW, May 10. /TASS/. " + talksMoscow},
			copyOf{"Russia, Japan hold talks", talksMoscow}, true},
		"first paragraph only": {
			copyOf{"Lavrov, Kono hold talks in Moscow", firstParagraph(talksMoscow)},
			copyOf{"Russia and Japan discuss peace treaty", talksMoscow}, true},
		"first paragraph with dateline": {
			copyOf{"Lavrov, Kono hold talks in Moscow", "MOSCOW, May 10 (Reuters) - " + firstParagraph(talksMoscow)},
			copyOf{"Russia and Japan discuss peace treaty", talksMoscow}, true},
		"first two paragraphs": {
			copyOf{"Russia, Japan hold talks", paras[0] + "\n" + paras[1]},
			copyOf{"Russia, Japan hold talks", talksMoscow}, true},
		"markup differences": {
			copyOf{"Russia, Japan hold talks", asOneLine(talksMoscow)},
			copyOf{"Russia, Japan hold talks", talksMoscow}, true},
		"title repeated at the start of one body": {
			copyOf{"Russia and Japan hold peace treaty talks in Moscow", "Russia and Japan Hold Peace Treaty Talks in Moscow\n" + firstParagraph(talksMoscow)},
			copyOf{"Lavrov, Kono meet", talksMoscow}, true},
		"a paragraph cut by an editor": {
			copyOf{"Russia, Japan hold talks", strings.Join(append(paras[:2:2], paras[3:]...), "\n")},
			copyOf{"Russia, Japan hold talks", talksMoscow}, true},
		"outlet credits the agency": {
			copyOf{"Russia, Japan hold talks", "According to TASS, t" + talksMoscow[1:]},
			copyOf{"Russia, Japan hold talks", talksMoscow}, true},
		"earnings lead only": {
			copyOf{"Nordvik Q1 profit beats forecasts", firstParagraph(earningsQ1)},
			copyOf{"Nordvik Shipping first-quarter profit rises", earningsQ1}, true},
		"match report, truncated": {
			copyOf{"Rovers go three points clear", firstParagraph(matchRovers)},
			copyOf{"Harbour City Rovers 2-1 Eastfield", matchRovers}, true},

		// Different stories.
		"same ministers, another meeting": {
			copyOf{"Russia, Japan hold talks", talksMoscow},
			copyOf{"Russia, Japan hold talks", talksTokyo}, false},
		"same ministers, another meeting, leads only": {
			copyOf{"Russia, Japan hold talks", firstParagraph(talksMoscow)},
			copyOf{"Russia, Japan hold talks", firstParagraph(talksTokyo)}, false},
		"follow-up the next day": {
			copyOf{"Russia, Japan hold talks", talksMoscow},
			copyOf{"Japan rejects Russian concerns over Aegis Ashore", talksFollowUp}, false},
		"match template, other teams": {
			copyOf{"Rovers beat Eastfield", matchRovers},
			copyOf{"Ashford held by Millbrook", matchAshford}, false},
		"match template, leads only": {
			copyOf{"Coastal League result", firstParagraph(matchRovers)},
			copyOf{"Coastal League result", firstParagraph(matchAshford)}, false},
		"earnings template, next quarter": {
			copyOf{"Nordvik Shipping quarterly results", earningsQ1},
			copyOf{"Nordvik Shipping quarterly results", earningsQ2}, false},
		"earnings template, next quarter, leads only": {
			copyOf{"Nordvik Shipping quarterly results", firstParagraph(earningsQ1)},
			copyOf{"Nordvik Shipping quarterly results", firstParagraph(earningsQ2)}, false},
		"launch template": {
			copyOf{"Rocket launch", launchSoyuz},
			copyOf{"Rocket launch", launchProton}, false},
		"earthquake template, both on a Tuesday": {
			copyOf{"Strong earthquake hits Papua New Guinea", quakeMorobe},
			copyOf{"Strong earthquake hits Papua New Guinea", quakeNewIreland}, false},
		"the same text but one number": {
			copyOf{"Strong earthquake hits Papua New Guinea", quakeMorobe},
			copyOf{"Strong earthquake hits Papua New Guinea", strings.Replace(quakeMorobe, "7.1", "6.4", 1)}, false},
		"the same text but another weekday": {
			copyOf{"Russia, Japan hold talks", talksMoscow},
			copyOf{"Russia, Japan hold talks", strings.Replace(strings.Replace(talksMoscow, "Friday", "Monday", 1), "Moscow on", "Tokyo on", 1)}, false},
		"central bank, next month": {
			copyOf{"RBA decision", rbaHold},
			copyOf{"RBA decision", rbaCut}, false},
		"unrelated": {
			copyOf{"Russia, Japan hold talks", talksMoscow},
			copyOf{"Rovers beat Eastfield", matchRovers}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := cluster.Fingerprint(tc.a.title, tc.a.text)
			b := cluster.Fingerprint(tc.b.title, tc.b.text)
			same, score := cluster.Same(a, b)
			if same != tc.same {
				t.Errorf("Same = %v, want %v: %s", same, tc.same, cluster.Why(a, b))
			} else {
				t.Logf("%s", cluster.Why(a, b))
			}
			if tc.same && !shareBand(a, b) {
				t.Error("the copies share no band: a lookup would not find one from the other")
			}
			if back, backScore := cluster.Same(b, a); back != same || backScore != score {
				t.Errorf("not symmetric: (a, b) %v %.3f, (b, a) %v %.3f", same, score, back, backScore)
			}
		})
	}
}

func shareBand(a, b cluster.Signature) bool {
	bb := b.Bands()
	for i, k := range a.Bands() {
		if string(k) == string(bb[i]) {
			return true
		}
	}
	return false
}

func TestWhy(t *testing.T) {
	a := cluster.Fingerprint("Rovers beat Eastfield", matchRovers)
	b := cluster.Fingerprint("Ashford held by Millbrook", matchAshford)
	if why := cluster.Why(a, b); !strings.HasPrefix(why, "different: anchors differ") {
		t.Errorf("Why = %q", why)
	}
	if why := cluster.Why(a, cluster.Fingerprint("", firstParagraph(matchRovers))); !strings.HasPrefix(why, "same: same lead") {
		t.Errorf("Why = %q", why)
	}
	if why := cluster.Why(a, cluster.Fingerprint("", "Rovers won.")); !strings.HasPrefix(why, "different: too short") {
		t.Errorf("Why = %q", why)
	}
}
