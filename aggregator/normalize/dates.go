package normalize

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParseDate reads the sloppy dates gofeed gives up on (it leaves
// PublishedParsed nil and keeps the raw string): [Items] tries it on the raw
// string, and package clean on dates it finds in an entry's text. It reads
//
//   - day, month name, year: "11May 2019 - 14:08", "11 May 2019 14:08",
//     "Sat, 11 May 19 14:08 +0430", "16. Juni 2024", "16 de junio de 2024",
//     "11 мая 2019 г., 14:08";
//   - month name, day, year: "May 11, 2019", "May 11th, 2019 at 2:08 pm";
//   - numeric: "2019-05-11 14:08", "2019/05/11", "11.05.2019 14:08"
//     (dotted dates are day first, as everywhere dots are used);
//   - the time before the date: "14:08, 11 May 2019";
//   - Solar Hijri (Persian calendar) dates, with Persian month names
//     ("۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸") or numeric with a year from 1300 to
//     1499 ("1398/02/21"), converted to the Gregorian calendar.
//
// Month names are read in English, French, Spanish, Portuguese, Italian,
// German, Russian and Persian (Gregorian and Solar Hijri months), full or
// abbreviated, in any case. A leading weekday in any language is dropped
// ("Dom, 16 Jun 2024", "Суббота, 11 мая 2019"). Persian and Arabic-Indic
// digits are read as digits. Two-digit years are read as Go reads them
// (69–99 → 1969–1999, 00–68 → 2000–2068). The time may use ":" or "h"
// ("10h30"), may have seconds and "am"/"pm", and may be missing (midnight).
//
// The zone is a numeric offset ("+0430", "+04:30", "-07", "GMT+3",
// "UTC+04:30"), "Z", or one of the abbreviations in zoneAbbreviations. A date
// without a zone is taken as UTC: a feed that leaves it out does not say
// where it is, and the caller clamps future dates. An unknown abbreviation
// fails, rather than be guessed.
//
// ok is false for anything else, for impossible dates (31 April, 25:00),
// for results in the Gregorian years 1300–1499 (which a year-first date
// would be read as Solar Hijri) and for empty strings. ParseDate does not check that the date is plausible
// (after 1995, not in the future): the caller does.
func ParseDate(s string) (t time.Time, ok bool) {
	s = foldDate(s)
	if s == "" || len(s) > maxDateBytes {
		return time.Time{}, false
	}
	var c clock
	date := s
	if m := timeOfDay.FindStringSubmatchIndex(s); m != nil {
		c, ok = readClock(s, m)
		if !ok {
			return time.Time{}, false
		}
		end := m[1]
		loc := time.UTC
		if z := zoneAfterTime.FindStringSubmatchIndex(s[end:]); z != nil {
			if loc, ok = readZone(s[end+z[2] : end+z[3]]); !ok {
				return time.Time{}, false
			}
			end += z[1]
		}
		c.loc = loc
		date = s[:m[0]] + " " + s[end:]
	} else {
		c.loc = time.UTC
	}
	y, mo, d, jalali, ok := readDate(trimConnectors(date))
	if !ok {
		return time.Time{}, false
	}
	if jalali {
		y, mo, d, ok = jalaliToGregorian(y, mo, d)
		if !ok {
			return time.Time{}, false
		}
	}
	if d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	if y >= 1300 && y < 1500 {
		// readDate takes a year-first date in 1300–1499 as Solar Hijri,
		// so a result there (a Solar Hijri year 679–878) could not be
		// written back and read as itself; no feed is dated then.
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, c.hour, c.min, c.sec, 0, c.loc), true
}

// maxDateBytes is the longest (folded) string ParseDate reads: a date with
// a weekday, a time and a zone fits in far less.
const maxDateBytes = 120

// Month names become a marker rune followed by two digits, so that the
// patterns below need no word boundaries (RE2 has none outside ASCII) and
// cannot match inside a longer word.
const (
	gregorianMark = '\uE000'
	jalaliMark    = '\uE001'
)

// monthNames maps month names, lower case, to their number; Solar Hijri
// months are numbered 101–112. Arabic yeh and kaf are folded to the Persian
// letters before the lookup (see persianFold), so Persian names are listed
// once.
var monthNames = map[string]int{}

func init() {
	for i, names := range [12]string{
		// English, French, Spanish, Portuguese, Italian, German, Russian
		// (nominative, genitive, abbreviations), Persian (Gregorian).
		"january jan janvier janv enero ene janeiro gennaio gen januar jänner jän январь января янв ژانویه",
		"february feb février fevrier févr fevr febrero febr fevereiro fev febbraio februar февраль февраля фев февр فوریه",
		"march mar mars marzo março marco märz maerz mär март марта مارس",
		"april apr avril avr abril abr aprile apr апрель апреля апр آوریل",
		"may mai mayo maio maggio mag май мая مه می",
		"june jun juin junio jun junho giugno giu juni июнь июня июн ژوئن",
		"july jul juillet juil julio julho luglio lug juli июль июля июл ژوئیه جولای",
		"august aug août aout agosto ago august авг август августа اوت آگوست",
		"september sep sept septembre septiembre setiembre set setembro settembre sett сентябрь сентября сен сент سپتامبر",
		"october oct octobre octubre oct outubro out ottobre ott oktober okt октябрь октября окт اکتبر",
		"november nov novembre noviembre novembro ноябрь ноября ноя нояб نوامبر",
		"december dec décembre decembre déc diciembre dic dezembro dez dicembre dezember декабрь декабря дек دسامبر",
	} {
		for _, n := range strings.Fields(names) {
			monthNames[n] = i + 1
		}
	}
	for i, n := range []string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"} {
		monthNames[n] = 101 + i
	}
}

