package normalize

import (
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/mmcdole/gofeed"
)

func TestParseDate(t *testing.T) {
	utc := func(y int, m time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, m, d, h, mi, s, 0, time.UTC)
	}
	tehran := time.FixedZone("", 4*3600+1800)
	tests := map[string]struct {
		in   string
		want time.Time // zero: not a date
	}{
		// defapress's own chrome line and its variants.
		"day glued to month, dash":     {"11May 2019 - 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"day month year time":          {"11 May 2019 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"full month name":              {"11 September 2019 09:05:33", utc(2019, 9, 11, 9, 5, 33)},
		"ISO date, space, no seconds":  {"2019-05-11 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"ISO date with T and offset":   {"2019-05-11T14:08+04:30", time.Date(2019, 5, 11, 14, 8, 0, 0, tehran)},
		"slashed ISO date":             {"2019/05/11", utc(2019, 5, 11, 0, 0, 0)},
		"RFC 822 without seconds":      {"Sat, 11 May 2019 14:08 +0430", time.Date(2019, 5, 11, 14, 8, 0, 0, tehran)},
		"RFC 822 offset with colon":    {"Sat, 11 May 2019 14:08:00 +04:30", time.Date(2019, 5, 11, 14, 8, 0, 0, tehran)},
		"RFC 822 two-digit year":       {"Sat, 11 May 19 14:08 +0430", time.Date(2019, 5, 11, 14, 8, 0, 0, tehran)},
		"two-digit year 99":            {"11 May 99", utc(1999, 5, 11, 0, 0, 0)},
		"named zone":                   {"Sat, 11 May 2019 14:08 MSK", time.Date(2019, 5, 11, 14, 8, 0, 0, time.FixedZone("MSK", 3*3600))},
		"Iran standard time":           {"11 Jan 2019 14:08 IRST", time.Date(2019, 1, 11, 14, 8, 0, 0, time.FixedZone("IRST", 3*3600+1800))},
		"GMT with offset":              {"11 May 2019 14:08 GMT+3", time.Date(2019, 5, 11, 14, 8, 0, 0, time.FixedZone("", 3*3600))},
		"UTC with offset and colon":    {"11 May 2019 14:08 UTC+04:30", time.Date(2019, 5, 11, 14, 8, 0, 0, tehran)},
		"Z":                            {"11 May 2019 14:08:00Z", utc(2019, 5, 11, 14, 8, 0)},
		"fraction of a second":         {"2019-05-11 14:08:00.123 +0000", utc(2019, 5, 11, 14, 8, 0)},
		"Portuguese weekday":           {"Dom, 16 Jun 2024 10:00:00 +0200", time.Date(2024, 6, 16, 10, 0, 0, 0, time.FixedZone("", 2*3600))},
		"weekday without comma":        {"Sat 11 May 2019 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"Spanish weekday spelling mar": {"mar, 11 jun 2024 10:00", utc(2024, 6, 11, 10, 0, 0)},
		"month day year":               {"May 11, 2019", utc(2019, 5, 11, 0, 0, 0)},
		"month day year, ordinal, pm":  {"May 11th, 2019 at 2:08 pm", utc(2019, 5, 11, 14, 8, 0)},
		"12 am is midnight":            {"May 11, 2019 12:30 AM", utc(2019, 5, 11, 0, 30, 0)},
		"abbreviated month with dot":   {"Sept. 3, 2019", utc(2019, 9, 3, 0, 0, 0)},
		"time before date":             {"14:08, 11 May 2019", utc(2019, 5, 11, 14, 8, 0)},
		"time before dotted date":      {"14:08 11.05.2019", utc(2019, 5, 11, 14, 8, 0)},
		"dotted day first":             {"11.05.2019 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"Russian genitive":             {"11 мая 2019 г., 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"Russian weekday and в":        {"Суббота, 11 мая 2019 в 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"Russian abbreviation":         {"3 сент. 2019", utc(2019, 9, 3, 0, 0, 0)},
		"French, time with h":          {"16 juin 2024 à 10h30", utc(2024, 6, 16, 10, 30, 0)},
		"French accents":               {"1er décembre 2023", utc(2023, 12, 1, 0, 0, 0)},
		"German":                       {"16. Juni 2024, 10:30 Uhr", utc(2024, 6, 16, 10, 30, 0)},
		"Spanish":                      {"16 de junio de 2024", utc(2024, 6, 16, 0, 0, 0)},
		"Portuguese":                   {"16 de junho de 2024 10:30", utc(2024, 6, 16, 10, 30, 0)},
		"Italian":                      {"16 giugno 2024 10:30", utc(2024, 6, 16, 10, 30, 0)},
		"Persian, Solar Hijri":         {"۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸", utc(2019, 5, 11, 14, 8, 0)},
		"Persian, Arabic yeh":          {"شنبه ۲۱ ارديبهشت ۱۳۹۸ ساعت ۱۴:۰۸", utc(2019, 5, 11, 14, 8, 0)},
		"Persian, Gregorian month":     {"۱۱ مه ۲۰۱۹", utc(2019, 5, 11, 0, 0, 0)},
		"Solar Hijri numeric":          {"1398/02/21 14:08", utc(2019, 5, 11, 14, 8, 0)},
		"Solar Hijri new year":         {"1 فروردین 1403", utc(2024, 3, 20, 0, 0, 0)},
		"Esfand 30 of a leap year":     {"30 اسفند 1399", utc(2021, 3, 20, 0, 0, 0)},
		"Esfand 30 of a common year":   {"30 اسفند 1400", time.Time{}},
		"Arabic-Indic digits":          {"٢٠١٩-٠٥-١١", utc(2019, 5, 11, 0, 0, 0)},

		"empty":               {"", time.Time{}},
		"not a date":          {"your comment", time.Time{}},
		"news id":             {"News ID: 77346", time.Time{}},
		"31 April":            {"31 Apr 2019", time.Time{}},
		"29 February 2019":    {"29 Feb 2019", time.Time{}},
		"29 February 2020":    {"29 Feb 2020", utc(2020, 2, 29, 0, 0, 0)},
		"hour 25":             {"11 May 2019 25:08", time.Time{}},
		"13 pm":               {"11 May 2019 13:08 pm", time.Time{}},
		"unknown zone":        {"11 May 2019 14:08 XYZ", time.Time{}},
		"offset out of range": {"11 May 2019 14:08 +1500", time.Time{}},
		"month in a word":     {"11 Mayday 2019", time.Time{}},
		"slashes, ambiguous":  {"05/11/2019", time.Time{}},
		"sentence":            {"The drill ended on 11 May 2019 at noon", time.Time{}},
		"too long":            {"11 May 2019 " + string(make([]byte, 200)), time.Time{}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseDate(tt.in)
			if ok != !tt.want.IsZero() {
				t.Fatalf("ParseDate(%q) = %v, %v; want ok = %v", tt.in, got, ok, !tt.want.IsZero())
			}
			if !ok {
				return
			}
			_, gotOff := got.Zone()
			_, wantOff := tt.want.Zone()
			if !got.Equal(tt.want) || gotOff != wantOff {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestItemsSloppyDates: a raw date gofeed could not read is read with
// ParseDate, then checked like any other (UTC, clamped, 1995 or later).
func TestItemsSloppyDates(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	parsed := time.Date(2019, 5, 11, 9, 38, 0, 0, time.UTC)
	tests := map[string]struct {
		published, updated string
		parsed             *time.Time
		wantPub, wantUpd   time.Time
	}{
		"raw published":             {"11May 2019 - 14:08", "", nil, time.Date(2019, 5, 11, 14, 8, 0, 0, time.UTC), time.Date(2019, 5, 11, 14, 8, 0, 0, time.UTC)},
		"raw with offset":           {"Sat, 11 May 2019 14:08 +0430", "", nil, parsed, parsed},
		"raw updated only":          {"", "2019-05-12 08:00", nil, time.Date(2019, 5, 12, 8, 0, 0, 0, time.UTC), time.Date(2019, 5, 12, 8, 0, 0, 0, time.UTC)},
		"gofeed's value wins":       {"11May 2019 - 14:08", "", &parsed, parsed, parsed},
		"unreadable raw":            {"yesterday", "", nil, time.Time{}, time.Time{}},
		"raw in the future clamped": {"11 May 2031 14:08", "", nil, now, now},
		"raw before 1995 dropped":   {"11 May 1994 14:08", "", nil, time.Time{}, time.Time{}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := &gofeed.Item{GUID: "1", Published: tt.published, Updated: tt.updated, PublishedParsed: tt.parsed}
			f := &gofeed.Feed{Items: []*gofeed.Item{e}}
			it := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/", now)[0]
			if !it.Published.Equal(tt.wantPub) || !it.Updated.Equal(tt.wantUpd) {
				t.Errorf("Published, Updated = %v, %v; want %v, %v", it.Published, it.Updated, tt.wantPub, tt.wantUpd)
			}
		})
	}
}

// TestParseDateFromFeed: gofeed really leaves these dates unparsed, so the
// fallback is what reads them.
func TestParseDateFromFeed(t *testing.T) {
	const doc = `<rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>a</title><pubDate>11May 2019 - 14:08</pubDate></item>
<item><guid>2</guid><title>b</title><pubDate>Dom, 16 Jun 2024 10:00:00 +0200</pubDate></item>
<item><guid>3</guid><title>c</title><pubDate>۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸</pubDate></item>
</channel></rss>`
	f, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2019, 5, 11, 14, 8, 0, 0, time.UTC),
		time.Date(2024, 6, 16, 8, 0, 0, 0, time.UTC),
		time.Date(2019, 5, 11, 14, 8, 0, 0, time.UTC),
	}
	now := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	items := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/", now)
	for i, e := range f.Items {
		if e.PublishedParsed != nil {
			t.Errorf("gofeed now reads %q; the fallback is not exercised", e.Published)
		}
		if !items[i].Published.Equal(want[i]) {
			t.Errorf("%q: Published = %v, want %v", e.Published, items[i].Published, want[i])
		}
	}
}

// FuzzParseDate: ParseDate never panics, and a date it returns is a real
// one: formatting and parsing it back gives the same instant.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"11May 2019 - 14:08", "Sat, 11 May 19 14:08 +0430", "۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸", "May 11th, 2019 at 2:08 pm", "1398/02/21", "14:08 11.05.2019"} {
		f.Add(s)
	}
	for _, s := range gofeedDates(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDate(s)
		if !ok {
			return
		}
		back, ok := ParseDate(got.Format("2006-01-02 15:04:05 -07:00"))
		if !ok || !back.Equal(got) {
			t.Errorf("ParseDate(%q) = %v, which does not read back (%v, %v)", s, got, back, ok)
		}
	})
}
