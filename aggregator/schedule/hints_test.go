package schedule

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/feedloom/feedloom/aggregator/normalize"
)

func parse(t *testing.T, doc string) Hints {
	t.Helper()
	f, err := normalize.Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	return FromFeed(f, now)
}

func TestFromFeed(t *testing.T) {
	tests := map[string]struct {
		doc  string
		want Hints
	}{
		"rss ttl, skipHours, skipDays, sy": {
			doc: `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title>
<ttl> 60 </ttl><skipHours><hour>3</hour><hour>1</hour><hour>24</hour><hour>x</hour></skipHours>
<skipDays><day>Sunday</day><day>saturday</day><day>Funday</day></skipDays>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel></rss>`,
			want: Hints{TTL: time.Hour, UpdatePeriod: 30 * time.Minute, SkipHours: []int{0, 1, 3}, SkipDays: []time.Weekday{time.Sunday, time.Saturday}},
		},
		"rss 1.0 with another prefix for sy": {
			doc: `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
xmlns:s="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title><s:updatePeriod>daily</s:updatePeriod></channel></rdf:RDF>`,
			want: Hints{UpdatePeriod: 24 * time.Hour},
		},
		"atom with sy frequency only": {
			doc:  `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><title>T</title><sy:updateFrequency>4</sy:updateFrequency></feed>`,
			want: Hints{UpdatePeriod: 6 * time.Hour},
		},
		"dates: newest first, one per second, future as now, old ones only as oldest": {
			doc: `<rss version="2.0"><channel><title>T</title>
<item><title>a</title><pubDate>Wed, 04 Mar 2026 10:00:00 GMT</pubDate></item>
<item><title>b</title><pubDate>Wed, 04 Mar 2026 10:00:00 GMT</pubDate></item>
<item><title>c</title><pubDate>Thu, 05 Mar 2026 10:00:00 GMT</pubDate></item>
<item><title>d</title><pubDate>4 March 2026 - 11:00</pubDate></item>
<item><title>e</title></item>
<item><title>f</title><pubDate>Sun, 01 Feb 2026 10:00:00 GMT</pubDate></item>
</channel></rss>`,
			want: Hints{
				Dates:  []int64{now.Unix(), now.Add(-time.Hour).Unix(), now.Add(-2 * time.Hour).Unix()},
				Oldest: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC),
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := parse(t, tt.doc)
			got.Oldest = got.Oldest.UTC()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPerWeekDecays(t *testing.T) {
	// 12 entries in the 6 hours before the document: 48 a day. With no new
	// entry, the same dates give a lower rate as time passes.
	h := dated(6*time.Hour, every(12, 6*time.Hour)...)
	for _, tt := range []struct {
		later time.Duration
		want  float64 // items a day
	}{
		{0, 48},
		{18 * time.Hour, 12},
		{6*24*time.Hour + 18*time.Hour, 12.0 / 7},
		{8 * 24 * time.Hour, 0},
	} {
		got, ok := h.PerWeek(now.Add(tt.later))
		if !ok || abs(got/7-tt.want) > 1e-9 {
			t.Errorf("%s later: %.3f a day, want %.3f", tt.later, got/7, tt.want)
		}
	}
	if _, ok := (Hints{}).PerWeek(now); ok {
		t.Error("no dates: the rate is known")
	}
}

func abs(f float64) float64 { return max(f, -f) }

func TestSkip(t *testing.T) {
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC) } // 2026-03-04 is a Wednesday
	tests := map[string]struct {
		h     Hints
		t     time.Time
		want  time.Time
		moved bool
	}{
		"nothing skipped":      {Hints{}, at(4, 2, 30), at(4, 2, 30), false},
		"allowed hour":         {Hints{SkipHours: []int{1, 2}}, at(4, 3, 30), at(4, 3, 30), false},
		"out of skipped hours": {Hints{SkipHours: []int{0, 1, 2, 3, 4, 5}}, at(4, 2, 30), at(4, 6, 0), true},
		"across midnight":      {Hints{SkipHours: []int{22, 23, 0}}, at(4, 22, 10), at(5, 1, 0), true},
		"skipped day":          {Hints{SkipDays: []time.Weekday{time.Wednesday, time.Thursday}}, at(4, 9, 0), at(6, 0, 0), true},
		"day and hours":        {Hints{SkipDays: []time.Weekday{time.Thursday}, SkipHours: []int{0, 1}}, at(5, 10, 0), at(6, 2, 0), true},
		"every hour ignored":   {Hints{SkipHours: every24()}, at(4, 2, 30), at(4, 2, 30), false},
		"other zone": {Hints{SkipHours: []int{2}}, time.Date(2026, 3, 4, 5, 30, 0, 0, time.FixedZone("+03", 3*3600)),
			time.Date(2026, 3, 4, 6, 0, 0, 0, time.FixedZone("+03", 3*3600)), true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, moved := tt.h.Skip(tt.t)
			if !got.Equal(tt.want) || moved != tt.moved {
				t.Errorf("Skip(%s) = %s %v, want %s %v", tt.t, got, moved, tt.want, tt.moved)
			}
		})
	}
}

func every24() []int {
	var h []int
	for i := range 24 {
		h = append(h, i)
	}
	return h
}

func TestLifetime(t *testing.T) {
	date := now.Add(-time.Hour).Format(http.TimeFormat) // the server's clock is an hour behind
	tests := map[string]struct {
		h               http.Header
		maxAge, expires time.Duration
	}{
		"none":                    {http.Header{}, 0, 0},
		"max-age":                 {http.Header{"Cache-Control": {"public, max-age=3600"}}, time.Hour, 0},
		"max-age less age":        {http.Header{"Cache-Control": {"max-age=3600"}, "Age": {"600"}}, 50 * time.Minute, 0},
		"quoted":                  {http.Header{"Cache-Control": {`max-age="120"`}}, 2 * time.Minute, 0},
		"no-cache":                {http.Header{"Cache-Control": {"max-age=3600, no-cache"}}, 0, 0},
		"max-age=0 beats expires": {http.Header{"Cache-Control": {"max-age=0"}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, 0, 0},
		"expires less date":       {http.Header{"Date": {date}, "Expires": {now.Format(http.TimeFormat)}}, 0, time.Hour},
		"expires without date":    {http.Header{"Expires": {now.Add(2 * time.Hour).Format(http.TimeFormat)}}, 0, 2 * time.Hour},
		"expires in the past":     {http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0, 0},
		"expires garbage":         {http.Header{"Expires": {"0"}}, 0, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m, e := Lifetime(tt.h, now)
			if m != tt.maxAge || e != tt.expires {
				t.Errorf("got max-age %s expires %s, want %s %s", m, e, tt.maxAge, tt.expires)
			}
		})
	}
}