// persianFold maps the Arabic letters that Persian text in windows-1256 or
// from Arabic keyboards uses to their Persian forms.
var persianFold = strings.NewReplacer("ي", "ی", "ى", "ی", "ك", "ک")

// foldDate prepares s for the patterns: valid UTF-8, Persian and
// Arabic-Indic digits as ASCII digits, month names as markers, white space
// collapsed, and a leading weekday (any word that is not a month) dropped.
func foldDate(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	var word []rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		w := string(word)
		if n, ok := monthNames[persianFold.Replace(strings.ToLower(w))]; ok {
			mark, n := gregorianMark, n
			if n > 100 {
				mark, n = jalaliMark, n-100
			}
			b.WriteRune(mark)
			b.WriteByte(byte('0' + n/10))
			b.WriteByte(byte('0' + n%10))
		} else {
			b.WriteString(w)
		}
		word = word[:0]
	}
	for _, r := range s {
		switch {
		case r >= '۰' && r <= '۹':
			r = '0' + (r - '۰')
		case r >= '٠' && r <= '٩':
			r = '0' + (r - '٠')
		case r == gregorianMark || r == jalaliMark:
			r = ' '
		case r == '\u200c' || r == '\u200d':
			// Zero-width (non-)joiners occur inside Persian words.
			word = append(word, r)
			continue
		}
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			word = append(word, r)
			continue
		}
		flush()
		if unicode.IsSpace(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	flush()
	s = strings.Join(strings.Fields(b.String()), " ")
	return leadingWeekday.ReplaceAllString(s, "")
}

// leadingWeekday is a word that is not a month name, with an optional "."
// and ",", before the rest of the date; or a month name followed by a
// comma, which is a weekday that happens to spell one (Spanish "mar,"
// for martes, French "mar.," for mardi): no date starts "May, …".
var leadingWeekday = regexp.MustCompile(`^(?:[\p{L}\p{Mn}\x{200C}\x{200D}]+\.?,?|[\x{E000}\x{E001}]\d\d\.?,)\s*`)

// timeOfDay finds a time: hours, minutes, optional seconds (and fraction),
// optional am/pm. The separator may be ":" or "h" (French "10h30").
var timeOfDay = regexp.MustCompile(`(?i)(?:^|[^\d:])(\d{1,2})\s?[:h]\s?(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:\s?([ap])\.?\s?m\b\.?)?`)

