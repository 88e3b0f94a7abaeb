package aggregator

import (
	"sync/atomic"

	"github.com/feedloom/feedloom"
)

// reloadState holds what a config reload replaces while the aggregator
// runs (see SetClassify).
type reloadState struct {
	classify atomic.Pointer[classifyFunc]
	set      atomic.Bool // SetClassify was called: classify replaces Options.Classify
}

type classifyFunc = func(*feedloom.Item, feedloom.Source) []string

// SetClassify replaces Options.Classify: the items stored from now on are
// filed by classify (nil files nothing). It is safe to call at any time,
// also while Run polls; a poll in flight may still use the old one.
func (a *Aggregator) SetClassify(classify func(*feedloom.Item, feedloom.Source) []string) {
	a.reload.classify.Store(&classify)
	a.reload.set.Store(true)
}

// classify is the function that files items now.
func (a *Aggregator) classify() classifyFunc {
	if a.reload.set.Load() {
		return *a.reload.classify.Load()
	}
	return a.o.Classify
}

// SetSources replaces the sources polled. It must not be called while Run
// or PollAll runs: the caller stops Run (cancelling its context and
// waiting for it to return), calls SetSources, and starts Run again, which
// picks every source up at its stored next poll (a new source is due at
// once). Push state (SetPushed) is kept.
func (a *Aggregator) SetSources(sources []feedloom.Source) {
	a.sources = append([]feedloom.Source(nil), sources...)
	a.index = make(map[string]int, len(sources))
	for i, src := range a.sources {
		a.index[src.URL] = i
	}
}

// Sources returns the sources polled (a copy). Like SetSources, it must
// not be called while Run runs.
func (a *Aggregator) Sources() []feedloom.Source {
	return append([]feedloom.Source(nil), a.sources...)
}
