// Package clean removes what a source wraps around every entry (page
// chrome such as "News ID: 77346", "Message end/", "your comment", "Share
// on Facebook Twitter", copyright lines) and the title where the body
// repeats it, and finds a publication date in an entry's text.
//
// # Learning
//
// A [Model] belongs to one source. [Model.Learn] counts, for each line of
// each new item (one line a paragraph or block, as in Item.Text), the
// item's line shapes: the line lower-cased with its volatile parts
// replaced, so "News ID: 77346" and "News ID: 77351" are one shape "news
// id: #", and "Publish Date: 11May 2019 - 14:08" is "publish date: @date".
// A shape is boilerplate when it is in at least 40% of the source's recent
// items and in at least 3 of them; a line longer than 300 characters needs
// 60% and 5 items. Counts fade as items arrive (an item's weight halves
// after about 140 newer items), so a source that changes its template is
// relearned, and the model keeps at most 200 shapes. A few lines that are
// chrome everywhere ("read more", "your comment", "share on …", "the post
// … appeared first on …") are boilerplate from the start.
//
// # Cleaning
//
// [Model.Clean] removes the blocks and lines whose shape is boilerplate
// from an item's sanitized HTML and from its text, and the title repeated
// at the start of the body. The rest of the markup is kept; what is left
// goes through normalize.Sanitize again, so the sanitizer still has the
// last word. An item that would be left without text is not changed.
//
// # Order
//
// For each poll: [BodyDate] on the new items that have no date (Clean may
// remove the date line), then Learn on the new items, then Clean on each.
// A Model is a plain value: it is not safe for concurrent use, and it
// marshals to JSON for the store.
package clean
