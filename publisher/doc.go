// Package publisher turns stored stories into what subscribers read: for
// every topic an RSS 2.0, an Atom 1.0 and a JSON Feed 1.1 feed and an HTML
// page, plus an index page and an OPML list of the topics. It serves them
// over HTTP (Server.Handler) and writes them to a folder for static
// hosting (Server.Export).
//
// # Rendering
//
// Feeds are built with gorilla/feeds and then corrected by wrapping its
// typed structs (see rss.go, atom.go and jsonfeed.go for what each format
// fixes). Every entry is one story: its id is the story's EntryID (a
// urn:uuid that never changes), its title, link and content are those of
// the story's shown item, and every outlet that carried it is credited.
// Output is deterministic: no build time and no random ids go into it, and
// entries are ordered newest Story.Published first, then by story ID, so
// unchanged data renders to the same bytes and the ETag means something.
//
// # Caching
//
// Rendered bytes are cached per topic and format and rendered again only
// when the store's TopicVersion of the topic changes; each request reads
// that version, a small read. The gzip variant is compressed once per
// render and has its own ETag ("…-gz").
//
// # JSON Feed extension
//
// Each JSON Feed item has a "_feedloom" object (keys that start with an
// underscore are extensions in JSON Feed 1.1):
//
//	"_feedloom": {
//	  "about": "<this file's URL>",
//	  "outlets": [
//	    {"name": "Outlet", "url": "https://outlet.example/story", "feed_url": "https://outlet.example/feed"}
//	  ]
//	}
//
// outlets lists every outlet that carried the story, the shown one first;
// feed_url is present when the origin feed is an http(s) URL.
package publisher
