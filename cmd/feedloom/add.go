package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/discover"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/assemble"
)

// parseArgs parses fs from args, where flags and positional arguments may
// come in any order, and returns the positional ones.
func (e *env) parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// tagList splits a -tags value ("a, b,c") into its tags.
func tagList(s string) []string { return cleanTags(strings.Split(s, ",")) }

// cleanTags trims tags and drops the empty ones and repeats.
func cleanTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// cmdAdd adds one source to the config file: the feed at the URL given,
// or the one a page at that URL leads to.
func cmdAdd(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	name := fs.String("name", "", "the source's `name` (default: the feed's title)")
	tags := fs.String("tags", "", "comma-separated `tags` for the source")
	topic := fs.String("topic", "", "make topic `T` take the source (see the README)")
	pick := fs.Int("pick", 0, "when the page offers several feeds, take the `N`th listed, without asking")
	pos, err := e.parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("give one URL: feedloom add URL [-name N] [-tags a,b] [-topic T] [-pick N]")}
	}
	if *pick < 0 {
		return usageError{errors.New("-pick counts from 1")}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if err := knownTopic(cfg, *topic); err != nil {
		return err
	}
	known := discover.NewKnown(cfg.Sources)
	if err := notKnown(known, pos[0]); err != nil {
		return err
	}
	client := fetch.New(assemble.FetchOptions(cfg))
	defer client.CloseIdleConnections()

	found, err := discover.Find(ctx, client, pos[0])
	if err != nil {
		return err
	}
	c, err := e.choose(found, known, *pick)
	if err != nil {
		return err
	}
	feed := c.Feed
	if feed == nil {
		if feed, err = discover.Check(ctx, client, c.URL); err != nil {
			return fmt.Errorf("%s: %w", c.URL, err)
		}
	}
	for _, u := range []string{c.URL, feed.URL} {
		if err := notKnown(known, u); err != nil {
			return err
		}
	}
	showFeed(e.stdout, feed)

	src := feedloom.Source{URL: feed.URL, Name: cmp.Or(*name, feed.Title), Tags: tagList(*tags)}
	byURL, err := topicTakes(e.stdout, cfg, *topic, &src)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(cfg.File)
	if err != nil {
		return err
	}
	// The topic first: its errors then name lines of the file as it is.
	out := data
	if byURL {
		out, _, err = config.AddTopicSource(cfg.File, out, *topic, src.URL)
	}
	var next *config.Config
	if err == nil {
		out, next, err = config.AddSources(cfg.File, out, []feedloom.Source{src})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.File, err)
	}
	if err := config.WriteFile(cfg.File, data, out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added %s to %s (%d sources); a running serve picks it up by itself\n",
		cmp.Or(src.Name, src.URL), cfg.File, len(next.Sources))
	return nil
}

// notKnown refuses u when the config already has that feed.
func notKnown(known *discover.Known, u string) error {
	if s, ok := known.Lookup(u); ok {
		if s.Name != "" {
			return fmt.Errorf("%s is already a source: %q (%s)", u, s.Name, s.URL)
		}
		return fmt.Errorf("%s is already a source (%s)", u, s.URL)
	}
	return nil
}

// choose lists what Find found and returns the candidate to add: the one
// there is; the -pick'th; the one the user names at a prompt when
// standard input is a terminal. Anything else is an error that lists the
// candidates: a script must say which one it wants.
func (e *env) choose(found *discover.Result, known *discover.Known, pick int) (discover.Candidate, error) {
	cs := found.Candidates
	switch {
	case found.IsFeed:
		fmt.Fprintf(e.stdout, "%s is a feed\n", cs[0].URL)
	case found.Fallback:
		fmt.Fprintf(e.stdout, "%s advertises no feed; found at the usual paths:\n", found.Page)
	default:
		fmt.Fprintf(e.stdout, "%s advertises %d %s:\n", found.Page, len(cs), plural(len(cs), "feed", "feeds"))
	}
	if !found.IsFeed {
		for i, c := range cs {
			note := ""
			if _, ok := known.Lookup(c.URL); ok {
				note = "(already a source)"
			}
			fmt.Fprintf(e.stdout, "  %d. %s\n", i+1, strings.Join(slices.DeleteFunc([]string{c.Title, c.URL, c.Type, note}, func(s string) bool { return s == "" }), "  "))
		}
	}
	switch {
	case pick > len(cs):
		return discover.Candidate{}, usageError{fmt.Errorf("-pick %d: there are %d feeds", pick, len(cs))}
	case pick > 0:
		return cs[pick-1], nil
	case len(cs) == 1:
		return cs[0], nil
	case !isTerminal(e.stdin):
		return discover.Candidate{}, usageError{fmt.Errorf("%d feeds found; choose one with -pick N (standard input is not a terminal, so there is no question)", len(cs))}
	}
	in := bufio.NewScanner(e.stdin)
	for {
		fmt.Fprintf(e.stdout, "add which one? [1-%d, empty to cancel]: ", len(cs))
		if !in.Scan() {
			fmt.Fprintln(e.stdout)
			return discover.Candidate{}, errors.New("cancelled: nothing added")
		}
		answer := strings.TrimSpace(in.Text())
		if answer == "" {
			return discover.Candidate{}, errors.New("cancelled: nothing added")
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(cs) {
			return cs[n-1], nil
		}
		fmt.Fprintf(e.stdout, "%q is not one of 1 to %d\n", answer, len(cs))
	}
}

// showFeed prints what a user wants to see before a feed is added.
func showFeed(w io.Writer, f *discover.Feed) {
	fmt.Fprintf(w, "feed:   %s\n        %s\n", cmp.Or(f.Title, "(no title)"), f.URL)
	fmt.Fprintf(w, "items:  %d\n", f.Items)
	if f.Items > 0 {
		when := "undated"
		if !f.Newest.Published.IsZero() {
			when = f.Newest.Published.Local().Format(time.DateTime)
		}
		fmt.Fprintf(w, "newest: %s  %s\n", when, cmp.Or(f.Newest.Title, f.Newest.URL))
	}
}

// topicTakes makes topic take src, and says how:
//   - a topic whose match.sources is empty takes every source already;
//   - a topic that takes sources by tag ("tag:x") gets src through the
//     first such tag, which src is given;
//   - a topic that lists sources by name or URL only gets src's URL
//     appended to that list (byURL): a URL, because names need not be
//     unique.
func topicTakes(w io.Writer, cfg *config.Config, topic string, src *feedloom.Source) (byURL bool, err error) {
	if topic == "" {
		return false, nil
	}
	t, _ := cfg.Topic(topic)
	if len(t.Match.Sources) == 0 {
		fmt.Fprintf(w, "topic %s takes items from every source already (its match.sources is empty)\n", topic)
		return false, nil
	}
	for _, e := range t.Match.Sources {
		if tag, ok := strings.CutPrefix(e, "tag:"); ok {
			if !slices.Contains(src.Tags, tag) {
				src.Tags = append(src.Tags, tag)
			}
			fmt.Fprintf(w, "topic %s takes sources tagged %q: the source gets that tag\n", topic, tag)
			return false, nil
		}
	}
	fmt.Fprintf(w, "topic %s lists its sources: the feed's URL is added to its match.sources\n", topic)
	return true, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
