package publisher

import (
	"bytes"
	"context"
	"embed"
	"encoding/xml"
	"fmt"
	"html/template"
	"strconv"
	"time"
)

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

var (
	pages    = template.Must(template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html"))
	styleCSS = mustRead("templates/style.css")
)

func mustRead(name string) []byte {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot fail at run time
	}
	return b
}

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"inc":  func(n int) int { return n + 1 },
}

// pageCSP forbids scripts, frames, forms and plugins on the HTML pages:
// they show third-party summaries. Images may come from anywhere (the
// summaries link them); styles only from the site's own stylesheet.
const pageCSP = "default-src 'none'; style-src 'self'; img-src https: http:; base-uri 'none'; form-action 'none'"

// headerCSP is pageCSP plus what only a header can say.
const headerCSP = pageCSP + "; frame-ancestors 'none'"

// page is what the templates see.
type page struct {
	Site        string
	Title       string
	Description string
	Canonical   string
	Home        string
	Style       string
	OPML        string
	CSP         string // repeated in a <meta> so that a static export keeps it
	Alternates  []feedLink
	Topics      []*topicView // the index
	Topic       *topicView   // a topic's page
	Paging      paging       // a topic's page: older and newer pages
}

// A feedLink is a subscribe or autodiscovery link.
type feedLink struct {
	Label string // "Atom"
	Title string // "World (Atom)"
	Type  string
	URL   string
}

// TypeAttr is the link's type attribute. html/template would write the
// "+" of "application/atom+xml" as "&#43;", which is valid HTML but lost on
// autodiscovery code that matches the attribute as text; the value is one
// of our constant media types, so it is written as is.
func (l feedLink) TypeAttr() template.HTMLAttr {
	return template.HTMLAttr(`type="` + l.Type + `"`)
}

// Feeds lists the topic's feeds, Atom first.
func (v *topicView) Feeds() []feedLink {
	var ls []feedLink
	for _, f := range feedFormats {
		ls = append(ls, feedLink{Label: f.String(), Title: v.Title + " (" + f.String() + ")", Type: f.mediaType(), URL: v.FeedURL(f)})
	}
	return ls
}

// Excerpt is what the topic page shows under an entry's title: the
// summary, or the start of the text when there is none.
//
// The summary is trusted as HTML: the aggregator stores it sanitized
// (Item.Summary's contract), and the page's CSP forbids scripts should a
// sanitizer ever miss one.
func (e *entryView) Excerpt() template.HTML {
	if e.Summary != "" {
		return template.HTML(e.Summary)
	}
	t := e.Text
	if t == "" {
		t = htmlText(e.Content)
	}
	if t == "" || t == e.Title {
		return ""
	}
	return template.HTML(template.HTMLEscapeString(truncateWords(t, 300)))
}

func (s *Server) page(title, description, canonical string) *page {
	return &page{
		Site:        s.o.Title,
		Title:       title,
		Description: description,
		Canonical:   canonical,
		Home:        s.url(""),
		Style:       s.url("style.css"),
		OPML:        s.url("topics.opml"),
		CSP:         pageCSP,
	}
}

// renderTopicPage renders a topic's page, or with pg.Page >= 0 one of its
// archive pages (canonical at its own URL, marked as older stories).
func (s *Server) renderTopicPage(v *topicView, pg paging) ([]byte, error) {
	title, canonical := v.Title+" · "+s.o.Title, v.PageURL
	if pg.Page >= 0 {
		title = v.Title + ", older stories (page " + strconv.Itoa(pg.Page+1) + ") · " + s.o.Title
		canonical = s.archiveURL(v.Topic.Name, pg.Page, HTML)
	}
	p := s.page(title, v.Description, canonical)
	p.Topic = v
	p.Paging = pg
	p.Alternates = v.Feeds()
	return execute("topic.html", p)
}

// renderIndex renders the index page: every topic with its size, its
// newest entry and its feeds.
func (s *Server) renderIndex(ctx context.Context) (*Rendered, error) {
	p := s.page(s.o.Title, "", s.url(""))
	var modified time.Time
	for _, t := range s.o.Topics {
		v, err := s.view(ctx, t)
		if err != nil {
			return nil, err
		}
		p.Topics = append(p.Topics, v)
		p.Alternates = append(p.Alternates, v.Feeds()...)
		if v.Modified.After(modified) {
			modified = v.Modified
		}
	}
	body, err := execute("index.html", p)
	if err != nil {
		return nil, err
	}
	return newRendered(body, HTML.ContentType(), modified), nil
}

func execute(name string, p *page) ([]byte, error) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, p); err != nil {
		return nil, fmt.Errorf("publisher: template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// OPML 2.0: one outline per topic, pointing at its Atom feed. Atom rather
// than RSS because Atom carries what RSS cannot say unambiguously here:
// several authors, both published and updated dates, and an id that is
// required to be unique. type="rss" is what OPML 2.0 uses for any feed.
type opml struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Outline []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Type        string `xml:"type,attr"`
	Text        string `xml:"text,attr"`
	Title       string `xml:"title,attr"`
	Description string `xml:"description,attr,omitempty"`
	XMLURL      string `xml:"xmlUrl,attr"`
	HTMLURL     string `xml:"htmlUrl,attr"`
}

// renderOPML lists the configured topics; it depends on nothing else, so
// New renders it once.
func (s *Server) renderOPML() ([]byte, error) {
	doc := opml{Version: "2.0", Title: s.o.Title}
	for _, t := range s.o.Topics {
		title := firstNonEmpty(t.Title, t.Name)
		doc.Outline = append(doc.Outline, opmlOutline{
			Type:        "rss",
			Text:        title,
			Title:       title,
			Description: t.Description,
			XMLURL:      s.url("topics/" + t.Name + Atom.Ext()),
			HTMLURL:     s.url("topics/" + t.Name),
		})
	}
	return marshalXML(doc)
}
