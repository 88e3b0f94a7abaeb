package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fulltext"
	"github.com/feedloom/feedloom/publisher/rules"
)

// A builder decodes the config file into a Config and keeps what the
// checks across entries need: where each source and topic came from.
type builder struct {
	c          *Config
	origins    []origin // where each of c.Sources was listed
	topicLines []int    // the line of each of c.Topics
	tagRefs    []tagRef // every "tag:x" in a topic's match.sources
	webSubLine int      // of websub.subscribe: true
}

type origin struct {
	line int    // of the entry's url or opml key
	path string // "sources[3].url"
	opml string // "subs.opml:7" for a feed listed in an OPML file
}

func (o origin) where() string {
	if o.opml != "" {
		return fmt.Sprintf("line %d, %s", o.line, o.opml)
	}
	return fmt.Sprintf("line %d", o.line)
}

type tagRef struct {
	line int
	path string
	tag  string
}

// fields is the schema of the config file. Adding a setting is adding a
// line here (and a field to Config).
func (b *builder) fields() []field {
	c := b.c
	return []field{
		{key: "listen", decode: text(&c.Listen, checkListen)},
		{key: "base_url", decode: text(&c.BaseURL, checkBaseURL)},
		{key: "store", decode: b.store},
		{key: "fetch", decode: section(
			field{key: "timeout", decode: duration(&c.Fetch.Timeout)},
			field{key: "max_body", decode: size(&c.Fetch.MaxBody)},
			field{key: "user_agent", decode: text(&c.Fetch.UserAgent, noControl)},
			field{key: "allow_private_networks", decode: boolean(&c.Fetch.AllowPrivateNetworks)},
			field{key: "allow", decode: prefixes(&c.Fetch.Allow)},
			field{key: "proxy", decode: text(&c.Fetch.Proxy, checkProxy)},
		)},
		{key: "server", decode: serverFields(&c.Server)},
		{key: "admin", decode: section(
			field{key: "token", decode: text(&c.Admin.Token, CheckAdminToken)},
		)},
		{key: "poll", decode: b.poll},
		{key: "cluster", decode: section(
			field{key: "enabled", decode: boolean(&c.Cluster.Enabled)},
			field{key: "window", decode: duration(&c.Cluster.Window)},
		)},
		{key: "retention", decode: section(
			field{key: "max_age", decode: duration(&c.Retention.MaxAge)},
			field{key: "max_items_per_source", decode: integer(&c.Retention.MaxPerSource, 0, 100_000_000)},
			field{key: "check_interval", decode: duration(&c.Retention.CheckInterval)},
		)},
		{key: "log", decode: logSection(&c.Log)},
		{key: "export", decode: section(
			field{key: "dir", decode: text(&c.Export.Dir)},
		)},
		{key: "websub", decode: b.websub},
		{key: "sources", decode: b.sources, required: true},
		{key: "topics", decode: b.topics},
	}
}

// store decodes the store key: the path of the file, or a mapping with
// the path and the largest size the file may grow to.
func (b *builder) store(d *decoder, n *yaml.Node, path string) {
	if d.keys == nil && resolve(n).Kind != yaml.MappingNode {
		text(&b.c.Store)(d, n, path)
		return
	}
	d.mapping(n, path, []field{
		{key: "path", decode: text(&b.c.Store)},
		{key: "max_size", decode: size(&b.c.StoreMaxSize)},
	})
}

// section decodes a nested mapping.
func section(fields ...field) decodeFunc {
	return func(d *decoder, n *yaml.Node, path string) { d.mapping(n, path, fields) }
}

