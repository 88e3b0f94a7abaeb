package clean

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom/aggregator/normalize"
)

var (
	// minDate is the earliest date taken as real, as in normalize.
	minDate = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)
	// zoneSlack is how far past now a date may be and still be taken (as
	// now): a date without a zone is read as UTC, and a source up to 14
	// hours east of UTC writes its local time.
	zoneSlack = 14 * time.Hour
)

// BodyDate finds when an entry was published in its text (Item.Text: one
// line a paragraph), for entries whose feed gave no date. It reads lines
// that are a date after a label that says so ("Publish Date: 11May 2019 -
// 14:08", "Published: 2019-05-11 14:08", "Posted on May 11, 2019",
// "Дата публикации: 11 мая 2019", "تاریخ انتشار: ۲۱ اردیبهشت ۱۳۹۸"), or a
// date alone ("11 May 2019 14:08", "May 11, 2019"), in the forms
// normalize.ParseDate reads. A labelled line wins over a bare date, and an
// earlier line over a later one. Dates inside sentences are not read: they
// are the dates of events, not of the entry.
//
// A date before 1995 is ignored, and so is one more than 14 hours after
// now; one less than that after now (a zoneless local time east of UTC)
// becomes now. The result is UTC, whole seconds. Call it before
// Model.Clean, which removes the date line when the source repeats it in
// every item.
func BodyDate(text string, now time.Time) (time.Time, bool) {
	now = now.UTC().Truncate(time.Second)
	var bare time.Time
	for i, line := range strings.Split(text, "\n") {
		if i == maxLines {
			break
		}
		line = strings.TrimSpace(line)
		if line == "" || utf8.RuneCountInString(line) > maxDateRunes || strings.IndexFunc(line, unicode.IsDigit) < 0 {
			continue
		}
		label, t, ok := dateLine(line)
		if !ok {
			continue
		}
		if t, ok = plausible(t, now); !ok {
			continue
		}
		switch {
		case label == "":
			if bare.IsZero() {
				bare = t
			}
		case dateLabel.MatchString(label):
			return t, true
		}
	}
	return bare, !bare.IsZero()
}

func plausible(t, now time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(time.Second)
	switch {
	case t.Before(minDate), t.After(now.Add(zoneSlack)):
		return time.Time{}, false
	case t.After(now):
		return now, true
	}
	return t, true
}

var (
	// colonLabel is a label before a colon: no digits (so that the colon
	// of "14:08" is not taken for one), at most 40 characters.
	colonLabel = regexp.MustCompile(`^([^\p{Nd}:：]{1,40}[:：])\s*(.+)$`)
	// wordLabel is a label without a colon.
	wordLabel = regexp.MustCompile(`(?i)^((?:first |last )?(?:published|posted|updated|date)(?: on| at)?)\s+(.+)$`)
	// dateLabel says a label is about the entry's date: date, publish,
	// post, update, time in the languages ParseDate reads months in.
	dateLabel = regexp.MustCompile(`(?i)date|publi|post|updated|time|datum|fecha|data|mis à jour|veröffentlicht|aktualisiert|дата|опубликовано|обновлено|время|تاریخ|تاريخ|زمان|انتشار`)
)

// dateLine reports whether line is a date, alone or after a label, and
// returns the label ("" for a date alone).
func dateLine(line string) (label string, t time.Time, ok bool) {
	for _, re := range []*regexp.Regexp{colonLabel, wordLabel} {
		if m := re.FindStringSubmatch(line); m != nil {
			if t, ok := normalize.ParseDate(m[2]); ok {
				return strings.TrimSpace(m[1]), t, true
			}
		}
	}
	t, ok = normalize.ParseDate(line)
	return "", t, ok
}
