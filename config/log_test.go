package config

import (
	"log/slog"
	"strings"
	"testing"
)

func TestLog(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want Log
	}{
		"default":    {"", Log{Format: "text", Level: slog.LevelInfo}},
		"empty":      {"log:\n", Log{Format: "text", Level: slog.LevelInfo}},
		"json":       {"log:\n  format: json\n", Log{Format: "json", Level: slog.LevelInfo}},
		"debug":      {"log:\n  level: debug\n", Log{Format: "text", Level: slog.LevelDebug}},
		"warn":       {"log:\n  level: warn\n", Log{Format: "text", Level: slog.LevelWarn}},
		"error":      {"log:\n  level: error\n", Log{Format: "text", Level: slog.LevelError}},
		"text, info": {"log:\n  format: text\n  level: info\n", Log{Format: "text", Level: slog.LevelInfo}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, tt.yaml+"sources:\n  - url: https://example.org/feed.xml\n")
			if c.Log != tt.want {
				t.Errorf("Log = %+v, want %+v", c.Log, tt.want)
			}
		})
	}
}

func TestLogErrors(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"format": {"log:\n  format: xml\n", `feedloom.yaml:2: log.format: must be text or json, got "xml"`},
		"level":  {"log:\n  level: verbose\n", `feedloom.yaml:2: log.level: must be debug, info, warn or error, got "verbose"`},
		"key":    {"log:\n  levle: debug\n", `feedloom.yaml:2: log: unknown key "levle"`},
		"type":   {"log:\n  level: [debug]\n", `feedloom.yaml:2: log.level: must be a string`},
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