func (b *builder) sources(d *decoder, n *yaml.Node, path string) {
	if n = resolve(n); n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		d.errorf(n.Line, path, "must list at least one source")
		return
	}
	d.sequence(n, path, func(_ int, e *yaml.Node, path string) {
		if e.Kind != yaml.MappingNode && !isNull(e) {
			d.errorf(e.Line, path, "must be a mapping with a url or an opml key, got %s", describe(e))
			return
		}
		var entry struct {
			URL, OPML, Name string
			Tags            []string
			Primary         bool
			Interval        time.Duration
			Republish       string
			MaxLength       int
			Rights          string
			FullText        bool
			Selector        string
		}
		present := d.mapping(e, path, []field{
			{key: "url", decode: text(&entry.URL)},
			{key: "opml", decode: text(&entry.OPML)},
			{key: "name", decode: text(&entry.Name, noControl)},
			{key: "tags", decode: texts(&entry.Tags)},
			{key: "primary", decode: boolean(&entry.Primary)},
			{key: "interval", decode: duration(&entry.Interval)},
			{key: "republish", decode: text(&entry.Republish, checkRepublish)},
			{key: "max_length", decode: integer(&entry.MaxLength, 0, 1<<30)},
			{key: "rights", decode: text(&entry.Rights, noControl)},
			{key: "fulltext", decode: boolean(&entry.FullText)},
			{key: "fulltext_selector", decode: text(&entry.Selector, fulltext.CheckSelector)},
		})
		if n := present["fulltext_selector"]; n != nil && !entry.FullText {
			d.errorf(n.Line, path+".fulltext_selector", "has no effect without fulltext: true")
		}
		policy := func(s feedloom.Source) feedloom.Source {
			s.Republish, s.MaxLength, s.Rights = entry.Republish, entry.MaxLength, entry.Rights
			s.FullText, s.FullTextSelector = entry.FullText, entry.Selector
			return s
		}
		u, o := present["url"], present["opml"]
		switch {
		case u != nil && o != nil:
			d.errorf(o.Line, path, "has both url and opml; give each its own entry")
		case u != nil:
			b.addURL(d, u, path+".url", policy(feedloom.Source{URL: entry.URL, Name: entry.Name, Tags: entry.Tags, Primary: entry.Primary, Interval: entry.Interval}))
		case o != nil:
			if n := present["name"]; n != nil {
				d.errorf(n.Line, path+".name", "not allowed with opml: each feed is named by its outline")
			}
			b.addOPML(d, o, path+".opml", entry.OPML, entry.Tags, entry.Interval, policy)
		default:
			d.errorf(e.Line, path, "needs a url or an opml key")
		}
	})
}

func (b *builder) addURL(d *decoder, n *yaml.Node, path string, src feedloom.Source) {
	raw := src.URL
	if raw == "" {
		d.errorf(n.Line, path, "must not be empty")
		return
	}
	u, err := sourceURL(raw, b.c.Dir)
	if err != nil {
		d.errorf(n.Line, path, "%v", err)
		return
	}
	src.URL = u
	b.c.Sources = append(b.c.Sources, src)
	b.origins = append(b.origins, origin{line: n.Line, path: path})
}

func (b *builder) addOPML(d *decoder, n *yaml.Node, path, name string, tags []string, interval time.Duration, policy func(feedloom.Source) feedloom.Source) {
	if name == "" {
		d.errorf(n.Line, path, "must not be empty")
		return
	}
	file := name
	if !filepath.IsAbs(file) {
		file = filepath.Join(b.c.Dir, file)
	}
	outlines, err := readOPML(file, name)
	if err != nil {
		d.errorf(n.Line, path, "%v", err)
		return
	}
	for _, o := range outlines {
		u, err := sourceURL(o.URL, filepath.Dir(file))
		if err != nil {
			d.errorf(n.Line, path, "%s:%d: %v", name, o.Line, err)
			continue
		}
		b.c.Sources = append(b.c.Sources, policy(feedloom.Source{URL: u, Name: o.Title, Tags: slices.Clone(tags), Interval: interval}))
		b.origins = append(b.origins, origin{line: n.Line, path: path, opml: fmt.Sprintf("%s:%d", name, o.Line)})
	}
}

