package aggregator

import (
	"net/http"
	"sync/atomic"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
)

// A Document is a feed document as a poll fetched it, before parsing.
type Document struct {
	URL    string      // the final URL, after redirects
	Header http.Header // the response headers
	Body   []byte      // decompressed
}

// DocumentFunc receives every document a poll fetched and stored
// successfully (a 200, not a 304 or a failure), for example to discover
// the WebSub hub a feed advertises. It is called from the polling worker
// and must not block; it must not modify the document.
type DocumentFunc func(feedloom.Source, Document)

// OnDocument sets the function called with each successfully polled
// document; nil removes it. It may be called at any time, also while Run
// polls.
func (a *Aggregator) OnDocument(f DocumentFunc) {
	if f == nil {
		a.onDocument.Store(nil)
		return
	}
	a.onDocument.Store(&f)
}

// polled hands a successfully polled document to the OnDocument function.
func (a *Aggregator) polled(src feedloom.Source, resp *fetch.Response, err error) {
	f := a.onDocument.Load()
	if f == nil || err != nil || resp == nil || resp.NotModified {
		return
	}
	(*f)(src, Document{URL: resp.URL, Header: resp.Header, Body: resp.Body})
}

// documentHook holds the OnDocument function; it is safe to swap while
// polls run.
type documentHook = atomic.Pointer[DocumentFunc]
