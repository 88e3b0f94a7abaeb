package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Case 30: commits are fsynced (bbolt's default). Nothing in feedloom may
// turn that off: the open store says so, and no source file sets bbolt's
// NoSync or NoGrowSync.
func TestNeverNoSync(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "feedloom.db"), Options{MaxSize: 1 << 30, VerifyPages: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.db.NoSync || s.db.NoGrowSync {
		t.Errorf("NoSync %v, NoGrowSync %v: commits are not durable", s.db.NoSync, s.db.NoGrowSync)
	}
	root := ".."
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := setsNoSync.Find(b); m != nil {
			t.Errorf("%s: %s", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setsNoSync matches a field set in a composite literal or by assignment.
var setsNoSync = regexp.MustCompile(`No(Grow)?Sync\s*(:|=[^=])`)
