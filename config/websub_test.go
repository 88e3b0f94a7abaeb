package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebSub(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want WebSub
	}{
		"default":                 {"", WebSub{Lease: 10 * 24 * time.Hour}},
		"empty":                   {"websub:\n", WebSub{Lease: 10 * 24 * time.Hour}},
		"subscribe":               {"base_url: https://news.example/\nwebsub:\n  subscribe: true\n", WebSub{Subscribe: true, Lease: 10 * 24 * time.Hour}},
		"lease":                   {"websub:\n  lease: 1d12h\n", WebSub{Lease: 36 * time.Hour}},
		"off, no base_url needed": {"websub:\n  subscribe: false\n", WebSub{Lease: 10 * 24 * time.Hour}},
		"base_url after websub":   {"websub:\n  subscribe: true\nbase_url: https://news.example/\n", WebSub{Subscribe: true, Lease: 10 * 24 * time.Hour}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, tt.yaml+"sources:\n  - url: https://example.org/feed.xml\n")
			if c.WebSub != tt.want {
				t.Errorf("WebSub = %+v, want %+v", c.WebSub, tt.want)
			}
		})
	}
}

func TestWebSubErrors(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"no base_url": {"listen: 127.0.0.1:9000\nwebsub:\n  subscribe: true\n",
			`feedloom.yaml:3: websub.subscribe: needs base_url`},
		"short lease": {"websub:\n  lease: 30s\n", `feedloom.yaml:2: websub.lease: must be at least 1m0s, got 30s`},
		"zero lease":  {"websub:\n  lease: 0s\n", `feedloom.yaml:2: websub.lease: must be greater than 0`},
		"key":         {"websub:\n  subscribed: true\n", `feedloom.yaml:2: websub: unknown key "subscribed"`},
		"type":        {"websub:\n  subscribe: yes please\n", `feedloom.yaml:2: websub.subscribe: must be`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("testdata/feedloom.yaml", []byte(tt.yaml+"sources:\n  - url: https://example.org/feed.xml\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
