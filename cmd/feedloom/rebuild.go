package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/publisher/rules"
)

// isTerminal reports whether f, an output or input stream, is a terminal:
// a rebuild or an import then draws a progress bar instead of printing
// progress lines, and add may ask which feed to take. Tests replace it.
var isTerminal = func(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && isTTY(f)
}

// cmdTopicsRebuild re-files every stored item under the topics of the
// config as it is now: the named topics, or every topic (and none that
// the config no longer has) without names.
func cmdTopicsRebuild(ctx context.Context, e *env, args []string) error {
	names, err := e.parseArgs(e.flags(), args)
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := knownTopic(cfg, n); err != nil {
			return err
		}
	}
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		return err
	}
	st, err := openStore(cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	var classify func(*feedloom.Item) []string
	if len(names) > 0 {
		slices.Sort(names)
		classify = topicClassifier(set, cfg.Sources, slices.Compact(names), now)
	} else {
		bySource := map[string]feedloom.Source{}
		for _, s := range cfg.Sources {
			bySource[s.URL] = s
		}
		classify = func(it *feedloom.Item) []string {
			src, ok := bySource[it.Source]
			if !ok {
				src = feedloom.Source{URL: it.Source}
			}
			return set.ClassifyAt(it, src, now)
		}
	}
	what := "every topic"
	if len(names) > 0 {
		what = strings.Join(names, ", ")
	}
	p := newProgress(e.stdout, isTerminal(e.stdout), "items")
	start := time.Now()
	err = st.RebuildTopics(ctx, classify, p.update)
	p.end()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt %s: %d items in %s\n", what, p.total, time.Since(start).Round(time.Millisecond))
	return nil
}

// progress shows how far a rebuild or an import is: a bar redrawn in
// place on a terminal, else a line per step (at most one per 10%).
type progress struct {
	w         io.Writer
	tty       bool
	unit      string // what is counted: "items"
	total     int
	lastTenth int
	drawn     bool
}

func newProgress(w io.Writer, tty bool, unit string) *progress {
	return &progress{w: w, tty: tty, unit: unit, lastTenth: -1}
}

const barWidth = 30

func (p *progress) update(done, total int) {
	p.total = total
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	if p.tty {
		n := barWidth * pct / 100
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d %s", strings.Repeat("#", n), strings.Repeat(" ", barWidth-n), pct, done, total, p.unit)
		p.drawn = true
		return
	}
	if tenth := pct / 10; tenth != p.lastTenth {
		p.lastTenth = tenth
		fmt.Fprintf(p.w, "%d/%d %s (%d%%)\n", done, total, p.unit, pct)
	}
}

func (p *progress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
