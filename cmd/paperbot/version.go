package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
// Without it the module version from the build info is used ("(devel)"
// for a checkout).
var version = ""

// versionCmd prints the version, the commit and the Go version.
func versionCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("version")
	rest, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	if len(rest) > 0 {
		return usageError(s, "version", "unexpected argument %q", rest[0])
	}
	fmt.Fprintln(s.out, versionString())
	return 0
}

// versionString is "paperbot VERSION (commit C[, modified], TIME) GOVERSION".
func versionString() string {
	v, commit, when, modified := version, "", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if commit == "" {
		commit = "unknown"
	}
	if modified {
		commit += ", modified"
	}
	if when != "" {
		commit += ", " + when
	}
	return fmt.Sprintf("paperbot %s (commit %s) %s %s/%s", v, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
