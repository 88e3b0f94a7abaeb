package clean

import (
	"testing"
	"time"
)

func TestBodyDate(t *testing.T) {
	now := time.Date(2019, 5, 12, 12, 0, 0, 0, time.UTC)
	utc := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, time.UTC) }
	tests := map[string]struct {
		text string
		want time.Time // zero: none
	}{
		"defapress":             {"Drills began.\nMessage end/\nNews ID: 77346\nPublish Date: 11May 2019 - 14:08\nyour comment", utc(2019, 5, 11, 14, 8)},
		"Published, ISO":        {"Published: 2019-05-11 14:08\nDrills began.", utc(2019, 5, 11, 14, 8)},
		"date alone":            {"Drills began.\n11 May 2019 14:08", utc(2019, 5, 11, 14, 8)},
		"month day year alone":  {"May 11, 2019\nDrills began.", utc(2019, 5, 11, 0, 0)},
		"posted on":             {"Posted on May 10, 2019 at 9:15 pm\nDrills began.", utc(2019, 5, 10, 21, 15)},
		"with offset":           {"Publish Date: Sat, 11 May 2019 14:08 +0430", utc(2019, 5, 11, 9, 38)},
		"Russian label":         {"Дата публикации: 11 мая 2019, 14:08", utc(2019, 5, 11, 14, 8)},
		"Persian label":         {"تاریخ انتشار: ۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸", utc(2019, 5, 11, 14, 8)},
		"label beats bare date": {"10 May 2019\nUpdated: 11 May 2019 14:08", utc(2019, 5, 11, 14, 8)},
		"first bare date":       {"10 May 2019\n11 May 2019", utc(2019, 5, 10, 0, 0)},
		"event label ignored":   {"Exhibition: 20 May 2019\nDrills began.", time.Time{}},
		"date in a sentence":    {"The drill ended on 11 May 2019 at noon, officials said.", time.Time{}},
		"future ignored":        {"Publish Date: 20May 2019 - 14:08", time.Time{}},
		"zone slack, clamped":   {"Publish Date: 12May 2019 - 16:30", now},
		"before 1995 ignored":   {"Published: 11 May 1994\nDrills began.", time.Time{}},
		"no date":               {"News ID: 77346\nyour comment", time.Time{}},
		"empty":                 {"", time.Time{}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := BodyDate(tt.text, now)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("BodyDate = %v, %v; want %v", got, ok, tt.want)
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("BodyDate = %v, not UTC", got)
			}
		})
	}
}

// TestBodyDateFixture: the defapress item that came without a pubDate
// gets the date of its Publish Date line.
func TestBodyDateFixture(t *testing.T) {
	for _, it := range load(t, "defapress-poll.xml") {
		if !it.Published.IsZero() {
			continue
		}
		got, ok := BodyDate(it.Text, pollTime)
		if want := time.Date(2019, 5, 11, 8, 55, 0, 0, time.UTC); !ok || !got.Equal(want) {
			t.Errorf("%s: BodyDate = %v, %v; want %v", it.Title, got, ok, want)
		}
		return
	}
	t.Fatal("no undated item in the fixture")
}
