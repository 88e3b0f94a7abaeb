package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/publisher/rules"
	"github.com/feedloom/feedloom/store"
)

const topicsUsage = "usage: feedloom topics preview NAME [-since 7d] [-v] [-config FILE] | feedloom topics rebuild [NAME...] [-config FILE]"

// cmdTopics runs the topics subcommands.
func cmdTopics(ctx context.Context, e *env, args []string) error {
	subcommands := map[string]func(context.Context, *env, []string) error{
		"preview": cmdTopicsPreview,
		"rebuild": cmdTopicsRebuild, // rebuild.go
	}
	if len(args) == 0 {
		return usageError{errors.New(topicsUsage)}
	}
	run, ok := subcommands[args[0]]
	if !ok {
		return usageError{fmt.Errorf("unknown subcommand %q (%s)", args[0], topicsUsage)}
	}
	e.name = "topics " + args[0]
	return run(ctx, e, args[1:])
}

// cmdTopicsPreview lists the stored items published within -since that
// the topic takes under the rules of the config as it is now, newest
// first, each with the rule that took it; with -v, the near misses too.
func cmdTopicsPreview(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	since := days(7 * 24 * time.Hour)
	fs.Var(&since, "since", "items published within `AGE` (7d, 36h, 1d12h; 0: every item)")
	verbose := fs.Bool("v", false, "also show near misses: items a term matched that the topic excludes, and the rule that excluded them")
	name, err := parseWithName(e, fs, args)
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if err := knownTopic(cfg, name); err != nil {
		return err
	}
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		return err
	}
	st, err := openStore(cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		return err
	}

	type row struct {
		it  *feedloom.Item
		why string
	}
	var taken, near []row
	now := time.Now()
	seen := 0
	for i := range items {
		it := &items[i]
		if since > 0 && now.Sub(it.Published) > time.Duration(since) {
			break // newest first
		}
		seen++
		src, ok := cfg.Source(it.Source)
		if !ok { // no longer configured
			src = feedloom.Source{URL: it.Source}
		}
		ex := set.ExplainAt(it, src, name, now)
		switch {
		case ex.Taken:
			taken = append(taken, row{it, ex.String()})
		case ex.NearMiss:
			near = append(near, row{it, ex.String()})
		}
	}

	window := "stored"
	if since > 0 {
		window = "published in the last " + since.String()
	}
	fmt.Fprintf(e.stdout, "%s: %d of %d items %s would be taken under the rules in %s", name, len(taken), seen, window, cfg.File)
	if *verbose {
		fmt.Fprintf(e.stdout, "; %d near misses", len(near))
	}
	fmt.Fprintln(e.stdout)
	table := func(head string, rows []row) error {
		if len(rows) == 0 {
			return nil
		}
		fmt.Fprintln(e.stdout)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "PUBLISHED\tSOURCE\tTITLE\t%s\n", head)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.it.Published.Local().Format("2006-01-02 15:04"),
				clip(oneLine(r.it.SourceName), 24), clip(oneLine(r.it.Title), 64), r.why)
		}
		return tw.Flush()
	}
	if err := table("TAKEN BY", taken); err != nil {
		return err
	}
	if *verbose {
		if len(near) > 0 {
			fmt.Fprintf(e.stdout, "\nNear misses: a term matched, but a rule excludes them.\n")
		}
		return table("EXCLUDED BY", near)
	}
	return nil
}

// parseWithName parses a command line holding one positional NAME, before
// or after the flags.
func parseWithName(e *env, fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", usageError{err}
	}
	if fs.NArg() == 0 {
		return "", usageError{errors.New("a topic NAME is required (" + topicsUsage + ")")}
	}
	name := fs.Arg(0)
	if err := e.parse(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	return name, nil
}

// oneLine keeps a table row on one line, and makes text from an OPML
// file fit a config value: control characters (a tab written as &#9;)
// become spaces, and runs of spaces one.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// days is a duration flag that also takes days: 7d, 1d12h.
type days time.Duration

func (d *days) String() string {
	v := time.Duration(*d)
	const day = 24 * time.Hour
	if v > 0 && v%day == 0 {
		return strconv.FormatInt(int64(v/day), 10) + "d"
	}
	if v > day {
		return strconv.FormatInt(int64(v/day), 10) + "d" + (v % day).String()
	}
	return v.String()
}

func (d *days) Set(arg string) error {
	bad := fmt.Errorf("invalid duration %q (use 7d, 36h, 1d12h)", arg)
	var n time.Duration
	s := arg
	if i := strings.IndexByte(s, 'd'); i > 0 {
		k, err := strconv.Atoi(s[:i])
		if err != nil || k < 0 || k > 100_000 || s[0] == '+' {
			return bad
		}
		n, s = time.Duration(k)*24*time.Hour, s[i+1:]
		if s == "" {
			*d = days(n)
			return nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 || (n > 0 && (s[0] == '-' || s[0] == '+')) {
		return bad
	}
	*d = days(n + v)
	return nil
}
