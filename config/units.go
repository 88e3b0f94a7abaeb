package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

var (
	errDuration = errors.New("invalid duration")
	errSize     = errors.New("invalid size")
)

// parseDuration parses a Go duration ("90s", "1h30m") that may start with
// a whole number of days ("7d", "1d12h"). time.ParseDuration has no day
// unit because days are not always 24 hours long; for poll intervals and
// retention they are, and "7d" reads better than "168h".
func parseDuration(s string) (time.Duration, error) {
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || s[0] == '+' {
			return 0, errDuration
		}
		if n > math.MaxInt64/int64(24*time.Hour) {
			return 0, errDuration
		}
		days, s = n, s[i+1:]
		if s == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
		if s[0] == '-' || s[0] == '+' {
			return 0, errDuration
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errDuration
	}
	total := time.Duration(days) * 24 * time.Hour
	if d > 0 && total > math.MaxInt64-d {
		return 0, errDuration
	}
	return total + d, nil
}

// sizeUnits maps a size suffix to its number of bytes. Both the binary
// (KiB) and the decimal (KB) units are accepted, each meaning what its
// name says.
var sizeUnits = map[string]int64{
	"":    1,
	"B":   1,
	"KB":  1000,
	"MB":  1000 * 1000,
	"GB":  1000 * 1000 * 1000,
	"TB":  1000 * 1000 * 1000 * 1000,
	"KiB": 1 << 10,
	"MiB": 1 << 20,
	"GiB": 1 << 30,
	"TiB": 1 << 40,
}

// parseSize parses a byte count: a whole number, optionally followed by a
// unit from sizeUnits ("10MiB", "512 KiB", "1MB", "4096").
func parseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errSize
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, errSize
	}
	unit, ok := sizeUnits[strings.TrimLeft(s[i:], " ")]
	if !ok || n > math.MaxInt64/unit {
		return 0, errSize
	}
	return n * unit, nil
}
