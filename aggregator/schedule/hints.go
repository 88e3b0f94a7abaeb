package schedule

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// maxDates bounds the publication dates Hints keeps: a rate above 500
// items a week already means the shortest interval.
const maxDates = 500

// Hints are what a feed document says about polling it: what it asks
// (ttl, sy:updatePeriod, skipHours, skipDays) and how often it publishes
// (the dates of its entries). They are kept between polls, as a 304 brings
// no document.
type Hints struct {
	TTL          time.Duration  `json:"ttl,omitempty"`           // RSS <ttl>
	UpdatePeriod time.Duration  `json:"update_period,omitempty"` // sy:updatePeriod ÷ sy:updateFrequency
	SkipHours    []int          `json:"skip_hours,omitempty"`    // RSS <skipHours>, 0–23 UTC
	SkipDays     []time.Weekday `json:"skip_days,omitempty"`     // RSS <skipDays>, UTC
	// Dates are the distinct publication dates (Unix seconds) of the
	// entries of the last week at the time of the document, newest first.
	Dates []int64 `json:"dates,omitempty"`
	// Oldest is the oldest publication date in the document; zero when no
	// entry is dated.
	Oldest time.Time `json:"oldest,omitzero"`
}

// FromFeed reads the hints of a parsed document fetched at now. An entry's
// date is its published date, else its updated date; a date gofeed could
// not read is read as normalize reads it; a date after now counts as now.
func FromFeed(f *gofeed.Feed, now time.Time) Hints {
	var h Hints
	if r, ok := f.OriginalFeed().(*rss.Feed); ok {
		if m, err := strconv.Atoi(strings.TrimSpace(r.TTL)); err == nil && m > 0 {
			h.TTL = time.Duration(min(m, 366*24*60)) * time.Minute
		}
		h.SkipHours = skipHours(r.SkipHours)
		h.SkipDays = skipDays(r.SkipDays)
	}
	h.UpdatePeriod = updatePeriod(f.Extensions["sy"])

	seen := make(map[int64]bool)
	from := now.Add(-Week)
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		t, ok := entryDate(it)
		if !ok {
			continue
		}
		if t.After(now) {
			t = now
		}
		if h.Oldest.IsZero() || t.Before(h.Oldest) {
			h.Oldest = t
		}
		if s := t.Unix(); t.After(from) && !seen[s] {
			seen[s] = true
			h.Dates = append(h.Dates, s)
		}
	}
	slices.Sort(h.Dates)
	slices.Reverse(h.Dates)
	if len(h.Dates) > maxDates {
		h.Dates = h.Dates[:maxDates]
	}
	return h
}

// minDate is the earliest date taken as a real publication date.
var minDate = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

func entryDate(it *gofeed.Item) (time.Time, bool) {
	for _, c := range []struct {
		parsed *time.Time
		raw    string
	}{{it.PublishedParsed, it.Published}, {it.UpdatedParsed, it.Updated}} {
		t, ok := time.Time{}, false
		if c.parsed != nil {
			t, ok = *c.parsed, true
		} else if c.raw != "" {
			t, ok = normalize.ParseDate(c.raw)
		}
		if ok && t.After(minDate) {
			return t, true
		}
	}
	return time.Time{}, false
}

// PerWeek is the source's publishing rate at now, in items a week: the
// dated entries of the last week over a week, or, when the document did
// not reach back a week, over the span from its oldest entry to now (at
// least an hour). ok is false when no entry was dated.
func (h Hints) PerWeek(now time.Time) (perWeek float64, ok bool) {
	if h.Oldest.IsZero() {
		return 0, false
	}
	from := now.Add(-Week)
	n := 0
	for _, s := range h.Dates {
		if time.Unix(s, 0).After(from) {
			n++
		}
	}
	window := Week
	if h.Oldest.After(from) {
		window = max(now.Sub(h.Oldest), time.Hour)
	}
	return float64(n) * float64(Week) / float64(window), true
}

// Skip returns the first time at or after t that is outside the hours and
// weekdays (UTC) the feed asks not to be read in, and whether that moved
// t. A list that excludes every hour, or every day, is ignored.
func (h Hints) Skip(t time.Time) (time.Time, bool) {
	var hours uint32
	for _, x := range h.SkipHours {
		hours |= 1 << x
	}
	var days uint8
	for _, x := range h.SkipDays {
		days |= 1 << x
	}
	if hours == 1<<24-1 {
		hours = 0
	}
	if days == 1<<7-1 {
		days = 0
	}
	if hours == 0 && days == 0 {
		return t, false
	}
	u := t.UTC()
	for range 8 * 24 {
		if hours&(1<<u.Hour()) == 0 && days&(1<<u.Weekday()) == 0 {
			return u.In(t.Location()), !u.Equal(t)
		}
		u = u.Truncate(time.Hour).Add(time.Hour)
	}
	return t, false
}

func skipHours(raw []string) []int {
	var out []int
	for _, s := range raw {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || n > 24 {
			continue
		}
		n %= 24 // some feeds write midnight as 24
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func skipDays(raw []string) []time.Weekday {
	var out []time.Weekday
	for _, s := range raw {
		s = strings.ToLower(strings.TrimSpace(s))
		for d := time.Sunday; d <= time.Saturday; d++ {
			if name := strings.ToLower(d.String()); s == name || len(s) == 3 && strings.HasPrefix(name, s) {
				if !slices.Contains(out, d) {
					out = append(out, d)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// updatePeriod reads sy:updatePeriod (hourly, daily, weekly, monthly,
// yearly; default daily) divided by sy:updateFrequency (default 1). It is
// 0 when the feed has neither.
func updatePeriod(sy map[string][]ext.Extension) time.Duration {
	period, freq := first(sy, "updatePeriod"), first(sy, "updateFrequency")
	if period == "" && freq == "" {
		return 0
	}
	d := map[string]time.Duration{
		"hourly":  time.Hour,
		"daily":   24 * time.Hour,
		"weekly":  Week,
		"monthly": 30 * 24 * time.Hour,
		"yearly":  365 * 24 * time.Hour,
	}[strings.ToLower(period)]
	if d == 0 {
		d = 24 * time.Hour
	}
	if n, err := strconv.Atoi(freq); err == nil && n > 1 {
		d /= time.Duration(n)
	}
	return d
}

func first(m map[string][]ext.Extension, name string) string {
	if v := m[name]; len(v) > 0 {
		return strings.TrimSpace(v[0].Value)
	}
	return ""
}

// Lifetime reads how long a response stays fresh: Cache-Control max-age
// less Age, or, without max-age, Expires less Date (less now when Date is
// missing). Both are 0 when absent, not positive, or when no-store or
// no-cache is given.
func Lifetime(h http.Header, now time.Time) (maxAge, expires time.Duration) {
	sawMaxAge := false
	for _, v := range h.Values("Cache-Control") {
		for _, dir := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0, 0
			case "max-age":
				sawMaxAge = true
				if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n > 0 {
					maxAge = time.Duration(min(n, int64(Week/time.Second))) * time.Second
				}
			}
		}
	}
	if sawMaxAge { // max-age=0 or unreadable means stale now, whatever Expires says
		if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
			maxAge = max(maxAge-time.Duration(min(age, int64(Week/time.Second)))*time.Second, 0)
		}
		return maxAge, 0
	}
	exp, err := http.ParseTime(h.Get("Expires"))
	if err != nil {
		return 0, 0
	}
	base := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		base = d
	}
	return 0, min(max(exp.Sub(base), 0), Week)
}
