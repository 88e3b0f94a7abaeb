package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/schedule"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/store"
)

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	withStore := fs.Bool("store", false, "also check the store: every page, and that every index entry points at a stored item or story")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d sources, %d topics\n", cfg.File, len(cfg.Sources), len(cfg.Topics))
	if !*withStore {
		return nil
	}
	st, err := openStore(cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", cfg.Store)
	return nil
}

// cmdCompact rewrites the store with only its live data (see
// store.Compact): the file shrinks after retention removed items.
func cmdCompact(ctx context.Context, e *env, args []string) error {
	if err := e.parse(e.flags(), args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	sz, err := store.Compact(ctx, cfg.Store, store.Options{MaxSize: cfg.StoreMaxSize})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s before, %s after\n", cfg.Store, mib(sz.Before), mib(sz.After))
	return nil
}

// mib writes a byte count in MiB with one decimal.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func cmdPoll(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	ack := fs.Bool("ack", false, "print \"ACK <source URL>\" as soon as each successful poll is committed to the store (for crash tests: what was acknowledged must survive a kill)")
	cfg, st, err := e.open(fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	var observe func(aggregator.Result)
	if *ack {
		var mu sync.Mutex // polls finish on several goroutines
		observe = func(r aggregator.Result) {
			if r.Err == nil {
				mu.Lock()
				fmt.Fprintf(e.stdout, "ACK %s\n", r.Source)
				mu.Unlock()
			}
		}
	}
	agg, err := newAggregator(cfg, st, e.logger(cfg.Log), observe)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range agg.PollAll(ctx) {
		fmt.Fprintln(e.stdout, r)
		if r.Err != nil {
			failed++
		}
	}
	fmt.Fprintf(e.stdout, "%d sources polled, %d failed\n", len(cfg.Sources), failed)
	if n, err := agg.Prune(ctx); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(e.stdout, "retention removed %d items\n", n)
	}
	return ctx.Err()
}

// lastError is a source's last error preceded by its class
// ("parse/too_deep: normalize: XML nested too deeply: …").
func lastError(s feedloom.SourceState) string {
	if s.ErrorClass == "" || s.LastError == "" {
		return s.LastError
	}
	return s.ErrorClass + ": " + s.LastError
}

