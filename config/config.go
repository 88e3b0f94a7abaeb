package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedloom/feedloom"
)

// Config is a validated config file. Build it with Load or Parse and treat
// it as read-only.
type Config struct {
	File    string // the path as given to Load
	Dir     string // absolute directory of the config file
	Listen  string // HTTP address; default "127.0.0.1:8080"
	BaseURL string // absolute http(s) URL of the published site, ending in "/"; default "http://<listen>/"
	Store   string // absolute path of the bbolt file (store or store.path); default "feedloom.db" next to the config
	// StoreMaxSize (store.max_size) is the size in bytes the store file may
	// grow to; a poll that would grow it further fails. 0, the default,
	// means no cap.
	StoreMaxSize int64
	Fetch        Fetch
	Poll         Poll
	Cluster      Cluster
	// Retention bounds what is kept. Items removed by it leave a
	// tombstone, so they never come back as new.
	Retention Retention
	Log       Log
	// Export, when Dir is set, has serve rewrite a static copy of the
	// site there whenever a topic changes.
	Export  Export
	WebSub  WebSub
	Server  Server
	Admin   Admin
	Sources []feedloom.Source // in file order, OPML entries expanded in place
	Topics  []feedloom.Topic  // in file order

	sources map[string]int // URL -> index in Sources
	topics  map[string]int // name -> index in Topics
}

// Fetch holds the settings for fetching a feed.
type Fetch struct {
	Timeout              time.Duration // whole request, body included; default 30s
	MaxBody              int64         // bytes; default 10MiB
	UserAgent            string        // default "feedloom/<version> (+<base_url>)"
	AllowPrivateNetworks bool          // allow loopback, private and link-local addresses; default false
	// Allow opens these ranges (and only these) of the ones refused by
	// default, for example one intranet host; default none.
	Allow []netip.Prefix
	// Proxy, when set, is the URL of the proxy every fetch goes through;
	// it is connected to at exactly its host and port, even when that is
	// a private address. The environment's HTTP_PROXY and friends are
	// never used. Default none.
	Proxy string
}

// Cluster holds the settings for recognizing one story across outlets.
type Cluster struct {
	Enabled bool          // near-duplicate clustering; default true (exact URL matches always merge)
	Window  time.Duration // how far apart in time two items of one story can be; default 72h
}

// Export holds the static export settings.
type Export struct {
	Dir string // absolute; "" (the default) exports nothing while serving
}

// Retention holds the limits on what is kept.
type Retention struct {
	MaxAge        time.Duration // items first seen longer ago are removed; default 180d
	MaxPerSource  int           // at most this many items a source (oldest removed first); 0, the default, means no limit
	CheckInterval time.Duration // how often serve applies retention; default 1h
}

// The defaults that do not depend on another setting.
const (
	defaultListen  = "127.0.0.1:8080"
	defaultStore   = "feedloom.db"
	defaultTimeout = 30 * time.Second
	defaultMaxBody = 10 << 20
	defaultLimit   = 50
	defaultWindow  = 72 * time.Hour
	defaultMaxAge  = 180 * 24 * time.Hour
	defaultPrune   = time.Hour
)

// Load reads and parses the config file at path. A file that cannot be
// read gives a plain error; problems in its content give Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data as the content of the config file named file. file is
// used in messages and as the base of relative paths; it is not read.
// Problems are returned as Errors.
func Parse(file string, data []byte) (*Config, error) {
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c := &Config{
		File:      file,
		Dir:       dir,
		Listen:    defaultListen,
		Store:     defaultStore,
		Fetch:     Fetch{Timeout: defaultTimeout, MaxBody: defaultMaxBody},
		Poll:      Poll{Interval: defaultInterval, Workers: defaultWorkers, PerHost: defaultPerHost, MinInterval: defaultMinInterval, MaxInterval: defaultMaxInterval},
		Cluster:   Cluster{Enabled: true, Window: defaultWindow},
		Retention: Retention{MaxAge: defaultMaxAge, CheckInterval: defaultPrune},
		Log:       Log{Format: "text"},
		WebSub:    WebSub{Lease: defaultLease},
		Server: Server{ReadHeaderTimeout: defaultReadHeaderTimeout, ReadTimeout: defaultReadTimeout, WriteTimeout: defaultWriteTimeout,
			IdleTimeout: defaultIdleTimeout, ShutdownTimeout: defaultShutdownTimeout, Engine: EngineNetHTTP},
	}
	d := &decoder{file: file}
	if root, ok := d.document(data); ok {
		b := &builder{c: c}
		d.mapping(root, "", b.fields())
		b.check(d)
	}
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, d.errs
	}
	c.finish()
	return c, nil
}

