package aggregator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// TestErrorClass: a parse refusal is classed by its kind, a storing
// failure as "store" (not as "parse", which a 2xx followed by an error
// would suggest), and a fetch error by fetch.Classify.
func TestErrorClass(t *testing.T) {
	parseErr := func(doc string) error {
		_, err := normalize.Parse([]byte(doc), "")
		if err == nil {
			t.Fatalf("Parse(%.40q) succeeded", doc)
		}
		return err
	}
	deep := `<rss version="2.0" xmlns:x="urn:x"><channel><item>` + strings.Repeat("<x:a>", 600) + `</item></channel></rss>`
	tests := map[string]struct {
		err  error
		want string
	}{
		"too deep":           {storing(parseErr(deep)), "parse/too_deep"},
		"not a feed":         {storing(parseErr("<html><body>login</body></html>")), "parse/not_feed"},
		"parser panic":       {storing(parseErr(`{"version":"https://jsonfeed.org/version/1.1","items":[null]}`)), "parse/parser_panic"},
		"charset":            {storing(parseErr(`<?xml version="1.0" encoding="x-no-such-charset"?><rss/>`)), "parse/charset"},
		"malformed":          {storing(parseErr(`{"version":"https://jsonfeed.org/version/1.1","items":[]} trailing`)), "parse/malformed"},
		"store":              {storing(errors.New("bbolt: database not open")), "store"},
		"store, wrapped":     {fmt.Errorf("poll: %w", storing(errors.New("store: disk full"))), "store"},
		"fetch":              {&fetch.StatusError{Code: 503}, "http_5xx"},
		"canceled":           {storing(context.Canceled), "canceled"},
		"nil":                {storing(nil), ""},
		"unknown, unwrapped": {errors.New("x"), "other"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ErrorClass(tt.err); got != tt.want {
				t.Errorf("ErrorClass(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
	if err := storing(errors.New("disk full")); err.Error() != "disk full" {
		t.Errorf("storing changed the message to %q", err)
	}
}
