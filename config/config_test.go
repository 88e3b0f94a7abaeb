package config

import (
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
)

// testdataDir is the absolute path of testdata, where the test configs
// pretend to live.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("testdata/feedloom.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, "sources:\n  - url: https://example.org/feed.xml\n")
	dir := testdataDir(t)
	tests := map[string]struct{ got, want any }{
		"File":                       {c.File, "testdata/feedloom.yaml"},
		"Dir":                        {c.Dir, dir},
		"Listen":                     {c.Listen, "127.0.0.1:8080"},
		"BaseURL":                    {c.BaseURL, "http://127.0.0.1:8080/"},
		"Store":                      {c.Store, filepath.Join(dir, "feedloom.db")},
		"Fetch.Timeout":              {c.Fetch.Timeout, 30 * time.Second},
		"Fetch.MaxBody":              {c.Fetch.MaxBody, int64(10 << 20)},
		"Fetch.UserAgent":            {c.Fetch.UserAgent, "feedloom/" + feedloom.Version() + " (+http://127.0.0.1:8080/)"},
		"Fetch.AllowPrivateNetworks": {c.Fetch.AllowPrivateNetworks, false},
		"Fetch.Allow":                {c.Fetch.Allow, []netip.Prefix(nil)},
		"Fetch.Proxy":                {c.Fetch.Proxy, ""},
		"Server": {c.Server, Server{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
			IdleTimeout: 2 * time.Minute, ShutdownTimeout: 10 * time.Second, Engine: EngineNetHTTP}},
		"Admin":            {c.Admin, Admin{}},
		"Poll.Interval":    {c.Poll.Interval, 30 * time.Minute},
		"Poll.Workers":     {c.Poll.Workers, 16},
		"Poll.PerHost":     {c.Poll.PerHost, 2},
		"Poll.MinInterval": {c.Poll.MinInterval, 5 * time.Minute},
		"Poll.MaxInterval": {c.Poll.MaxInterval, 24 * time.Hour},
		"Cluster":          {c.Cluster, Cluster{Enabled: true, Window: 72 * time.Hour}},
		"Retention":        {c.Retention, Retention{MaxAge: 180 * 24 * time.Hour, CheckInterval: time.Hour}},
		"WebSub":           {c.WebSub, WebSub{Subscribe: false, Lease: 10 * 24 * time.Hour}},
		"Sources":          {c.Sources, []feedloom.Source{{URL: "https://example.org/feed.xml"}}},
		"Topics":           {c.Topics, []feedloom.Topic(nil)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestDerivedDefaults(t *testing.T) {
	tests := map[string]struct {
		src         string
		wantBaseURL string
		wantUA      string
	}{
		"wildcard listen address": {
			src:         "listen: :9000\n",
			wantBaseURL: "http://localhost:9000/",
		},
		"IPv6 listen address": {
			src:         "listen: '[::1]:9000'\n",
			wantBaseURL: "http://[::1]:9000/",
		},
		"base_url without slash": {
			src:         "base_url: https://example.net/news\n",
			wantBaseURL: "https://example.net/news/",
			wantUA:      "feedloom/" + feedloom.Version() + " (+https://example.net/news/)",
		},
		"empty strings take defaults": {
			src:         "base_url: ''\nfetch:\n  user_agent: ''\n",
			wantBaseURL: "http://127.0.0.1:8080/",
			wantUA:      "feedloom/" + feedloom.Version() + " (+http://127.0.0.1:8080/)",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := mustParse(t, tt.src+"sources:\n  - url: https://example.org/feed.xml\n")
			if c.BaseURL != tt.wantBaseURL {
				t.Errorf("BaseURL: got %q, want %q", c.BaseURL, tt.wantBaseURL)
			}
			if tt.wantUA != "" && c.Fetch.UserAgent != tt.wantUA {
				t.Errorf("UserAgent: got %q, want %q", c.Fetch.UserAgent, tt.wantUA)
			}
		})
	}
}

func TestLoadEveryKey(t *testing.T) {
	c, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	dir := testdataDir(t)
	want := &Config{
		File:    "testdata/full.yaml",
		Dir:     dir,
		Listen:  "0.0.0.0:9090",
		BaseURL: "https://news.example.org/feeds/",
		Store:   filepath.Join(dir, "data", "feedloom.db"),
		Fetch: Fetch{
			Timeout:              45 * time.Second,
			MaxBody:              512 << 10,
			UserAgent:            "feedloom-test/1.0",
			AllowPrivateNetworks: true,
			Allow:                []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("192.168.7.7/32"), netip.MustParsePrefix("fd00:1::/32")},
			Proxy:                "http://proxy.internal:3128",
		},
		Server: Server{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 20 * time.Second, WriteTimeout: time.Minute,
			IdleTimeout: 5 * time.Minute, ShutdownTimeout: 25 * time.Second, Engine: EngineFastHTTP},
		Admin:     Admin{Token: "0123456789abcdef-admin"},
		Poll:      Poll{Interval: 36 * time.Hour, Workers: 4, PerHost: 3, MinInterval: 10 * time.Minute, MaxInterval: 48 * time.Hour},
		Cluster:   Cluster{Enabled: false, Window: 48 * time.Hour},
		Retention: Retention{MaxAge: 30 * 24 * time.Hour, MaxPerSource: 500, CheckInterval: 6 * time.Hour},
		Log:       Log{Format: "json", Level: slog.LevelDebug},
		WebSub:    WebSub{Subscribe: true, Lease: 2 * 24 * time.Hour},
		Export:    Export{Dir: filepath.Join(dir, "public")},
		Sources: []feedloom.Source{
			{URL: "https://example.org/feed.xml", Name: "Example", Tags: []string{"defense", "english"}, Interval: 2 * time.Hour},
			{URL: "file://" + filepath.ToSlash(filepath.Join(dir, "feeds", "local.xml"))},
			{URL: "https://wire.example/rss", Name: "Wire Service", Tags: []string{"imported"}},
			{URL: "https://defapress.example/rss", Name: "Defapress", Tags: []string{"imported"}},
			{URL: "file://" + filepath.ToSlash(filepath.Join(dir, "archive", "old.xml")), Name: "Local archive", Tags: []string{"imported"}},
			{URL: "http://tass.example/rss/v2.xml", Name: "TASS", Primary: true},
		},
		Topics: []feedloom.Topic{
			{
				Name:        "missile-defense",
				Title:       "Missile defense",
				Description: "Interceptors, radars and the budgets behind them.",
				Match: feedloom.Match{
					Any:     []string{"missile defense", "ballistic missile"},
					All:     []string{"radar"},
					None:    []string{"video game"},
					Sources: []string{"tag:defense", "Example"},
				},
				Limit: 20,
			},
			{Name: "everything", Title: "everything", Limit: 50},
		},
	}
	c.sources, c.topics = nil, nil // indexes, tested through Source and Topic
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestLookup(t *testing.T) {
	c, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	hand := &Config{Sources: c.Sources, Topics: c.Topics} // no index
	for name, c := range map[string]*Config{"parsed": c, "built by hand": hand} {
		t.Run(name, func(t *testing.T) {
			tests := map[string]struct {
				lookup   func() (string, bool)
				wantName string
				wantOK   bool
			}{
				"topic":    {func() (string, bool) { t, ok := c.Topic("everything"); return t.Name, ok }, "everything", true},
				"no topic": {func() (string, bool) { t, ok := c.Topic("nothing"); return t.Name, ok }, "", false},
				"source": {func() (string, bool) {
					s, ok := c.Source("https://defapress.example/rss")
					return s.Name, ok
				}, "Defapress", true},
				"no source": {func() (string, bool) { s, ok := c.Source("https://nowhere.example/"); return s.Name, ok }, "", false},
			}
			for name, tt := range tests {
				t.Run(name, func(t *testing.T) {
					got, ok := tt.lookup()
					if got != tt.wantName || ok != tt.wantOK {
						t.Errorf("got (%q, %v), want (%q, %v)", got, ok, tt.wantName, tt.wantOK)
					}
				})
			}
		})
	}
}

func TestStoreMaxSize(t *testing.T) {
	c := mustParse(t, "store:\n  path: state/f.db\n  max_size: 8MiB\nsources: [{url: 'https://a.example/'}]")
	if c.StoreMaxSize != 8<<20 || filepath.Base(c.Store) != "f.db" || !filepath.IsAbs(c.Store) {
		t.Errorf("store %q, max size %d; want an absolute .../f.db and 8 MiB", c.Store, c.StoreMaxSize)
	}
	if c := mustParse(t, "sources: [{url: 'https://a.example/'}]"); c.StoreMaxSize != 0 {
		t.Errorf("default max size %d, want 0 (no cap)", c.StoreMaxSize)
	}
}

func TestPathsRelativeToConfig(t *testing.T) {
	// The working directory must not matter: parse as if the config lived
	// in another directory.
	dir := t.TempDir()
	file := filepath.Join(dir, "conf", "feedloom.yaml")
	c, err := Parse(file, []byte(`
store: state/feedloom.db
sources:
  - url: file:feeds/a.xml
  - url: file:///srv/feeds/b.xml
  - url: file://localhost/srv/feeds/c.xml
  - url: file:../shared/d%20e.xml
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	conf := filepath.Join(dir, "conf")
	tests := map[string]struct{ got, want string }{
		"Dir":                 {c.Dir, conf},
		"store":               {c.Store, filepath.Join(conf, "state", "feedloom.db")},
		"relative file:":      {c.Sources[0].URL, "file://" + filepath.ToSlash(filepath.Join(conf, "feeds", "a.xml"))},
		"absolute file:///":   {c.Sources[1].URL, "file:///srv/feeds/b.xml"},
		"file://localhost":    {c.Sources[2].URL, "file:///srv/feeds/c.xml"},
		"escaped, upward":     {c.Sources[3].URL, "file://" + filepath.ToSlash(filepath.Join(dir, "shared")) + "/d%20e.xml"},
		"absolute store kept": {mustParse(t, "store: /var/lib/feedloom.db\nsources: [{url: 'https://a.example/'}]").Store, "/var/lib/feedloom.db"},
		"store.path":          {mustParse(t, "store: {path: /var/lib/f.db}\nsources: [{url: 'https://a.example/'}]").Store, "/var/lib/f.db"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// TestErrors checks the exact messages: they are the user interface of
// `feedloom check`.
func TestErrors(t *testing.T) {
	const f = "testdata/feedloom.yaml"
	const src = "sources:\n  - url: https://example.org/feed.xml\n"
	tests := map[string]struct {
		yaml string
		want []string
	}{
		"unknown key at depth": {
			yaml: src + `topics:
  - name: missile-defense
    match:
      any: [missile]
      anyy: [rocket]
`,
			want: []string{f + `:7: topics[0].match: unknown key "anyy"`},
		},
		"unknown top-level key": {
			yaml: src + "lisen: :8080\n",
			want: []string{f + `:3: unknown key "lisen"`},
		},
		"duplicate key": {
			yaml: src + "listen: :1\nlisten: :2\n",
			want: []string{f + `:4: duplicate key "listen" (first at line 3)`},
		},
		"store.max_size zero": {
			yaml: "store:\n  max_size: 0\n" + src,
			want: []string{f + `:2: store.max_size: must be greater than 0, got 0`},
		},
		"store mapping, unknown key": {
			yaml: "store:\n  paht: x.db\n" + src,
			want: []string{f + `:2: store: unknown key "paht"`},
		},
		"bad duration": {
			yaml: "fetch:\n  timeout: 30x\n" + src,
			want: []string{f + `:2: fetch.timeout: invalid duration "30x" (use Go durations such as 30s, 10m, 6h, 7d)`},
		},
		"duration without unit": {
			yaml: "poll:\n  interval: 30\n" + src,
			want: []string{f + `:2: poll.interval: invalid duration "30" (use Go durations such as 30s, 10m, 6h, 7d)`},
		},
		"zero duration": {
			yaml: "poll:\n  interval: 0s\n" + src,
			want: []string{f + `:2: poll.interval: must be greater than 0, got 0s`},
		},
		"bad size": {
			yaml: "fetch:\n  max_body: 10MB/s\n" + src,
			want: []string{f + `:2: fetch.max_body: invalid size "10MB/s" (use bytes or units such as 512KiB, 10MiB, 1GiB, 1MB)`},
		},
		"zero size": {
			yaml: "fetch:\n  max_body: 0\n" + src,
			want: []string{f + `:2: fetch.max_body: must be greater than 0, got 0`},
		},
		"workers out of range": {
			yaml: "poll:\n  interval: 5m\n  workers: 0\n" + src,
			want: []string{f + `:3: poll.workers: must be between 1 and 1024, got 0`},
		},
		"per_host out of range": {
			yaml: "poll:\n  per_host: 0\n" + src,
			want: []string{f + `:2: poll.per_host: must be between 1 and 1024, got 0`},
		},
		"min_interval longer than max_interval": {
			yaml: "poll:\n  max_interval: 1h\n  min_interval: 2h\n" + src,
			want: []string{f + `:3: poll.min_interval: must not be longer than max_interval (2h0m0s > 1h0m0s)`},
		},
		"min_interval longer than the default max": {
			yaml: "poll:\n  min_interval: 2d\n" + src,
			want: []string{f + `:2: poll.min_interval: must not be longer than max_interval (48h0m0s > 24h0m0s)`},
		},
		"source interval": {
			yaml: "sources:\n  - url: https://example.org/feed.xml\n    interval: never\n",
			want: []string{f + `:3: sources[0].interval: invalid duration "never" (use Go durations such as 30s, 10m, 6h, 7d)`},
		},
		"workers not a number": {
			yaml: "poll:\n  workers: many\n" + src,
			want: []string{f + `:2: poll.workers: must be a whole number, got a string ("many")`},
		},
		"string where a list is expected": {
			yaml: src + "topics:\n  - name: a\n    match:\n      any: missile\n",
			want: []string{f + `:6: topics[0].match.any: must be a list, got a string ("missile")`},
		},
		"list where a mapping is expected": {
			yaml: "fetch: [30s]\n" + src,
			want: []string{f + `:1: fetch: must be a mapping, got a list`},
		},
		"mapping where a string is expected": {
			yaml: "listen: {host: a}\n" + src,
			want: []string{f + `:1: listen: must be a string, got a mapping`},
		},
		"string where a boolean is expected": {
			yaml: "fetch:\n  allow_private_networks: yes\n" + src,
			want: []string{f + `:2: fetch.allow_private_networks: must be true or false, got a string ("yes")`},
		},
		"not a mapping at all": {
			yaml: "- url: https://example.org/\n",
			want: []string{f + `:1: must be a mapping, got a list`},
		},
		"missing sources": {
			yaml: "listen: :8080\n",
			want: []string{f + `:1: missing required key "sources"`},
		},
		"empty file": {
			yaml: "",
			want: []string{f + `:1: missing required key "sources"`},
		},
		"empty sources": {
			yaml: "listen: :8080\nsources: []\n",
			want: []string{f + `:2: sources: must list at least one source`},
		},
		"duplicate source": {
			yaml: src + "  - url: https://EXAMPLE.org:443/feed.xml\n    name: again\n",
			want: []string{f + `:3: sources[1].url: duplicate source "https://EXAMPLE.org:443/feed.xml" (also at line 2)`},
		},
		"source without url or opml": {
			yaml: src + "  - name: nameless\n",
			want: []string{f + `:3: sources[1]: needs a url or an opml key`},
		},
		"source with url and opml": {
			yaml: src + "  - url: https://a.example/\n    opml: subscriptions.opml\n",
			want: []string{f + `:4: sources[1]: has both url and opml; give each its own entry`},
		},
		"bad source URLs": {
			yaml: `sources:
  - url: ftp://example.org/feed.xml
  - url: https://user:secret@example.org/feed.xml
  - url: example.org/feed.xml
  - url: https:///feed.xml
  - url: file://./feeds/a.xml
  - url: ""
  - url: "javascript:alert(1)"
  - url: "data:text/xml,<rss/>"
  - url: feed://example.org/rss
  - url: //example.org/feed.xml
  - url: gopher://127.0.0.1:70/
`,
			want: []string{
				f + `:2: sources[0].url: unsupported URL scheme "ftp" in "ftp://example.org/feed.xml" (use http, https or file)`,
				f + `:3: sources[1].url: URL "https://user:secret@example.org/feed.xml" must not contain a user name or password`,
				f + `:4: sources[2].url: URL "example.org/feed.xml" has no scheme (use http://, https:// or file:)`,
				f + `:5: sources[3].url: URL "https:///feed.xml" has no host`,
				f + `:6: sources[4].url: file URL "file://./feeds/a.xml" has a host (use file:relative/path or file:///absolute/path)`,
				f + `:7: sources[5].url: must not be empty`,
				f + `:8: sources[6].url: unsupported URL scheme "javascript" in "javascript:alert(1)" (use http, https or file)`,
				f + `:9: sources[7].url: unsupported URL scheme "data" in "data:text/xml,<rss/>" (use http, https or file)`,
				f + `:10: sources[8].url: unsupported URL scheme "feed" in "feed://example.org/rss" (use http, https or file)`,
				f + `:11: sources[9].url: URL "//example.org/feed.xml" has no scheme (use http://, https:// or file:)`,
				f + `:12: sources[10].url: unsupported URL scheme "gopher" in "gopher://127.0.0.1:70/" (use http, https or file)`,
			},
		},
		"bad fetch.allow": {
			yaml: src + "fetch:\n  allow:\n    - 10.0.0.0/33\n    - 10.1.2.3/8\n    - intranet\n    - [10.0.0.0/8]\n    - fe80::1%eth0\n",
			want: []string{
				f + `:5: fetch.allow[0]: invalid CIDR range "10.0.0.0/33" (use 10.1.0.0/16, fd00::/8 or one address)`,
				f + `:6: fetch.allow[1]: CIDR range "10.1.2.3/8" has bits set past its length; did you mean 10.0.0.0/8?`,
				f + `:7: fetch.allow[2]: invalid address or CIDR range "intranet" (use 10.1.0.0/16, fd00::/8 or one address)`,
				f + `:8: fetch.allow[3]: must be a CIDR range, got a list`,
				f + `:9: fetch.allow[4]: invalid address or CIDR range "fe80::1%eth0" (use 10.1.0.0/16, fd00::/8 or one address)`,
			},
		},
		"bad fetch.proxy": {
			yaml: src + "fetch:\n  proxy: ftp://proxy:21\n",
			want: []string{f + `:4: fetch.proxy: proxy URL ftp://proxy:21 must be http://, https:// or socks5://HOST:PORT`},
		},
		"fetch.proxy with a path": {
			yaml: src + "fetch:\n  proxy: http://user:pw@proxy:3128/x?y\n",
			want: []string{f + `:4: fetch.proxy: proxy URL http://user:xxxxx@proxy:3128/x?y must be only a scheme, an optional user and a host:port`},
		},
		"short admin token": {
			yaml: src + "admin:\n  token: secret\n",
			want: []string{f + `:4: admin.token: must be at least 16 characters (a long random string, such as the output of ` + "`openssl rand -hex 24`" + `)`},
		},
		"admin token with a space": {
			yaml: src + "admin:\n  token: '0123456789 abcdefgh'\n",
			want: []string{f + `:4: admin.token: must not contain spaces or control characters`},
		},
		"zero shutdown timeout": {
			yaml: src + "server:\n  shutdown_timeout: 0s\n",
			want: []string{f + `:4: server.shutdown_timeout: must be greater than 0, got 0s`},
		},
		"unknown server engine": {
			yaml: src + "server:\n  engine: nginx\n",
			want: []string{f + `:4: server.engine: must be net/http or fasthttp, got "nginx"`},
		},
		"bad topic name": {
			yaml: src + "topics:\n  - name: Missile_Defense\n",
			want: []string{f + `:4: topics[0].name: must be lower-case letters, digits and dashes ([a-z0-9-]+), got "Missile_Defense"`},
		},
		"topic without name": {
			yaml: src + "topics:\n  - title: Nameless\n  - name: ''\n",
			want: []string{
				f + `:4: topics[0]: missing required key "name"`,
				f + `:5: topics[1].name: must not be empty`,
			},
		},
		"duplicate topic": {
			yaml: src + "topics:\n  - name: a\n  - name: b\n  - name: a\n",
			want: []string{f + `:6: topics[2].name: duplicate topic "a" (also at line 4)`},
		},
		"bad limit": {
			yaml: src + "topics:\n  - name: a\n    limit: 0\n",
			want: []string{f + `:5: topics[0].limit: must be between 1 and 1000, got 0`},
		},
		"bad phrases": {
			yaml: src + "topics:\n  - name: a\n    match:\n      any: ['', '--', [x]]\n",
			want: []string{
				f + `:6: topics[0].match.any[0]: must not be empty`,
				f + `:6: topics[0].match.any[1]: must contain a word, got "--"`,
				f + `:6: topics[0].match.any[2]: must be a string, got a list`,
			},
		},
		"unknown tag": {
			yaml: `sources:
  - url: https://example.org/feed.xml
    tags: [defense]
topics:
  - name: a
    match:
      sources: ["tag:defense", "tag:defence", "tag:"]
`,
			want: []string{
				f + `:7: topics[0].match.sources[2]: "tag:" names no tag (use tag:NAME)`,
				f + `:7: topics[0].match.sources[1]: no source has the tag "defence"`,
			},
		},
		"bad listen and base_url": {
			yaml: "listen: localhost\nbase_url: /feeds/\n" + src,
			want: []string{
				f + `:1: listen: invalid address "localhost" (use host:port such as 127.0.0.1:8080 or :8080)`,
				f + `:2: base_url: must be an absolute http or https URL, got "/feeds/"`,
			},
		},
		"several errors at once": {
			yaml: `listen: :8080
poll:
  workers: 0
fetch:
  timeout: 30x
sources:
  - url: https://example.org/feed.xml
  - url: https://example.org/feed.xml
topics:
  - name: Bad
    match:
      anyy: [x]
`,
			want: []string{
				f + `:3: poll.workers: must be between 1 and 1024, got 0`,
				f + `:5: fetch.timeout: invalid duration "30x" (use Go durations such as 30s, 10m, 6h, 7d)`,
				f + `:8: sources[1].url: duplicate source "https://example.org/feed.xml" (also at line 7)`,
				f + `:10: topics[0].name: must be lower-case letters, digits and dashes ([a-z0-9-]+), got "Bad"`,
				f + `:12: topics[0].match: unknown key "anyy"`,
			},
		},
		"YAML syntax error": {
			yaml: "listen: :8080\nfetch:\n  timeout: 30s\n max_body: 1MiB\n" + src,
			want: []string{f + `:4: invalid YAML: did not find expected key`},
		},
		"YAML syntax error after a multi-line list": {
			yaml: src + "topics:\n  - name: a\n    match:\n      any: [a,\n        b]\n      all: [c\n",
			want: []string{f + `:8: invalid YAML: did not find expected ',' or ']'`},
		},
		"YAML unknown alias": {
			yaml: src + "topics: *nope\n",
			want: []string{f + `:3: invalid YAML: unknown anchor 'nope' referenced`},
		},
		"two documents": {
			yaml: src + "---\nlisten: :8080\n",
			want: []string{f + `:3: a config file holds one YAML document; remove the second one`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(f, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("got no error and %+v, want %q", c, tt.want)
			}
			if c != nil {
				t.Errorf("got a Config with the error, want nil")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %T, want Errors", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestOPML(t *testing.T) {
	const f = "testdata/feedloom.yaml"
	tests := map[string]struct {
		yaml string
		want string
	}{
		"outline with a bad scheme": {
			yaml: "sources:\n  - opml: bad-scheme.opml\n",
			want: f + `:2: sources[0].opml: bad-scheme.opml:5: unsupported URL scheme "gopher" in "gopher://old.example/feed" (use http, https or file)`,
		},
		"bad XML": {
			yaml: "sources:\n  - url: https://a.example/\n  - opml: broken.opml\n",
			want: f + `:3: sources[1].opml: broken.opml:5: invalid XML: element <outline> closed by </body>`,
		},
		"missing file": {
			yaml: "sources:\n  - opml: missing.opml\n",
			want: f + `:2: sources[0].opml: cannot read missing.opml: no such file or directory`,
		},
		"not OPML": {
			yaml: "sources:\n  - opml: notopml.opml\n",
			want: f + `:2: sources[0].opml: notopml.opml: not an OPML file (the root element is <rss>, want <opml>)`,
		},
		"name with opml": {
			yaml: "sources:\n  - opml: subscriptions.opml\n    name: Mine\n",
			want: f + `:3: sources[0].name: not allowed with opml: each feed is named by its outline`,
		},
		"duplicate of a url entry": {
			yaml: "sources:\n  - url: https://wire.example/rss\n  - opml: subscriptions.opml\n",
			want: f + `:3: sources[1].opml: subscriptions.opml:6: duplicate source "https://wire.example/rss" (also at line 2)`,
		},
		"url entry duplicates an outline": {
			yaml: "sources:\n  - opml: subscriptions.opml\n  - url: https://wire.example/rss\n",
			want: f + `:3: sources[1].url: duplicate source "https://wire.example/rss" (also at line 2, subscriptions.opml:6)`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(f, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestOPMLLatin1(t *testing.T) {
	dir := t.TempDir()
	opml := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<opml><body><outline text=\"Caf\xe9\" xmlUrl=\"https://cafe.example/rss\"/></body></opml>\n"
	if err := os.WriteFile(filepath.Join(dir, "subs.opml"), []byte(opml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(filepath.Join(dir, "feedloom.yaml"), []byte("sources:\n  - opml: subs.opml\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := c.Sources[0].Name, "Café"; got != want {
		t.Errorf("got name %q, want %q", got, want)
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if err == nil {
		t.Fatal("got no error for a missing file")
	}
	var errs Errors
	if errors.As(err, &errs) {
		t.Errorf("got Errors %v, want a plain error", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestErrorAs(t *testing.T) {
	_, err := Parse("x.yaml", []byte("sources: []\n"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v, *Error) failed", err)
	}
	want := Error{File: "x.yaml", Line: 1, Path: "sources", Msg: "must list at least one source"}
	if *e != want {
		t.Errorf("got %+v, want %+v", *e, want)
	}
}

func TestParseDuration(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		"seconds":          {in: "30s", want: 30 * time.Second},
		"Go compound":      {in: "1h30m", want: 90 * time.Minute},
		"days":             {in: "7d", want: 7 * 24 * time.Hour},
		"days and hours":   {in: "1d12h", want: 36 * time.Hour},
		"zero":             {in: "0", want: 0},
		"unknown unit":     {in: "30x", wantErr: true},
		"no unit":          {in: "30", wantErr: true},
		"fractional days":  {in: "1.5d", wantErr: true},
		"negative days":    {in: "-1d", wantErr: true},
		"sign after days":  {in: "1d-2h", wantErr: true},
		"days overflow":    {in: "200000d", wantErr: true},
		"days then junk":   {in: "1dx", wantErr: true},
		"empty":            {in: "", wantErr: true},
		"unit d alone":     {in: "d", wantErr: true},
		"overflow in sum":  {in: "106751d23h59m59s", wantErr: true},
		"largest accepted": {in: "106751d23h47m16s", want: 106751*24*time.Hour + 23*time.Hour + 47*time.Minute + 16*time.Second},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDuration(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseDuration(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    int64
		wantErr bool
	}{
		"bytes":             {in: "4096", want: 4096},
		"bytes with B":      {in: "100B", want: 100},
		"KiB":               {in: "512KiB", want: 512 << 10},
		"MiB":               {in: "10MiB", want: 10 << 20},
		"GiB":               {in: "1GiB", want: 1 << 30},
		"MB is decimal":     {in: "1MB", want: 1000000},
		"space before unit": {in: "2 MiB", want: 2 << 20},
		"lower-case unit":   {in: "10mib", wantErr: true},
		"fraction":          {in: "1.5MiB", wantErr: true},
		"negative":          {in: "-1", wantErr: true},
		"no number":         {in: "MiB", wantErr: true},
		"overflow":          {in: "9999999999TiB", wantErr: true},
		"trailing junk":     {in: "10MiB/s", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseSize(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseSize(%q): got %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