// zoneAfterTime reads the zone right after the time.
var zoneAfterTime = regexp.MustCompile(`^\s?\(?(Z\b|[+-]\d{1,2}(?::?\d{2})?\b|(?:GMT|UTC|UT)(?:\s?[+-]\s?\d{1,2}(?::?\d{2})?\b)?|[A-Z]{2,5}\b)\)?`)

// zoneAbbreviations are the zone names ParseDate reads, with their offset.
// Go's time package knows only UTC and the local zone; these are the ones
// feeds use (gofeed's list, and the zones of Russian, Iranian and Gulf
// outlets). CST and BST are read as North American Central and British
// Summer Time, the common readings in feeds.
var zoneAbbreviations = map[string]int{
	"UT": 0, "GMT": 0, "UTC": 0, "Z": 0, "WET": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"WEST": 3600, "BST": 3600, "CET": 3600, "CEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600, "MSK": 3 * 3600,
	"IRST": 3*3600 + 1800, "IRDT": 4*3600 + 1800, "GST": 4 * 3600,
	"IST": 5*3600 + 1800, "JST": 9 * 3600,
}

type clock struct {
	hour, min, sec int
	loc            *time.Location
}

// readClock reads the time timeOfDay matched at m.
func readClock(s string, m []int) (clock, bool) {
	num := func(i int) int {
		if m[2*i] < 0 {
			return 0
		}
		n, _ := strconv.Atoi(s[m[2*i]:m[2*i+1]])
		return n
	}
	c := clock{hour: num(1), min: num(2), sec: num(3)}
	if m[8] >= 0 {
		if c.hour < 1 || c.hour > 12 {
			return clock{}, false
		}
		pm := s[m[8]] == 'p' || s[m[8]] == 'P'
		switch {
		case pm && c.hour < 12:
			c.hour += 12
		case !pm && c.hour == 12:
			c.hour = 0
		}
	}
	if c.sec == 60 {
		c.sec = 59 // a leap second
	}
	if c.hour > 23 || c.min > 59 || c.sec > 59 {
		return clock{}, false
	}
	return c, true
}

// zoneOffset is a numeric offset: sign, hours, optional minutes.
var zoneOffset = regexp.MustCompile(`^([+-])\s?(\d{1,2})(?::?(\d{2}))?$`)

// readZone reads a zone zoneAfterTime matched.
func readZone(z string) (*time.Location, bool) {
	for _, p := range []string{"GMT", "UTC", "UT"} {
		if rest, ok := strings.CutPrefix(z, p); ok && rest != "" {
			z = strings.TrimSpace(rest)
			break
		}
	}
	if off, ok := zoneAbbreviations[z]; ok {
		if off == 0 {
			return time.UTC, true
		}
		return time.FixedZone(z, off), true
	}
	m := zoneOffset.FindStringSubmatch(z)
	if m == nil {
		return nil, false
	}
	h, _ := strconv.Atoi(m[2])
	mi := 0
	if m[3] != "" {
		mi, _ = strconv.Atoi(m[3])
	}
	if h > 14 || mi > 59 {
		return nil, false
	}
	off := h*3600 + mi*60
	if m[1] == "-" {
		off = -off
	}
	if off == 0 {
		return time.UTC, true
	}
	return time.FixedZone("", off), true
}

// connectors are the words and signs left between a date and its time
// once the time is taken out: "at", "à", "um", "Uhr", "в", "г." (year),
// "ساعت" (hour), dashes, bars, commas.
var connectors = regexp.MustCompile(`(?i)^(?:[\s,\-–—|@/T]|at\b|à|a las\b|um\b|uhr\b|в|г\.?|года|ساعت)+|(?:[\s,\-–—|@/T]|at\b|à|a las\b|um\b|uhr\b|в|г\.?|года|ساعت)+$`)

func trimConnectors(s string) string {
	for {
		t := connectors.ReplaceAllString(s, "")
		if t == s {
			return t
		}
		s = t
	}
}

