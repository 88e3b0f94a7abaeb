// Package normalize turns a fetched feed document into feedloom items.
//
// [Parse] reads the bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) with gofeed,
// after choosing the character encoding, repairing invalid UTF-8 and
// rejecting documents that would crash gofeed. [Items] turns each entry into
// one [feedloom.Item]: a stable key, a canonical link, a clean title,
// sanitized HTML, plain text for matching, authors, categories, enclosures
// and clamped dates. [ParseDate] reads the sloppy dates gofeed gives up on
// ("11May 2019 - 14:08", "Dom, 16 Jun 2024 …", Russian, French and Persian
// month names, Solar Hijri dates).
//
// # Hostile documents
//
// Parse is the parse guard. The character encoding is chosen by one rule:
// a byte order mark, then the XML declaration, then the HTTP charset (not
// applied to a document that is already valid, non-ASCII UTF-8), then
// UTF-8; invalid UTF-8 becomes U+FFFD and C0 controls are dropped before
// gofeed reads anything, so one bad byte does not lose the feed. XML is
// scanned without building anything before gofeed sees it: nesting past
// 512 levels (gofeed v1.4.2 recurses once per level and dies of a stack
// overflow that recover cannot catch) and more than 5,000 entries are
// refused. Every gofeed call runs under recover. Each refusal is an error
// matching ErrParse whose Kind ("too_deep", "too_many_items", "charset",
// "parser_panic", "not_feed", "malformed") the aggregator records and
// counts.
//
// # Caveats
//
// gofeed is a parser, not a sanitizer: it passes javascript: links through,
// applies any xml:base (turning a relative link under xml:base="javascript:…"
// into javascript:///x), and returns Atom xhtml titles with raw markup. Every
// string that leaves this package has gone through [CanonicalURL],
// [Sanitize], [PlainText] or [CleanText].
//
// Nothing here keeps state between calls; every function is safe for
// concurrent use.
package normalize
