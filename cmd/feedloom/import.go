package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/discover"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/assemble"
)

// The outcomes of importing one outline.
const (
	outcomeAdded       = "added"
	outcomePresent     = "already present"
	outcomeUnreachable = "unreachable"
	outcomeNotFeed     = "not a feed"
)

// An imported outline and what came of it.
type imported struct {
	config.Outline
	outcome string
	detail  string         // why it was not added
	feed    *discover.Feed // when it was checked and is a feed
}

// cmdImport adds the feeds of an OPML file that the config does not have
// yet. Each one is fetched first, through the fetch guard, and only those
// that answer with a feed are added; the rest are listed.
func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	tags := fs.String("tags", "", "comma-separated `tags` for every imported source, besides its folder")
	workers := fs.Int("workers", 8, "check at most `N` feeds at once")
	pos, err := e.parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("give one OPML file: feedloom import FILE.opml [-tags a,b]")}
	}
	if *workers < 1 {
		return usageError{errors.New("-workers must be at least 1")}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	outlines, err := config.ReadOPML(pos[0])
	if err != nil {
		return err
	}
	list := make([]*imported, len(outlines))
	var check []*imported
	known := discover.NewKnown(cfg.Sources)
	for i, o := range outlines {
		im := &imported{Outline: o}
		list[i] = im
		if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			im.outcome, im.detail = outcomeUnreachable, "not an http or https URL"
			continue
		} else if u.User != nil {
			im.outcome, im.detail = outcomeUnreachable, "the URL holds a user name or password, which a config does not keep"
			continue
		}
		if _, ok := known.Lookup(o.URL); ok {
			im.outcome = outcomePresent
			continue
		}
		known.Add(feedloom.Source{URL: o.URL}) // a second outline with the feed is already present
		check = append(check, im)
	}

	client := fetch.New(assemble.FetchOptions(cfg))
	defer client.CloseIdleConnections()
	tty := isTerminal(e.stdout)
	p := newProgress(e.stdout, tty, "feeds checked")
	done := 0
	checkFeeds(ctx, client, check, *workers, func(im *imported) {
		done++
		if tty {
			p.update(done, len(check))
			return
		}
		fmt.Fprintf(e.stdout, "[%d/%d] %s: %s\n", done, len(check), cmp.Or(im.outcome, "ok"), im.URL)
	})
	p.end()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: nothing added: %w", err)
	}

	var srcs []feedloom.Source
	extra := tagList(*tags)
	for _, im := range list {
		if im.outcome != "" {
			continue
		}
		// A feed that redirected permanently may land on one the config has.
		if _, ok := known.Lookup(im.feed.URL); ok && im.feed.URL != im.URL {
			im.outcome = outcomePresent
			continue
		}
		known.Add(feedloom.Source{URL: im.feed.URL})
		im.outcome = outcomeAdded
		tags := append(append([]string{im.Folder}, im.Categories...), extra...)
		for i, t := range tags {
			tags[i] = oneLine(t)
		}
		srcs = append(srcs, feedloom.Source{
			URL:  im.feed.URL,
			Name: cmp.Or(oneLine(im.Title), im.feed.Title),
			Tags: cleanTags(tags),
		})
	}
	if len(srcs) > 0 {
		data, err := os.ReadFile(cfg.File)
		if err != nil {
			return err
		}
		out, _, err := config.AddSources(cfg.File, data, srcs)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.File, err)
		}
		if err := config.WriteFile(cfg.File, data, out); err != nil {
			return err
		}
	}
	importSummary(e, pos[0], cfg.File, list)
	return nil
}

// checkFeeds fetches every outline of list with at most workers at once,
// and calls done, from the calling goroutine, as each one finishes. It
// returns when all are done; cancelling ctx makes the rest fail fast.
func checkFeeds(ctx context.Context, client *fetch.Client, list []*imported, workers int, done func(*imported)) {
	jobs := make(chan *imported)
	results := make(chan *imported)
	var wg sync.WaitGroup
	for range min(workers, len(list)) {
		wg.Go(func() {
			for im := range jobs {
				f, err := discover.Check(ctx, client, im.URL)
				switch {
				case errors.Is(err, discover.ErrNotFeed):
					im.outcome, im.detail = outcomeNotFeed, strings.TrimPrefix(err.Error(), discover.ErrNotFeed.Error()+": ")
				case err != nil:
					im.outcome, im.detail = outcomeUnreachable, strings.TrimPrefix(err.Error(), discover.ErrUnreachable.Error()+": ")
				default:
					im.feed = f
				}
				results <- im
			}
		})
	}
	go func() {
		for _, im := range list {
			jobs <- im
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	for im := range results {
		done(im)
	}
}

// importSummary prints the counts and every outline that was not added,
// with the reason.
func importSummary(e *env, opml, file string, list []*imported) {
	count := map[string]int{}
	for _, im := range list {
		count[im.outcome]++
	}
	fmt.Fprintf(e.stdout, "%s: %d added to %s, %d already present, %d unreachable, %d not a feed\n", opml,
		count[outcomeAdded], file, count[outcomePresent], count[outcomeUnreachable], count[outcomeNotFeed])
	for _, what := range []string{outcomeUnreachable, outcomeNotFeed} {
		if count[what] == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "%s (not added):\n", what)
		for _, im := range slices.DeleteFunc(slices.Clone(list), func(im *imported) bool { return im.outcome != what }) {
			fmt.Fprintf(e.stdout, "  %s:%d %s: %s\n", opml, im.Line, im.URL, clip(im.detail, 160))
		}
	}
}
