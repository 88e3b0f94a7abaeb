package publisher

import "strings"

// A Format is one representation of a topic.
type Format int

// The formats a topic is published in. The zero Format is invalid.
const (
	RSS  Format = iota + 1 // RSS 2.0, topics/NAME.rss
	Atom                   // Atom 1.0, topics/NAME.atom
	JSON                   // JSON Feed 1.1, topics/NAME.json
	HTML                   // the topic's page, topics/NAME
)

// formats lists every Format, feeds first.
var formats = []Format{RSS, Atom, JSON, HTML}

// feedFormats lists the formats that are feeds, in the order pages offer
// them.
var feedFormats = []Format{Atom, RSS, JSON}

// Ext is the file extension of the format's URL: ".rss", ".atom", ".json",
// or "" for HTML (the page is at the bare topic name).
func (f Format) Ext() string {
	switch f {
	case RSS:
		return ".rss"
	case Atom:
		return ".atom"
	case JSON:
		return ".json"
	}
	return ""
}

// ContentType is the media type the format is served with.
func (f Format) ContentType() string {
	switch f {
	case RSS:
		return "application/rss+xml; charset=utf-8"
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case JSON:
		return "application/feed+json; charset=utf-8"
	case HTML:
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}

// mediaType is ContentType without parameters, as autodiscovery links
// carry it.
func (f Format) mediaType() string {
	t, _, _ := strings.Cut(f.ContentType(), ";")
	return t
}

// String names the format as people call it.
func (f Format) String() string {
	switch f {
	case RSS:
		return "RSS"
	case Atom:
		return "Atom"
	case JSON:
		return "JSON Feed"
	case HTML:
		return "HTML"
	}
	return "Format(?)"
}

// splitFile splits the last segment of /topics/{file} into a topic name
// and a format: "world.atom" → ("world", Atom), "world" → ("world", HTML).
// ok is false for an unknown extension. Topic names hold no dots, so the
// last dot is the only one.
func splitFile(file string) (name string, f Format, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, HTML, true
	}
	for _, f := range feedFormats {
		if file[i:] == f.Ext() {
			return file[:i], f, true
		}
	}
	return "", 0, false
}
