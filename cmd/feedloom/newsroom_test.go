package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/publisher/rules"
)

const newsroomConfig = "../../examples/newsroom/feedloom.yaml"

// TestNewsroomExample checks the real-world example config without
// fetching it (the network is closed here): feedloom check accepts it, it
// lists a few dozen https feeds from many sites, and its three topics
// file sample headlines as their comments say.
func TestNewsroomExample(t *testing.T) {
	code, out, errOut := run(t, "check", "-config", newsroomConfig)
	if code != 0 || !strings.HasSuffix(out, ": ok: 41 sources, 3 topics\n") {
		t.Fatalf("check %s: exit %d\n%s%s", newsroomConfig, code, out, errOut)
	}
	cfg, err := config.Load(newsroomConfig)
	if err != nil {
		t.Fatal(err)
	}
	hosts := make(map[string]bool)
	for _, s := range cfg.Sources {
		u, err := url.Parse(s.URL)
		if err != nil || u.Scheme != "https" || s.Name == "" {
			t.Errorf("source %q (%q): want a named https feed", s.URL, s.Name)
			continue
		}
		hosts[u.Hostname()] = true
	}
	if len(hosts) < 30 {
		t.Errorf("%d distinct hosts, want at least 30", len(hosts))
	}
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		t.Fatal(err)
	}
	source := func(name string) feedloom.Source {
		i := slices.IndexFunc(cfg.Sources, func(s feedloom.Source) bool { return s.Name == name })
		if i < 0 {
			t.Fatalf("no source named %q", name)
		}
		return cfg.Sources[i]
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		source, title, text string
		categories          []string
		want                []string
	}{
		{"BBC Europe", "Patriot interceptors down ballistic missiles over Kyiv", "Ukraine's air force said two were shot down.", nil,
			[]string{"air-missile-defense", "ukraine-war"}},
		{"The Guardian World", "UK to buy more air defence systems", "The order covers missile defence radars.", nil,
			[]string{"air-missile-defense"}},
		{"TASS", "Moscow and Washington discuss New START limits", "Deputy foreign ministers met in Geneva.", nil,
			[]string{"nuclear-arms-control"}},
		{"BBC World", "Moscow and Washington discuss New START limits", "A general broadcaster: left to the specialist sources.", nil,
			nil},
		{"The Diplomat", "IAEA inspectors report on uranium enrichment", "The agency's board meets next week.", nil,
			[]string{"nuclear-arms-control"}},
		{"Defense News", "Japan's nuclear power restart approved", "The IAEA reviewed the plant.", nil,
			nil},
		{"The War Zone", "North Korea fires ICBMs into the sea", "The launch came hours after the drills.", nil,
			[]string{"air-missile-defense", "nuclear-arms-control"}},
		{"NPR World", "Patriots beat Jets in overtime", "Kyiv-born linebacker stars.", []string{"Sports"},
			nil},
		{"Foreign Policy", "Zelensky meets European leaders", "Talks covered reconstruction.", nil,
			nil},
	} {
		src := source(tc.source)
		it := &feedloom.Item{Source: src.URL, SourceName: src.Name, Title: tc.title, Text: tc.text, Categories: tc.categories,
			Language: "en", Published: now.Add(-time.Hour)}
		got := set.ClassifyAt(it, src, now)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q filed under %q, want %q", tc.source, tc.title, got, tc.want)
		}
	}
}
