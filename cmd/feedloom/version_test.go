package main

import (
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersionFromVCS builds the real binary with VCS stamping from a git
// repository made for the test (a copy of this module's sources with one
// commit at a known time), so it holds wherever the test runs: in a fresh
// clone, in a git worktree (where the go command stamps nothing) or in an
// unpacked tarball. GOFLAGS may carry -buildvcs=false; the flag given on
// the command line wins.
func TestVersionFromVCS(t *testing.T) {
	t.Parallel() // mostly waiting on the go command
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to test VCS stamping: %v", err)
	}
	src := copyModule(t)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gitBin, append([]string{"-c", "user.name=feedloom test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z", "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	git("tag", "v1.4.0")
	rev := git("rev-parse", "HEAD")

	// A clean checkout of a tagged commit: the tag is the version.
	out := buildAndRun(t, src, "-buildvcs=true")
	for _, want := range []string{
		"feedloom v1.4.0 " + rev[:12] + "\n",
		"version   v1.4.0\n",
		"revision  " + rev + "\n",
		"modified  false\n",
		"time      2026-01-02T03:04:05Z\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("version of a clean tagged checkout lacks %q:\n%s", want, out)
		}
	}

	// An uncommitted file makes the checkout modified.
	if err := os.WriteFile(filepath.Join(src, "NOTES"), []byte("local change\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = buildAndRun(t, src, "-buildvcs=true")
	for _, want := range []string{"feedloom v1.4.0+dirty " + rev[:12] + "\n", "revision  " + rev + "\n", "modified  true\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("version of a modified checkout lacks %q:\n%s", want, out)
		}
	}

	// A packager's build without VCS information, versioned by the linker.
	out = buildAndRun(t, src, "-buildvcs=false", "-ldflags=-X github.com/feedloom/feedloom.version=v2.0.0 -X github.com/feedloom/feedloom.revision=4a5b6c7d8e9f0a1b")
	for _, want := range []string{"feedloom v2.0.0 4a5b6c7d8e9f\n", "version   v2.0.0\n", "revision  4a5b6c7d8e9f0a1b\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("version with linker overrides lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "time ") {
		t.Errorf("version without VCS information shows a time:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^go        go1\.\d+\S* \w+/\w+$`).MatchString(out) {
		t.Errorf("version lacks the toolchain line:\n%s", out)
	}
}

// buildAndRun builds ./cmd/feedloom in the module at dir with the given
// flags and returns what "feedloom version" prints.
func buildAndRun(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "feedloom")
	args := append([]string{"build", "-trimpath", "-o", bin}, flags...)
	cmd := exec.Command(goTool(t), append(args, "./cmd/feedloom")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("feedloom version: %v\n%s", err, out)
	}
	return string(out)
}

// goTool is the go command of the toolchain running the test.
func goTool(t *testing.T) string {
	t.Helper()
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command: %v", err)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// copyModule copies what building ./cmd/feedloom needs from this module
// (every file but tests, testdata, databases and anything under a dot
// directory) to a temporary directory and returns it.
func copyModule(t *testing.T) string {
	t.Helper()
	return copyTree(t, func(rel string, d fs.DirEntry) bool {
		name := d.Name()
		if d.IsDir() {
			return strings.HasPrefix(name, ".") || name == "testdata"
		}
		return strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".db")
	})
}

// copyTree copies this module's files to a temporary directory, leaving
// out every file and directory skip reports (rel is slash-separated and
// relative to the module root), and returns the directory.
func copyTree(t *testing.T, skip func(rel string, d fs.DirEntry) bool) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if !fileExists(filepath.Join(root, "go.mod")) {
		t.Fatalf("no go.mod in %s", root)
	}
	dst := t.TempDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		switch {
		case skip(filepath.ToSlash(rel), d) && d.IsDir():
			return filepath.SkipDir
		case skip(filepath.ToSlash(rel), d) || !d.IsDir() && !d.Type().IsRegular():
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
