package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTopicsRebuild: after the rules change, `topics rebuild` re-files
// the stored items; its progress is a bar on a terminal and plain lines
// otherwise.
func TestTopicsRebuild(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/demo")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "feedloom.db"))
	cfg := filepath.Join(dir, "feedloom.yaml")
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 {
		t.Fatalf("poll: %d\n%s%s", code, out, errOut)
	}
	before := len(items(t, cfg, "-topic", "missile-defense"))
	if before == 0 {
		t.Fatal("missile-defense is empty after the poll")
	}
	b, _ := os.ReadFile(cfg)
	// The topic now takes only S-500 news.
	edited := strings.Replace(string(b), `any: ["missile defense", "ballistic missile", "air defense"]`, `any: ["S-500"]`, 1)
	if edited == string(b) {
		t.Fatal("the demo config changed: fix the test")
	}
	if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	old := isTerminal
	t.Cleanup(func() { isTerminal = old })
	for _, tty := range []bool{false, true} {
		isTerminal = func(any) bool { return tty }
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"topics", "rebuild", "missile-defense", "-config", cfg}, &stdout, &stderr); code != 0 {
			t.Fatalf("rebuild exited %d\n%s%s", code, stdout.String(), stderr.String())
		}
		out := stdout.String()
		if tty != strings.Contains(out, "\r[") || tty == strings.Contains(out, "items (100%)\n") {
			t.Errorf("tty %v: progress\n%q", tty, out)
		}
		if !strings.Contains(out, "rebuilt missile-defense: ") {
			t.Errorf("no summary line:\n%s", out)
		}
	}
	after := items(t, cfg, "-topic", "missile-defense")
	if len(after) == 0 || len(after) >= before {
		t.Fatalf("missile-defense has %d items after the rebuild, had %d", len(after), before)
	}
	for _, it := range after {
		if !strings.Contains(it.Title, "S-500") {
			t.Errorf("%q is still in the topic", it.Title)
		}
	}
	if len(items(t, cfg, "-topic", "everything")) == 0 {
		t.Error("a topic not named lost its items")
	}
	if code, _, errOut := run(t, "topics", "rebuild", "nope", "-config", cfg); code != exitUsage || !strings.Contains(errOut, `no topic "nope"`) {
		t.Errorf("unknown topic: %d %s", code, errOut)
	}
}
