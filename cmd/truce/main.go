// Command truce runs and drives a Truce server: the shared, tamper-evident
// operational picture for a ceasefire. Run `truce help` for its verbs.
//
// A capability's verbs are one file: accounts.go (party, user, token,
// key), zone.go (agreement, zone), monitor.go (the air picture),
// humanitarian.go, observation.go, control.go and operation.go; log*.go
// read and verify the journal. The server's verbs (serve, init, migrate,
// demo, witness) and the client's flags and printing are the rest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/truce-project/truce"
)

// verb is one CLI verb; a capability's verbs live in its one file
// (humanitarian.go, observation.go, control.go …).
type verb struct {
	summary string
	run     func(ctx context.Context, args []string) error
	subs    []string // its sub-verbs, if it has any
}

var verbs = map[string]verb{}

// register adds a verb; subs names its sub-verbs, for `truce VERB --help`.
func register(name, summary string, run func(ctx context.Context, args []string) error, subs ...string) {
	verbs[name] = verb{summary, run, subs}
}

func isHelp(arg string) bool { return arg == "help" || arg == "-h" || arg == "--help" }

var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "truce: unknown verb %q (run truce help)\n", args[0])
		return 2
	}
	if len(v.subs) > 0 && (len(args) == 1 || isHelp(args[1])) {
		out, code := stdout, 0
		if len(args) == 1 {
			out, code = stderr, 2
		}
		fmt.Fprintf(out, "Usage: truce %s <sub-verb> [flags]   (truce %s <sub-verb> --help for its flags)\n\n%s.\n\nSub-verbs: %s\n",
			args[0], args[0], v.summary, strings.Join(v.subs, ", "))
		return code
	}
	if err := v.run(ctx, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "truce: "+oneLine(err))
		return 1
	}
	return 0
}

// oneLine renders an error as one line: the message of a truce error, or
// the error's text.
func oneLine(err error) string {
	var te *truce.Error
	msg := err.Error()
	if errors.As(err, &te) {
		msg = te.Message
	}
	return strings.Join(strings.Fields(msg), " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Truce: the shared, tamper-evident operational picture for a ceasefire.\n\nUsage: truce <verb> [flags]   (truce <verb> --help for a verb's flags)\n\nVerbs:")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].summary)
	}
	fmt.Fprintln(w, "\nVerbs that talk to a server read TRUCE_URL and TRUCE_TOKEN.")
}

// newFlags returns a flag set whose errors are returned, not printed twice.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("truce "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: truce %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// env returns the environment variable or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// parse parses flags, allowing them before and after positional arguments,
// and refuses a number of positional arguments other than want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, fmt.Errorf("%s: want %d argument(s), got %d (see --help)", fs.Name(), want, len(pos))
	}
	return pos, nil
}
