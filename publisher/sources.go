package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/feedloom/feedloom"
)

// SourceReader is what the sources page reads: the configured sources
// and the polling state the store keeps for each. Declared here, at the
// consumer; cmd pairs the config's list with the store.
type SourceReader interface {
	// Sources lists the configured sources, in config order.
	Sources() []feedloom.Source
	// SourceState returns the stored state of the source with URL u, a
	// zero state carrying the URL when it was never polled.
	SourceState(ctx context.Context, u string) (feedloom.SourceState, error)
}

// A SourceStatus is one source as the operator sees it: its name, its
// state, and everything the store keeps about polling it.
type SourceStatus struct {
	// Name is the configured name, else the feed's own title, else the
	// URL.
	Name string `json:"name"`
	// State is one of the feedloom.State* constants: new (never polled),
	// ok, failing, moved (ok, polled at MovedTo) or gone (retired by a
	// 410).
	State string `json:"state"`
	feedloom.SourceState
}

// SourceStatuses reads the status of every configured source, in config
// order: one short read of the store per source.
func SourceStatuses(ctx context.Context, r SourceReader) ([]SourceStatus, error) {
	srcs := r.Sources()
	out := make([]SourceStatus, 0, len(srcs))
	for _, src := range srcs {
		st, err := r.SourceState(ctx, src.URL)
		if err != nil {
			return nil, err
		}
		out = append(out, SourceStatus{
			Name:        firstNonEmpty(src.Name, st.Title, src.URL),
			State:       sourceState(st),
			SourceState: st,
		})
	}
	return out, nil
}

// sourceState is the state the last poll recorded; for a state stored
// before states were (a store from an older feedloom), the one its fields
// imply.
func sourceState(st feedloom.SourceState) string {
	switch {
	case st.State != "":
		return st.State
	case st.LastPoll.IsZero():
		return feedloom.StateNew
	case st.ConsecutiveFails > 0:
		return feedloom.StateFailing
	}
	return feedloom.StateOK
}

// Link is the source's URL when a browser can follow it (http or https),
// else "".
func (s SourceStatus) Link() string {
	if u, err := url.Parse(s.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return s.URL
	}
	return ""
}

// SourcesHandler serves the operator's view of the sources, read live from
// r on every request:
//
//	GET /sources        HTML: a table of every source, readable without scripts
//	GET /sources.json   the same as JSON: {"sources": [...]} with SourceStatus fields
//	GET /sources.opml   the sources as OPML 2.0, for a feed reader or `feedloom import` (SourcesOPML)
//
// ?state=failing (or any state) keeps the sources in that state; the page
// links each state's count to its list. Both are marked no-store: they
// change with every poll. They show configured URLs and the last error of
// each source; a deployment that must not show those keeps these paths
// off its public proxy.
func (s *Server) SourcesHandler(r SourceReader) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sources", func(w http.ResponseWriter, req *http.Request) { s.handleSources(w, req, r, false) })
	mux.HandleFunc("GET /sources.json", func(w http.ResponseWriter, req *http.Request) { s.handleSources(w, req, r, true) })
	mux.HandleFunc("GET /sources.opml", func(w http.ResponseWriter, req *http.Request) {
		body, err := s.SourcesOPML(req.Context(), r)
		if err != nil {
			s.writeError(w, req, err)
			return
		}
		writeNoStore(w, req, body, "text/x-opml; charset=utf-8")
	})
	return mux
}

func (s *Server) handleSources(w http.ResponseWriter, req *http.Request, r SourceReader, asJSON bool) {
	all, err := SourceStatuses(req.Context(), r)
	if err != nil {
		s.writeError(w, req, err)
		return
	}
	state := req.URL.Query().Get("state")
	list := all
	if state != "" {
		list = slices.DeleteFunc(slices.Clone(all), func(st SourceStatus) bool { return st.State != state })
	}
	var body []byte
	ctype := "application/json; charset=utf-8"
	if asJSON {
		body, err = json.MarshalIndent(struct {
			Sources []SourceStatus `json:"sources"`
		}{list}, "", "  ")
	} else {
		body, err = s.renderSources(all, list, state)
		ctype = HTML.ContentType()
		w.Header().Set("Content-Security-Policy", headerCSP)
	}
	if err != nil {
		s.writeError(w, req, err)
		return
	}
	writeNoStore(w, req, body, ctype)
}

