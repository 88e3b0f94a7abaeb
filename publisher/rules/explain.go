package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
)

// An Explanation tells how a topic's rules judged an item.
type Explanation struct {
	// Taken reports whether the topic takes the item.
	Taken bool
	// Reasons name the rules and terms that decided: when the item is
	// taken, what every rule matched (`any: "missile defense"`,
	// `all: "navy", "radar"`, `sources: "tag:defense"`, `languages: "en"`,
	// `max_age: published 2d ago`); when not, every rule that excluded it
	// (`any: no match`, `all: missing "radar"`, `none: "video game"`,
	// `sources: no match`, `languages: "de" is not listed`,
	// `max_age: published 9d ago, more than 7d`).
	Reasons []string
	// NearMiss reports an item the topic does not take although one of
	// its any or all terms matched.
	NearMiss bool
}

// String joins the reasons with "; ".
func (e Explanation) String() string { return strings.Join(e.Reasons, "; ") }

// Explain tells whether the item belongs to the topic now and why (see
// Explanation), the reasons joined by "; ".
func (s *Set) Explain(it *feedloom.Item, src feedloom.Source, topic string) (ok bool, reason string) {
	e := s.ExplainAt(it, src, topic, time.Now())
	return e.Taken, e.String()
}

// ExplainAt tells whether the item belongs to the topic, max_age counted
// back from now, and why. It agrees with ClassifyAt. An unknown topic
// takes nothing, for the reason `unknown topic "x"`.
func (s *Set) ExplainAt(it *feedloom.Item, src feedloom.Source, topic string, now time.Time) Explanation {
	i, found := slices.BinarySearchFunc(s.topics, topic, func(t topicRules, name string) int { return strings.Compare(t.name, name) })
	if !found {
		return Explanation{Reasons: []string{fmt.Sprintf("unknown topic %q", topic)}}
	}
	t := &s.topics[i]
	if len(t.any)+len(t.all)+len(t.none)+len(t.sources)+len(t.languages) == 0 && t.maxAge == 0 {
		return Explanation{Taken: true, Reasons: []string{"no rules: takes every item"}}
	}
	sc := s.find(it)
	defer s.pool.Put(sc)
	var took, failed []string
	near := false
	if len(t.any) > 0 {
		if j := s.first(t.any, sc, it, src, true); j >= 0 {
			took = append(took, fmt.Sprintf("any: %q", t.any[j].text))
			near = true
		} else {
			failed = append(failed, "any: no match")
		}
	}
	if len(t.all) > 0 {
		var missing []rule
		for _, r := range t.all {
			if s.matches(r, sc, it, src) {
				near = true
			} else {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			failed = append(failed, "all: missing "+quoteAll(missing))
		} else {
			took = append(took, "all: "+quoteAll(t.all))
		}
	}
	if j := s.first(t.none, sc, it, src, true); j >= 0 {
		failed = append(failed, fmt.Sprintf("none: %q", t.none[j].text))
	}
	if len(t.sources) > 0 {
		if j := firstSource(t.sources, it, src); j >= 0 {
			took = append(took, fmt.Sprintf("sources: %q", t.sources[j]))
		} else {
			failed = append(failed, "sources: no match")
		}
	}
	if len(t.languages) > 0 {
		switch l, ok := languageOK(t.languages, it); {
		case l == "":
			took = append(took, "languages: the item gives none")
		case ok:
			took = append(took, fmt.Sprintf("languages: %q", l))
		default:
			failed = append(failed, fmt.Sprintf("languages: %q is not listed", l))
		}
	}
	if t.maxAge > 0 {
		p := published(it)
		switch {
		case p.IsZero():
			took = append(took, "max_age: the item has no date")
		case ageOK(t.maxAge, it, now):
			took = append(took, "max_age: published "+age(now.Sub(p))+" ago")
		default:
			failed = append(failed, fmt.Sprintf("max_age: published %s ago, more than %s", age(now.Sub(p)), age(t.maxAge)))
		}
	}
	if len(failed) > 0 {
		return Explanation{Reasons: failed, NearMiss: near}
	}
	if len(took) == 0 { // only none rules, and none matched
		took = []string{"none: no match"}
	}
	return Explanation{Taken: true, Reasons: took}
}

func quoteAll(rs []rule) string {
	q := make([]string, len(rs))
	for i, r := range rs {
		q[i] = fmt.Sprintf("%q", r.text)
	}
	return strings.Join(q, ", ")
}

// age formats a duration the way a curator writes max_age: "7d", "1d12h",
// "5h", "20m"; rounded down to the unit.
func age(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < 0:
		return "-" + age(-d)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < day:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%day < time.Hour:
		return fmt.Sprintf("%dd", d/day)
	}
	return fmt.Sprintf("%dd%dh", d/day, d%day/time.Hour)
}
