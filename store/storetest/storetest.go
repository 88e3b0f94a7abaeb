// Package storetest opens real stores for tests.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/feedloom/feedloom/store"
)

// Open opens a store in a temporary directory. When the test ends it runs
// Store.Check (bbolt's page check and feedloom's invariants), reporting any
// problem as a test error, and closes the store.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(filepath.Join(tb.TempDir(), "feedloom.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := st.Check(context.Background()); err != nil {
			tb.Error(err)
		}
		st.Close()
	})
	return st
}