// writeNoStore sends body as a response no cache keeps.
func writeNoStore(w http.ResponseWriter, req *http.Request, body []byte, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if req.Method != http.MethodHead {
		w.Write(body)
	}
}

// sourceOutline is an outline of the sources OPML: a feed, or a folder
// holding the feeds whose first tag it is.
type sourceOutline struct {
	Text     string           `xml:"text,attr"`
	Title    string           `xml:"title,attr,omitempty"`
	Type     string           `xml:"type,attr,omitempty"`
	XMLURL   string           `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string           `xml:"htmlUrl,attr,omitempty"`
	Category string           `xml:"category,attr,omitempty"`
	Outlines []*sourceOutline `xml:"outline"`
}

// SourcesOPML renders the configured sources as OPML 2.0, in config
// order. Each feed is an outline with its name (the configured one, else
// the feed's title) as text and title, xmlUrl, htmlUrl when a poll has
// learned the site's address, and its tags as the category attribute
// ("/wire,/russia"). A source with tags sits in a folder named after its
// first tag, which a feed reader shows as a folder and `feedloom import`
// reads back as a tag. Sources read from files (file: URLs) mean nothing
// outside this config and are left out. The bytes depend only on the
// sources and their states: no creation date.
func (s *Server) SourcesOPML(ctx context.Context, r SourceReader) ([]byte, error) {
	type doc struct {
		XMLName xml.Name         `xml:"opml"`
		Version string           `xml:"version,attr"`
		Title   string           `xml:"head>title"`
		Body    []*sourceOutline `xml:"body>outline"`
	}
	d := doc{Version: "2.0", Title: "Sources · " + s.o.Title}
	folders := map[string]*sourceOutline{}
	for _, src := range r.Sources() {
		if u, err := url.Parse(src.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		st, err := r.SourceState(ctx, src.URL)
		if err != nil {
			return nil, err
		}
		name := firstNonEmpty(src.Name, st.Title, src.URL)
		o := &sourceOutline{Text: name, Title: name, Type: "rss", XMLURL: src.URL, HTMLURL: st.SiteURL}
		var cats []string
		for _, t := range src.Tags {
			cats = append(cats, "/"+t)
		}
		o.Category = strings.Join(cats, ",")
		if len(src.Tags) == 0 {
			d.Body = append(d.Body, o)
			continue
		}
		f := folders[src.Tags[0]]
		if f == nil {
			f = &sourceOutline{Text: src.Tags[0], Title: src.Tags[0]}
			folders[src.Tags[0]] = f
			d.Body = append(d.Body, f)
		}
		f.Outlines = append(f.Outlines, o)
	}
	return marshalXML(d)
}

// sourcesPage is what templates/sources.html sees.
type sourcesPage struct {
	*page
	All     int          // sources configured
	AllURL  string       // the unfiltered page
	Counts  []stateCount // sources by state, in order of first appearance
	State   string       // the state shown; "" for all
	Sources []SourceStatus
}

// A stateCount links a state to the page of its sources.
type stateCount struct {
	State string
	N     int
	URL   string
}

// renderSources renders the page of list, the sources of all in state
// ("" for all of them).
func (s *Server) renderSources(all, list []SourceStatus, state string) ([]byte, error) {
	p := &sourcesPage{
		page:    s.page("Sources · "+s.o.Title, "", s.url("sources")),
		All:     len(all),
		AllURL:  s.url("sources"),
		State:   state,
		Sources: list,
	}
	jsonURL := s.url("sources.json")
	if state != "" {
		p.Title = "Sources: " + state + " · " + s.o.Title
		jsonURL += "?state=" + url.QueryEscape(state)
	}
	p.Alternates = []feedLink{
		{Label: "JSON", Title: "Sources (JSON)", Type: "application/json", URL: jsonURL},
		{Label: "OPML", Title: "Sources (OPML)", Type: "text/x-opml", URL: s.url("sources.opml")},
	}
	index := map[string]int{}
	for _, st := range all {
		i, ok := index[st.State]
		if !ok {
			i = len(p.Counts)
			index[st.State] = i
			p.Counts = append(p.Counts, stateCount{State: st.State, URL: s.url("sources?state=" + url.QueryEscape(st.State))})
		}
		p.Counts[i].N++
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "sources.html", p); err != nil {
		return nil, fmt.Errorf("publisher: template sources.html: %w", err)
	}
	return b.Bytes(), nil
}
