package config

import (
	"fmt"
	"log/slog"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Log holds the settings for the daemon's log, written to standard error.
type Log struct {
	// Format is "text" (the default: slog's key=value lines) or "json"
	// (one JSON object a line, for log collectors).
	Format string
	// Level is the least severe level written: debug (one line per
	// fetch), info (the default), warn (failures only) or error.
	Level slog.Level
}

// logLevels are the names log.level accepts.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// logSection decodes the log mapping into l.
func logSection(l *Log) decodeFunc {
	return section(
		field{key: "format", decode: text(&l.Format, oneOf("text", "json"))},
		field{key: "level", decode: logLevel(&l.Level)},
	)
}

// logLevel decodes a level name into p.
func logLevel(p *slog.Level) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) {
		var name string
		text(&name, oneOf("debug", "info", "warn", "error"))(d, n, path)
		if v, ok := logLevels[name]; ok {
			*p = v
		}
	}
}

// oneOf accepts exactly one of the given words.
func oneOf(words ...string) func(string) error {
	return func(s string) error {
		for _, w := range words {
			if s == w {
				return nil
			}
		}
		n := len(words) - 1
		return fmt.Errorf("must be %s or %s, got %q", strings.Join(words[:n], ", "), words[n], s)
	}
}