func (b *builder) topics(d *decoder, n *yaml.Node, path string) {
	d.sequence(n, path, func(_ int, e *yaml.Node, path string) {
		t := feedloom.Topic{Limit: defaultLimit}
		present := d.mapping(e, path, []field{
			{key: "name", decode: text(&t.Name, checkTopicName), required: true},
			{key: "title", decode: text(&t.Title, noControl)},
			{key: "description", decode: text(&t.Description)},
			{key: "match", decode: section(
				field{key: "any", decode: texts(&t.Match.Any, rules.CheckTerm)},
				field{key: "all", decode: texts(&t.Match.All, rules.CheckTerm)},
				field{key: "none", decode: texts(&t.Match.None, rules.CheckTerm)},
				field{key: "sources", decode: b.sourceRefs(&t.Match.Sources)},
				field{key: "languages", decode: texts(&t.Match.Languages, rules.CheckLanguage)},
				field{key: "max_age", decode: duration(&t.Match.MaxAge)},
			)},
			{key: "limit", decode: integer(&t.Limit, 1, 1000)},
		})
		if t.Title == "" {
			t.Title = t.Name
		}
		b.c.Topics = append(b.c.Topics, t)
		line := e.Line
		if n := present["name"]; n != nil {
			line = n.Line
		}
		b.topicLines = append(b.topicLines, line)
	})
}

// sourceRefs decodes a topic's match.sources and remembers its tags, to
// check once every source is known that some source carries them.
func (b *builder) sourceRefs(p *[]string) decodeFunc {
	list := texts(p, checkSourceRef)
	return func(d *decoder, n *yaml.Node, path string) {
		list(d, n, path)
		if n = resolve(n); n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			if e = resolve(e); e.Kind == yaml.ScalarNode && len(e.Value) > len("tag:") && strings.HasPrefix(e.Value, "tag:") {
				b.tagRefs = append(b.tagRefs, tagRef{line: e.Line, path: fmt.Sprintf("%s[%d]", path, i), tag: e.Value[len("tag:"):]})
			}
		}
	}
}

func checkSourceRef(s string) error {
	if s == "tag:" {
		return fmt.Errorf("%q names no tag (use tag:NAME)", s)
	}
	return nil
}

// check runs the checks that span entries: duplicate sources and topics,
// and tags no source carries.
func (b *builder) check(d *decoder) {
	b.checkWebSub(d)
	seen := make(map[string]origin)
	tags := make(map[string]bool)
	for i, s := range b.c.Sources {
		o, k := b.origins[i], sameFeed(s.URL)
		if first, dup := seen[k]; dup {
			msg := fmt.Sprintf("duplicate source %q (also at %s)", s.URL, first.where())
			if o.opml != "" {
				msg = o.opml + ": " + msg
			}
			d.errorf(o.line, o.path, "%s", msg)
			continue
		}
		seen[k] = o
		for _, t := range s.Tags {
			tags[t] = true
		}
	}
	names := make(map[string]int)
	for i, t := range b.c.Topics {
		if t.Name == "" {
			continue
		}
		if first, dup := names[t.Name]; dup {
			d.errorf(b.topicLines[i], fmt.Sprintf("topics[%d].name", i), "duplicate topic %q (also at line %d)", t.Name, first)
			continue
		}
		names[t.Name] = b.topicLines[i]
	}
	for _, r := range b.tagRefs {
		if !tags[r.tag] {
			d.errorf(r.line, r.path, "no source has the tag %q", r.tag)
		}
	}
}

// sameFeed reduces a source URL to what identifies the feed, so that
// "HTTPS://Example.org:443" and "https://example.org/" count as the same
// source.
func sameFeed(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		port = ""
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment = ""
	return u.String()
}

// checkRepublish accepts the republishing policies of a source.
func checkRepublish(s string) error {
	switch s {
	case feedloom.RepublishFull, feedloom.RepublishSummary, feedloom.RepublishTitle:
		return nil
	}
	return fmt.Errorf("must be full, summary or title, got %q", s)
}
