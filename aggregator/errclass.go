package aggregator

import (
	"context"
	"errors"

	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// ErrStore is matched (errors.Is) by the error of a poll whose document
// was fetched and parsed but whose items or state could not be stored.
var ErrStore = errors.New("aggregator: storing the poll failed")

// storeError marks err as a storing failure (see ErrStore) and keeps its
// message.
type storeError struct{ err error }

func (e *storeError) Error() string        { return e.err.Error() }
func (e *storeError) Unwrap() error        { return e.err }
func (e *storeError) Is(target error) bool { return target == ErrStore }

// storing marks a non-nil error from the store side of a poll, leaving
// parse errors and context errors as they are.
func storing(err error) error {
	if err == nil || errors.Is(err, normalize.ErrParse) || errors.Is(err, ErrStore) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &storeError{err}
}

// ErrorClass returns a short, stable class of a poll's error, for
// `feedloom sources`, the sources page and metrics: "parse/" and the
// normalize.Kind of a document that could not be read ("parse/too_deep",
// "parse/not_feed", ...), "store" for a failure to store what was read,
// and otherwise the class fetch.Classify gives ("blocked", "timeout",
// "http_5xx", ...). It returns "" for a nil error.
func ErrorClass(err error) string {
	if k := normalize.Kind(err); k != "" {
		return "parse/" + k
	}
	if errors.Is(err, ErrStore) {
		return "store"
	}
	return fetch.Classify(err)
}