func cmdSources(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	asJSON := fs.Bool("json", false, "one JSON object a line")
	verbose := fs.Bool("v", false, "also show the schedule, redirects, how entries are identified and the boilerplate learned")
	asOPML := fs.Bool("opml", false, "the sources as OPML 2.0, as /sources.opml serves them")
	cfg, st, err := e.open(fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if *asOPML {
		b, err := newPublisher(cfg, st).SourcesOPML(ctx, configSources{st, cfg.Sources})
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	}
	var details bytes.Buffer
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "NAME\tURL\tSTATE\tLAST SUCCESS\tSTATUS\tERRORS\tNEXT POLL\tEVERY\tWHY\tITEMS\tLAST ERROR")
	}
	enc := json.NewEncoder(e.stdout)
	for _, src := range cfg.Sources {
		s, err := st.SourceState(ctx, src.URL)
		if err != nil {
			return err
		}
		s.State = cmp.Or(s.State, feedloom.StateNew)
		name := src.Name
		if name == "" {
			name = s.Title
		}
		ident, err := aggregator.SourceIdentity(ctx, st, src.URL)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := enc.Encode(struct {
				Name string `json:"name"`
				feedloom.SourceState
				Identity aggregator.Identity `json:"identity"`
			}{name, s, ident}); err != nil {
				return err
			}
			continue
		}
		state := s.State
		if s.Flagged {
			state = "failing-7d"
		}
		every := "-"
		if s.Interval > 0 {
			every = schedule.Short(s.Interval)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\n", name, src.URL, state, when(s.LastSuccess),
			status(s.LastStatus), s.ConsecutiveFails, when(s.NextPoll), every, cmp.Or(s.IntervalReason, "-"), s.Items, clip(lastError(s), 100))
		if *verbose {
			bp, err := aggregator.SourceBoilerplate(ctx, st, src.URL)
			if err != nil {
				return err
			}
			fmt.Fprintf(&details, "\n%s (%s)\n  state: %s\n", name, src.URL, state)
			sourceSchedule(&details, s)
			fmt.Fprintf(&details, "  identity: %s", ident.Mode)
			if ident.Reason != "" {
				fmt.Fprintf(&details, " since %s (%s)", when(ident.Since), ident.Reason)
			}
			details.WriteString("\n")
			if s.LastError != "" {
				fmt.Fprintf(&details, "  last error: %s\n", lastError(s))
			}
			if err := sourceFullText(ctx, &details, st, src); err != nil {
				return err
			}
			for _, l := range bp {
				fmt.Fprintf(&details, "  boilerplate: %q\n", l)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = io.Copy(e.stdout, &details)
	return err
}

// sourceFullText writes the -v line on a source's full text: how its new
// items got their article, or why they kept the feed's summary.
func sourceFullText(ctx context.Context, w io.Writer, st *store.Store, src feedloom.Source) error {
	counts, err := aggregator.SourceFullText(ctx, st, src.URL)
	if err != nil || !src.FullText && len(counts) == 0 {
		return err
	}
	how := "readability"
	if src.FullTextSelector != "" {
		how = fmt.Sprintf("selector %q", src.FullTextSelector)
	}
	if !src.FullText {
		how = "off"
	}
	fmt.Fprintf(w, "  full text: %s", how)
	outcomes := slices.Sorted(maps.Keys(counts))
	for i, o := range outcomes {
		sep := ", "
		if i == 0 {
			sep = "; new items: "
		}
		fmt.Fprintf(w, "%s%d %s", sep, counts[o], o)
	}
	fmt.Fprintln(w)
	return nil
}

// sourceSchedule writes the -v lines on a source's polling: the next poll
// and why, where it moved or is being redirected, how long it has failed,
// when it was retired.
func sourceSchedule(w io.Writer, s feedloom.SourceState) {
	switch {
	case !s.Retired.IsZero():
		fmt.Fprintf(w, "  retired: %s (answered %s); no more polls\n", when(s.Retired), status(s.LastStatus))
	case !s.NextPoll.IsZero():
		fmt.Fprintf(w, "  next poll: %s, every %s: %s\n", when(s.NextPoll), schedule.Short(s.Interval), s.IntervalReason)
	}
	if s.ItemsPerWeek > 0 {
		fmt.Fprintf(w, "  publishes: %.1f items a week\n", s.ItemsPerWeek)
	}
	if s.MovedTo != "" {
		fmt.Fprintf(w, "  moved to: %s (permanent redirects); polled there\n", s.MovedTo)
	}
	if s.RedirectTo != "" {
		fmt.Fprintf(w, "  permanently redirected to %s: %d poll(s) in a row\n", s.RedirectTo, s.Redirects)
	}
	if !s.FailingSince.IsZero() && s.Retired.IsZero() {
		fmt.Fprintf(w, "  failing since: %s (%d in a row)", when(s.FailingSince), s.ConsecutiveFails)
		if s.Flagged {
			fmt.Fprint(w, ", flagged: a week or more")
		}
		fmt.Fprintln(w)
	}
}

func cmdStories(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	topic := fs.String("topic", "", "only stories filed under topic `NAME`")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	limit := fs.Int("limit", 50, "at most `N` stories (0: all)")
	cfg, st, err := e.open(fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := knownTopic(cfg, *topic); err != nil {
		return err
	}
	entries, err := st.Stories(ctx, *topic, *limit)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, en := range entries {
		shown := en.Shown()
		if *asJSON {
			type outlet struct {
				Item   string `json:"item"`
				Source string `json:"source"`
				Name   string `json:"name"`
				URL    string `json:"url"`
				Title  string `json:"title"`
			}
			var outlets []outlet
			for _, it := range en.Items {
				outlets = append(outlets, outlet{it.ID, it.Source, it.SourceName, it.URL, it.Title})
			}
			if err := enc.Encode(struct {
				ID        string   `json:"id"`
				EntryID   string   `json:"entry_id"`
				Title     string   `json:"title"`
				Published string   `json:"published"`
				Updated   string   `json:"updated"`
				Topics    []string `json:"topics"`
				Outlets   []outlet `json:"outlets"`
			}{en.Story.ID, en.Story.EntryID(), shown.Title, en.Story.Published.UTC().Format(time.RFC3339),
				en.Story.Updated.UTC().Format(time.RFC3339), en.Story.Topics, outlets}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s  %s  %s\n", en.Story.Published.Local().Format("2006-01-02 15:04"), en.Story.ID, shown.Title)
		for _, it := range en.Items {
			fmt.Fprintf(e.stdout, "    %-24s %s\n", clip(it.SourceName, 24), it.URL)
		}
	}
	return nil
}

// knownTopic is a usage error unless name is "" or a topic of cfg.
func knownTopic(cfg *config.Config, name string) error {
	if _, ok := cfg.Topic(name); name != "" && !ok {
		return usageError{fmt.Errorf("no topic %q in %s", name, cfg.File)}
	}
	return nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func status(code int) string {
	if code == 0 {
		return "-"
	}
	return fmt.Sprint(code)
}

func cmdItems(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	topic := fs.String("topic", "", "only items filed under topic `NAME`")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	limit := fs.Int("limit", 0, "at most `N` items (0: all)")
	cfg, st, err := e.open(fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := knownTopic(cfg, *topic); err != nil {
		return err
	}
	items, err := st.Items(ctx, store.ItemQuery{Topic: *topic, Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if it.Topics == nil {
				it.Topics = []string{}
			}
			if err := enc.Encode(struct {
				ID         string   `json:"id"`
				Story      string   `json:"story"`
				Source     string   `json:"source"`
				SourceName string   `json:"source_name"`
				GUID       string   `json:"guid"`
				URL        string   `json:"url"`
				Title      string   `json:"title"`
				Published  string   `json:"published"`
				Updated    string   `json:"updated"`
				Authors    []string `json:"authors,omitempty"`
				Topics     []string `json:"topics"`
			}{it.ID, it.Story, it.Source, it.SourceName, it.GUID, it.URL, it.Title,
				it.Published.UTC().Format(time.RFC3339), it.Updated.UTC().Format(time.RFC3339),
				it.Authors, it.Topics}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PUBLISHED\tSOURCE\tTITLE\tTOPICS")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Published.Local().Format("2006-01-02 15:04"),
			clip(it.SourceName, 24), clip(it.Title, 72), strings.Join(it.Topics, ","))
	}
	return tw.Flush()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	out := fs.String("out", "", "write the site into `DIR` (required)")
	cfg, st, err := e.open(fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if *out == "" {
		return usageError{errors.New("-out DIR is required")}
	}
	if err := newPublisher(cfg, st).Export(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exported %d topics to %s\n", len(cfg.Topics), *out)
	return nil
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	if err := e.parse(e.flags(), args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return serve(ctx, e, cfg, ln)
}

// maxHeaderBytes caps a request's line and headers; past it (and the 4 KiB
// net/http adds) the answer is 431.
const maxHeaderBytes = 64 << 10

// serve polls and serves on ln until ctx is done, then stops the HTTP
// server, waits for polls in flight (their contexts are cancelled) and
// closes the store.
func serve(ctx context.Context, e *env, cfg *config.Config, ln net.Listener) error {
	defer ln.Close()
	log := e.logger(cfg.Log)
	token, err := adminToken(cfg)
	if err != nil {
		return err
	}
	st, err := openStore(cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	tel, err := newTelemetry(cfg, st, log)
	if err != nil {
		return err
	}
	agg, err := newAggregator(cfg, st, log, tel.Observe)
	if err != nil {
		return err
	}
	pub := newPublisher(cfg, st)
	ws := newWebSub(cfg, st, agg, log) // nil unless websub.subscribe
	hb := newHub(cfg, st, pub, log)    // nil unless websub.hub
	tel.setWebSub(ws.pushes)
	rl := newReloader(cfg, st, agg, log) // SIGHUP and config file edits (reload.go)
	rl.handler.set(pub)
	rl.hub = hb
	tel.sources = rl.sources
	extra := append(append(tel.routes(pub), ws.routes()...), hb.routes()...)
	srv := newEngine(cfg, tel.Instrument(routes(&rl.handler, append(extra, adminRoutes(token, agg, rl, log)...)...)),
		rl.handler.pub.Load, tel.CountRequest, log)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	ws.start(ctx, &wg)
	hb.start(ctx, &wg)
	rl.ctx = ctx
	if onReloader != nil {
		onReloader(rl)
	}
	wg.Go(func() { rl.watch(ctx) })
	wg.Go(func() { exportLoop(ctx, rl, st, log) })
	defer rl.wait()
	var pollErr error
	wg.Go(func() {
		if err := rl.runAggregator(ctx); err != nil {
			pollErr = err
			cancel()
		}
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "feedloom: serving %d topics from %d sources at %s (listening on %s)\n",
		len(cfg.Topics), len(cfg.Sources), cfg.BaseURL, ln.Addr())
	var err2 error
	select {
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.ShutdownTimeout)
		if err := srv.Shutdown(sctx); err != nil {
			// The deadline passed with requests still running: cut them.
			log.Warn("http shutdown: closing the connections left", "error", err)
			srv.Close()
		}
		scancel()
		err2 = <-serveErr
	case err2 = <-serveErr:
		cancel()
	}
	wg.Wait()
	if err2 != nil && !errors.Is(err2, http.ErrServerClosed) {
		return err2
	}
	if pollErr != nil {
		return pollErr
	}
	fmt.Fprintln(e.stdout, "feedloom: stopped")
	return nil
}
