package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the origins' child process, as
// the command does.
func TestMain(m *testing.M) {
	if os.Getenv(originsEnv) != "" {
		os.Exit(serveOrigins(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestRun polls 200 synthetic sources on 10 loopback hosts three times:
// every feed is fetched and stored, then only the 2 changed feeds are
// (one new item each) while the others answer 304, then every feed
// answers 304.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	rep, err := run(ctx, []string{"-sources", "200", "-items", "5", "-dir", t.TempDir()}, &out, &errs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	if rep.Setup.Hosts != 10 || len(rep.Cycles) != 3 || rep.Setup.Workers != 16 || rep.Setup.PerHostLimit != 2 {
		t.Fatalf("%d hosts, %d cycles, %d workers, %d per host; want 10, 3, 16, 2 (the config's defaults)",
			rep.Setup.Hosts, len(rep.Cycles), rep.Setup.Workers, rep.Setup.PerHostLimit)
	}
	type want struct{ changed, requests, ok, notModified, items int }
	for i, w := range []want{
		{0, 200, 200, 0, 1000},
		{2, 200, 2, 198, 2},
		{0, 200, 0, 200, 0},
	} {
		c := rep.Cycles[i]
		got := want{c.Changed, int(c.Requests), int(c.OK), int(c.NotModified), c.Items}
		if got != w || c.Errors != 0 {
			t.Errorf("cycle %s: got %+v, %d errors (%s); want %+v", c.Name, got, c.Errors, c.FirstError, w)
		}
		if c.Wall <= 0 || c.PeakRSS <= 0 || c.MaxInFlight < 1 {
			t.Errorf("cycle %s: wall %v, peak RSS %d, max in flight %d", c.Name, c.Wall, c.PeakRSS, c.MaxInFlight)
		}
	}
	if rep.Store.Items != 1002 || rep.Store.Stories < 1 || rep.Store.Stories > rep.Store.Items {
		t.Errorf("store: %+v, want 1002 items", rep.Store)
	}
	if rep.Gofeed.Items != 1000 || rep.Ratio <= 0 {
		t.Errorf("gofeed baseline: %d items, ratio %v; want 1000 items", rep.Gofeed.Items, rep.Ratio)
	}
	if len(rep.Targets) != 3 {
		t.Errorf("%d targets, want 3", len(rep.Targets))
	}
	for _, s := range []string{"1 first poll", "2 1% changed", "3 none changed", "gofeed alone", "target peak RSS"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}

// TestFeeds checks the synthetic feeds: deterministic, the sizes asked
// for, a new version with one new item on top, and distinct ETags.
func TestFeeds(t *testing.T) {
	g := gen{Sources: 40, Items: 20, PerHost: 20, Wire: 0.1, Seed: 1, T0: 1767225600}
	a, b := g.body(3, 0), g.body(3, 0)
	if !bytes.Equal(a, b) {
		t.Fatal("body is not deterministic")
	}
	if n := bytes.Count(a, []byte("<item>")); n != 20 {
		t.Errorf("%d items, want 20", n)
	}
	if per := len(a) / 20; per < 1000 || per > 3000 {
		t.Errorf("%d bytes an item, want 1000–3000", per)
	}
	next := g.body(3, 1)
	if !bytes.Contains(next, []byte("<guid isPermaLink=\"false\">outlet0-3-20</guid>")) || bytes.Contains(next, []byte(">outlet0-3-0<")) {
		t.Error("version 1 should add item 20 and drop item 0")
	}
	if g.etag(3, 0) == g.etag(3, 1) || g.etag(3, 0) == g.etag(4, 0) {
		t.Error("ETags should differ between versions and feeds")
	}
	names := map[string]bool{}
	for h := range 1000 {
		n := outletName(h)
		if strings.ContainsAny(n, "0123456789") || names[n] {
			t.Fatalf("outlet %d is named %q: a digit, or a name given twice", h, n)
		}
		names[n] = true
	}
	if hostIP(0) != "127.0.1.1" || hostIP(253) != "127.0.1.254" || hostIP(254) != "127.0.2.1" {
		t.Errorf("hostIP: %s %s %s", hostIP(0), hostIP(253), hostIP(254))
	}
}

// TestLoadSmoke runs the load test small and short, so the command keeps
// working: both phases serve requests, none fails.
func TestLoadSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	phases, err := runLoad(ctx, []string{"-subscribers", "8", "-sources", "20", "-items", "3", "-duration", "1s"}, &out, &errs)
	if err != nil {
		t.Fatalf("load: %v\n%s%s", err, out.String(), errs.String())
	}
	if len(phases) != 2 || phases[0].Requests == 0 || phases[1].Requests == 0 {
		t.Fatalf("phases %+v: want two, each with requests", phases)
	}
	if !strings.Contains(out.String(), "while polling ÷ baseline") {
		t.Errorf("report without the ratio:\n%s", out.String())
	}
}
