// Command paperbot posts a team's "Daily Papers" blog posts to Slack and
// Discord and answers /paper and /digest. This package only wires things
// together: it reads flags and the config, builds the parser, store, source
// and targets from their packages, and maps errors to exit codes (0 fine,
// 1 failed or nothing found, 2 usage). Every subcommand takes its
// arguments and streams, so tests call run with buffers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	_ "time/tzdata" // time zones work on machines (and images) without tzdata
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// stdio is a subcommand's streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	run     func(ctx context.Context, args []string, s stdio) int
}

// commands in the order the usage lists them; set in init because the
// commands print their own usage from this list.
var commands []command

func init() {
	commands = []command{
		{"run", "[--config FILE] [--timing LIST]", "run the bot (default config: ./paperbot.yaml)", runCmd},
		{"preview", "[--format slack|discord|text|html] [--details MODE] [--config FILE] FILE...", "print exactly what would be sent for each post", previewCmd},
		{"lookup", "[--config FILE | --posts DIR] QUERY...", "find a paper by arXiv id, arXiv/AlphaXiv URL, or words", lookupCmd},
		{"send", "[--config FILE] [--target NAME] [--force] DATE|FILE", "send one post now", sendCmd},
		{"check", "[--config FILE | --posts DIR]", "validate the config and every post", checkCmd},
		{"version", "", "print the version", versionCmd},
	}
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// run is main without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c := findCommand(args[1]); c != nil {
				commandUsage(stdout, c, nil)
				return 0
			}
			return usageError(s, "help", "unknown command %q", args[1])
		}
		usage(stdout)
		return 0
	case "-v", "-version", "--version":
		name = "version"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(stderr, "paperbot: unknown command %q; run 'paperbot help' for the list.\n", name)
		return 2
	}
	return c.run(context.Background(), args[1:], s)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "paperbot posts a team's Daily Papers blog posts to Slack and Discord.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace("paperbot "+c.name+" "+c.args), c.summary)
	}
	fmt.Fprint(w, "\nRun 'paperbot help COMMAND' or 'paperbot COMMAND -h' for a command's flags.\n")
}

// commandUsage prints a command's synopsis and flags.
func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: paperbot %s %s\n\n%s.\n", c.name, c.args, upperFirst(c.summary))
	if fs == nil {
		// help COMMAND: build the command's flags by asking it for help.
		var buf strings.Builder
		c.run(context.Background(), []string{"-h"}, stdio{out: &buf, err: io.Discard})
		if _, flags, ok := strings.Cut(buf.String(), "\nFlags:\n"); ok {
			fmt.Fprintf(w, "\nFlags:\n%s", flags)
		}
		return
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// usageError prints one sentence about a usage mistake and returns 2.
func usageError(s stdio, cmd, format string, args ...any) int {
	fmt.Fprintf(s.err, "paperbot %s: %s (see 'paperbot help %s').\n", cmd, fmt.Sprintf(format, args...), cmd)
	return 2
}

// fail prints one sentence about a failure and returns 1.
func fail(s stdio, cmd string, err error) int {
	fmt.Fprintf(s.err, "paperbot %s: %v\n", cmd, err)
	return 1
}

// newFlagSet returns a quiet flag set: parse errors are reported by
// parseFlags as one sentence, not as flag's usage dump.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("paperbot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// errHelp is returned by parseFlags after printing the usage for -h.
var errHelp = errors.New("help shown")

// parseFlags parses args with fs, allowing flags after positional
// arguments (`preview FILE --format slack`): it parses, sets aside the
// positionals up to the next flag, and parses again. "--" ends the flags.
// On -h it prints the command's usage to s.out and returns errHelp; on a
// bad flag it prints one sentence to s.err.
func parseFlags(fs *flag.FlagSet, args []string, s stdio) ([]string, error) {
	name := strings.TrimPrefix(fs.Name(), "paperbot ")
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(s.out, findCommand(name), fs)
			return nil, errHelp
		}
		if err != nil {
			usageError(s, name, "%v", err)
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		i := 0
		for i < len(rest) && !(len(rest[i]) > 1 && rest[i][0] == '-') {
			i++
		}
		pos = append(pos, rest[:i]...)
		if i == len(rest) {
			return pos, nil
		}
		args = rest[i:]
	}
}

// flagExit maps a parseFlags error to the exit code: 0 after -h, 2 else.
func flagExit(err error) int {
	if errors.Is(err, errHelp) {
		return 0
	}
	return 2
}

// cliLogger logs warnings from the packages a command uses to stderr,
// without timestamps: a command's output is read by a person.
func cliLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