// The date patterns, on folded text without the time. A month marker is
// [\x{E000}\x{E001}] and two digits.
var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th|er|e)?\.?[\s\-/.]*(?:de\s)?([\x{E000}\x{E001}])(\d\d)\.?[\s\-/.,]*(?:de\s)?(\d{4}|\d{2})$`)
	monthDayYear = regexp.MustCompile(`^([\x{E000}\x{E001}])(\d\d)\.?\s?(\d{1,2})(?:st|nd|rd|th)?(?:,\s?|\s)(\d{4})$`)
	yearMonthDay = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	dottedDMY    = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$`)
)

// readDate reads the date part. jalali reports a Solar Hijri date.
func readDate(s string) (y, m, d int, jalali, ok bool) {
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	year := func(s string) int {
		n := atoi(s)
		if len(s) == 2 {
			if n >= 69 {
				return 1900 + n
			}
			return 2000 + n
		}
		return n
	}
	switch {
	case dayMonthYear.MatchString(s):
		g := dayMonthYear.FindStringSubmatch(s)
		d, m, y, jalali = atoi(g[1]), atoi(g[3]), year(g[4]), g[2] == string(jalaliMark)
		if jalali && len(g[4]) != 4 {
			return 0, 0, 0, false, false
		}
	case monthDayYear.MatchString(s):
		g := monthDayYear.FindStringSubmatch(s)
		m, d, y, jalali = atoi(g[2]), atoi(g[3]), atoi(g[4]), g[1] == string(jalaliMark)
	case yearMonthDay.MatchString(s):
		g := yearMonthDay.FindStringSubmatch(s)
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
		// No feed is dated 1300–1499 in the Gregorian calendar: such a
		// year is a Solar Hijri one (Iranian sites write 1398/02/21).
		jalali = y >= 1300 && y < 1500
	case dottedDMY.MatchString(s):
		g := dottedDMY.FindStringSubmatch(s)
		d, m, y = atoi(g[1]), atoi(g[2]), year(g[3])
	default:
		return 0, 0, 0, false, false
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false, false
	}
	return y, m, d, jalali, true
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// jalaliBreaks are the years in which the 33-year leap cycle of the Solar
// Hijri calendar shifts (from the jalaali-js algorithm, valid for the years
// -61 to 3177).
var jalaliBreaks = []int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}

// jalaliToGregorian converts a Solar Hijri date. Months 1–6 have 31 days,
// 7–11 have 30, and Esfand 29 or 30.
func jalaliToGregorian(jy, jm, jd int) (y, m, d int, ok bool) {
	if jy < jalaliBreaks[0] || jy >= jalaliBreaks[len(jalaliBreaks)-1] {
		return 0, 0, 0, false
	}
	limit := 31
	if jm > 6 {
		limit = 30
	}
	if jd > limit {
		return 0, 0, 0, false
	}
	march, leap := jalaliNewYear(jy)
	if jm == 12 && jd == 30 && !leap {
		return 0, 0, 0, false
	}
	offset := (jm - 1) * 31
	if jm > 6 {
		offset = 186 + (jm-7)*30
	}
	t := time.Date(jy+621, time.March, march+offset+jd-1, 0, 0, 0, 0, time.UTC)
	return t.Year(), int(t.Month()), t.Day(), true
}

// jalaliNewYear returns the day in March of the Gregorian year jy+621 on
// which Solar Hijri year jy begins (1 Farvardin), and whether jy is a leap
// year.
func jalaliNewYear(jy int) (march int, leap bool) {
	gy := jy + 621
	leapJ := -14
	jp := jalaliBreaks[0]
	jump := 0
	for _, jm := range jalaliBreaks[1:] {
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += n/33*8 + (n%33+3)/4
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	leapG := gy/4 - (gy/100+1)*3/4 - 150
	march = 20 + leapJ - leapG
	if jump-n < 6 {
		n = n - jump + (jump+4)/33*33
	}
	l := ((n+1)%33 - 1) % 4
	if l == -1 {
		l = 4
	}
	return march, l == 0
}
