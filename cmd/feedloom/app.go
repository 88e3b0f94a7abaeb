package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/assemble"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/publisher/rules"
	"github.com/feedloom/feedloom/store"
)

const usage = `feedloom polls news feeds, merges what they carry into stories, and
republishes curated topic feeds.

Usage: feedloom COMMAND [-config FILE] [flags]

Commands:
  serve     poll on schedule and serve the topic feeds until SIGINT/SIGTERM
  poll      poll every source once, then exit
  check     validate the config file (-store: also read every page and index of the store)
  add       add URL (a feed or a page that links to one) to the sources (-name, -tags, -topic, -pick N)
  import    import FILE.opml: add the feeds the config lacks, checking each (-tags, -workers N)
  sources   show every source and its polling state (-v: identity, boilerplate, full text; -json; -opml)
  items     list stored items, newest first (-topic NAME, -json, -limit N)
  stories   list stories with their outlets, newest first (-topic NAME, -json, -limit N)
  export    write every topic's feeds and pages as static files (-out DIR)
  compact   rewrite the store file with only its live data, giving freed space back
  topics    preview NAME: the stored items a topic's current rules take, and why (-since 7d, -v: near misses)
            rebuild [NAME...]: re-file the stored items under the topics' current rules
  version   print the version

-config defaults to ./feedloom.yaml; paths inside it are relative to it.
`

// exit codes
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad command line
)

// Main runs the feedloom command line with args (without the program
// name) and returns the process exit code. Standard input is empty.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return mainIO(ctx, args, strings.NewReader(""), stdout, stderr)
}

// mainIO is Main reading standard input from stdin (feedloom add's
// question, when it is a terminal).
func mainIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	commands := map[string]func(context.Context, *env, []string) error{
		"serve":   cmdServe,
		"add":     cmdAdd,
		"import":  cmdImport,
		"poll":    cmdPoll,
		"check":   cmdCheck,
		"sources": cmdSources,
		"items":   cmdItems,
		"stories": cmdStories,
		"export":  cmdExport,
		"compact": cmdCompact,
		"topics":  cmdTopics,
		"version": cmdVersion,
	}
	run, ok := commands[cmd]
	if cmd == "help" || cmd == "-h" || cmd == "--help" || cmd == "-help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if !ok {
		fmt.Fprintf(stderr, "feedloom: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, name: cmd}
	err := run(ctx, e, args)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "feedloom %s: %v\n", cmd, err)
		return exitUsage
	case errors.Is(err, errReported):
		return exitError
	default:
		fmt.Fprintf(stderr, "feedloom %s: %v\n", cmd, err)
		return exitError
	}
}

// errReported means the command already told the user what went wrong.
var errReported = errors.New("reported")

type usageError struct{ error }

// env carries what every command needs: its output streams and, once
// loaded, the config.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	name           string
	configPath     string
}

// flags returns a flag set with the shared -config flag.
func (e *env) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("feedloom "+e.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", "feedloom.yaml", "config `file`")
	return fs
}

func (e *env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// loadConfig loads the config and prints every problem as file:line.
func (e *env) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(e.configPath)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return nil, errReported
	}
	return cfg, nil
}

// logger returns the log a command writes to standard error, in the format
// and from the level the config's log section sets.
func (e *env) logger(c config.Log) *slog.Logger {
	o := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, o))
	}
	return slog.New(slog.NewTextHandler(e.stderr, o))
}

// open parses the command line, loads the config and opens the store.
func (e *env) open(fs *flag.FlagSet, args []string) (*config.Config, *store.Store, error) {
	if err := e.parse(fs, args); err != nil {
		return nil, nil, err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(cfg, e.name == "poll")
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// openStore opens the config's store. verify reads every page first, for
// the commands that write as they go (serve, poll): damage is then an
// error at start, the file untouched, not a panic midway.
func openStore(cfg *config.Config, verify bool) (*store.Store, error) {
	return store.Open(cfg.Store, store.Options{MaxSize: cfg.StoreMaxSize, VerifyPages: verify})
}

// newAggregator wires the aggregator from the config.
// observe, when not nil, is called with the result of every poll.
func newAggregator(cfg *config.Config, st *store.Store, log *slog.Logger, observe func(aggregator.Result)) (*aggregator.Aggregator, error) {
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		return nil, err
	}
	o := assemble.AggregatorOptions(cfg, set, log)
	o.Observe = observe
	return aggregator.New(st, cfg.Sources, o), nil
}

func newPublisher(cfg *config.Config, st *store.Store) *publisher.Server {
	return publisher.New(st, publisher.Options{BaseURL: cfg.BaseURL, Topics: cfg.Topics, Hub: hubURL(cfg)})
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("feedloom version", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	writeVersion(e.stdout, feedloom.Build())
	return nil
}

// writeVersion prints b: the one-line version, then what the build
// recorded, one "name value" line each; revision and time only when known.
func writeVersion(w io.Writer, b feedloom.BuildInfo) {
	fmt.Fprintf(w, "feedloom %s\n", b)
	fmt.Fprintf(w, "version   %s\n", b.Version)
	if b.Revision != "" {
		fmt.Fprintf(w, "revision  %s\n", b.Revision)
		fmt.Fprintf(w, "modified  %t\n", b.Modified)
	}
	if !b.Time.IsZero() {
		fmt.Fprintf(w, "time      %s\n", b.Time.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "go        %s %s\n", b.GoVersion, b.Platform)
}
