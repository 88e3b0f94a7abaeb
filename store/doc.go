// Package store keeps feedloom's state in one bbolt file: sources and their
// polling state, items, stories, and a time-ordered index per topic. It is
// the only package that imports bbolt; no transaction leaves it.
//
// # Basics
//
// Open the file once per process. A second process that opens the same file
// fails after Options.LockTimeout with ErrLocked rather than waiting.
// Writes go through Update, which hands a *Writer to a function: everything
// the function does commits together, or nothing does. One poll of one source
// is one Update: its items, their indexes and the source's ETag and
// Last-Modified are stored together. Commits are fsynced (bbolt's default;
// feedloom never sets NoSync), so what Update committed survives a kill.
//
// A damaged or foreign file is refused by Open (ErrForeign, ErrCorrupt)
// without a byte of it changed. Options.MaxSize caps the file: a write past
// it fails with ErrFull and the rest keeps working. Deleted space stays in
// the file until Compact rewrites it.
//
// # Layout
//
//	meta         "schema" → version
//	sources      source URL → SourceState (JSON)
//	items        item ID → Item (JSON)
//	item_time    published (8 bytes, big-endian ns) + item ID → item ID
//	item_seen    first seen (8 bytes) + item ID → item ID (retention by age)
//	source_items source URL + 0x00 + first seen (8 bytes) + item ID → item ID
//	source_urls  source URL + 0x00 + canonical URL → item ID
//	tombstones   item ID → time removed (8 bytes): never stored again
//	urls         canonical URL → story ID
//	stories      story ID → Story (JSON)
//	topics       one sub-bucket per topic: story published (8 bytes) + story ID → nil,
//	             where published is the story's shown member's
//	topic_meta   topic name → version (8 bytes, big-endian)
//	source_meta  source URL + 0x00 + name → the value a caller stored (see Writer.PutSourceMeta)
//	near         published week (4 bytes) + band length (1) + band + published (8) + item ID → nil
//	near_sig     item ID → story ID, published, bands and signature (see near.go)
//	articles     page's canonical URL [+ 0x00 + CSS selector] → last used (8 bytes) + Article (JSON): an item page's full text, or why there is none
//
// # Caveats
//
// Values are decoded into fresh Go values before a transaction ends, so
// nothing returned aliases bbolt's memory map. Keep read methods short: a
// long read transaction delays writers that need to grow the file.
package store