// Topic returns the topic called name.
func (c *Config) Topic(name string) (feedloom.Topic, bool) {
	if c.topics == nil { // a Config built by hand has no index
		i := slices.IndexFunc(c.Topics, func(t feedloom.Topic) bool { return t.Name == name })
		if i < 0 {
			return feedloom.Topic{}, false
		}
		return c.Topics[i], true
	}
	i, ok := c.topics[name]
	if !ok {
		return feedloom.Topic{}, false
	}
	return c.Topics[i], true
}

// Source returns the source whose URL is url, as stored in Source.URL.
func (c *Config) Source(url string) (feedloom.Source, bool) {
	if c.sources == nil { // a Config built by hand has no index
		i := slices.IndexFunc(c.Sources, func(s feedloom.Source) bool { return s.URL == url })
		if i < 0 {
			return feedloom.Source{}, false
		}
		return c.Sources[i], true
	}
	i, ok := c.sources[url]
	if !ok {
		return feedloom.Source{}, false
	}
	return c.Sources[i], true
}

// document parses data as a single YAML document and returns its root.
func (d *decoder) document(data []byte) (*yaml.Node, bool) {
	root, extra, err := parseYAML(data)
	switch {
	case err != nil:
		d.errorf(syntaxLine(data, err), "", "invalid YAML: %s", yamlMessage(err))
		return nil, false
	case extra > 0:
		d.errorf(extra, "", "a config file holds one YAML document; remove the second one")
		return nil, false
	}
	return root, true
}

// parseYAML returns the root node of the document in data (a null node
// for an empty file), or the line where a second document starts.
func parseYAML(data []byte) (root *yaml.Node, extra int, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, 0, err
	}
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, 0, err
		}
		return nil, max(next.Line, 1), nil
	}
	root = &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root.Line == 0 {
		root.Line = 1
	}
	return root, 0, nil
}

// yamlLine matches the line the YAML library puts in its syntax errors:
// "yaml: line 7: did not find expected key".
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlMessage(err error) string {
	msg := err.Error()
	if m := yamlLine.FindString(msg); m != "" {
		return msg[len(m):]
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// syntaxLine finds the line of the syntax error err in data.
//
// The YAML library's own line is not good enough to point a curator at:
// for parser errors it gives the 0-based line where the enclosing mapping
// or list starts, and for some errors no line at all. The line it gives
// is at or before the problem, though, and a prefix of the file that
// includes the problem line fails with the very same error, while a
// shorter one does not. So the problem line is the shortest such prefix,
// found by binary search: a few parses, and only when the file is broken.
func syntaxLine(data []byte, err error) int {
	want := err.Error()
	var ends []int // ends[k-1] is the offset just past line k
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	lo := 1
	if m := yamlLine.FindStringSubmatch(want); m != nil {
		n, _ := strconv.Atoi(m[1])
		lo = min(max(n, 1), len(ends))
	}
	sameError := func(k int) bool {
		_, _, err := parseYAML(data[:ends[k-1]])
		return err != nil && err.Error() == want
	}
	hi := len(ends)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if sameError(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// finish fills in the defaults that depend on other settings, resolves
// paths and builds the lookup indexes.
func (c *Config) finish() {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + siteHost(c.Listen) + "/"
	}
	if !strings.HasSuffix(c.BaseURL, "/") {
		c.BaseURL += "/"
	}
	if c.Fetch.UserAgent == "" {
		c.Fetch.UserAgent = "feedloom/" + feedloom.Version() + " (+" + c.BaseURL + ")"
	}
	if !filepath.IsAbs(c.Store) {
		c.Store = filepath.Join(c.Dir, c.Store)
	}
	if c.Export.Dir != "" && !filepath.IsAbs(c.Export.Dir) {
		c.Export.Dir = filepath.Join(c.Dir, c.Export.Dir)
	}
	c.sources = make(map[string]int, len(c.Sources))
	for i, s := range c.Sources {
		c.sources[s.URL] = i
	}
	c.topics = make(map[string]int, len(c.Topics))
	for i, t := range c.Topics {
		c.topics[t.Name] = i
	}
}

// siteHost is the host:port a browser can reach the listen address at: a
// wildcard address (":8080", "0.0.0.0:8080") becomes localhost.
func siteHost(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return fmt.Errorf("invalid address %q (use host:port such as 127.0.0.1:8080 or :8080)", s)
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http or https URL, got %q", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must not have a user, query or fragment, got %q", s)
	}
	return nil
}

func checkTopicName(s string) error {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
			return fmt.Errorf("must be lower-case letters, digits and dashes ([a-z0-9-]+), got %q", s)
		}
	}
	return nil
}
