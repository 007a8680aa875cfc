package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/config"
	"github.com/paperbot/paperbot/internal/gcfloor"
)

// runCmd is `paperbot run [--config FILE] [--timing LIST]`: the bot until
// SIGINT/SIGTERM. The first signal stops taking requests and lets the send
// in flight finish; a second one exits at once.
func runCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("run")
	path := fs.String("config", "", "config `FILE` (default ./paperbot.yaml if present, else the embedded defaults)")
	var timing Timing
	fs.Var(&timing, "timing", "replace production waits, for tests: `NAME=DURATION,...` with NAME one of "+strings.Join(timing.names(), ", "))
	rest, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	if len(rest) > 0 {
		return usageError(s, "run", "unexpected argument %q", rest[0])
	}
	cfg, err := loadConfig(*path, "run", s)
	if err != nil {
		return fail(s, "run", err)
	}
	logger := cfg.NewLogger(s.err)
	logger.Info("paperbot starting", "version", versionString(), "config", cfg)
	// A server with a small live heap: see package gcfloor.
	defer gcfloor.Start(gcfloor.DefaultFloor)()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal now ends the process the default way
	}()

	m := NewMain(cfg, s.out, logger)
	m.Timing = timing
	m.BeforeReady = gcfloor.Release
	m.BulkScan = gcfloor.Bulk
	if t := timing.String(); t != "" {
		logger.Warn("running on test timings, not the production ones", "timing", t)
	}
	if err := m.Open(ctx); err != nil {
		return fail(s, "run", err)
	}
	runErr := m.Run(ctx)
	logger.Info("shutting down")
	if err := errors.Join(runErr, m.Close()); err != nil {
		return fail(s, "run", err)
	}
	return 0
}

// loadConfig reads and validates the config for run and send.
func loadConfig(path, cmd string, s stdio) (*config.Config, error) {
	cfg, from, err := config.LoadOrDefault(path)
	if err != nil {
		return nil, err
	}
	if from == "" {
		fmt.Fprintf(s.err, "paperbot %s: no --config and no ./%s: using the embedded defaults (posts in %s).\n", cmd, config.DefaultFile, display(cfg.Posts.Dir))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// sendCmd is `paperbot send [--config FILE] [--target NAME] [--force]
// DATE|FILE`: index the posts, then send one post now, whatever its age.
func sendCmd(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("send")
	path := fs.String("config", "", "config `FILE` (default ./paperbot.yaml if present, else the embedded defaults)")
	target := fs.String("target", "", "send to the target `NAME` only (default: every target)")
	force := fs.Bool("force", false, "send again even if it was sent (new messages)")
	rest, err := parseFlags(fs, args, s)
	if err != nil {
		return flagExit(err)
	}
	if len(rest) != 1 {
		return usageError(s, "send", "give one DATE (YYYY-MM-DD) or FILE")
	}
	cfg, err := loadConfig(*path, "send", s)
	if err != nil {
		return fail(s, "send", err)
	}
	logger := cfg.NewLogger(s.err)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain(cfg, s.out, logger)
	// A one-off send is its own lease holder (a "send" slot in data_dir):
	// it never sends while a running bot holds the lease.
	m.Role = "send"
	m.NoListen = true         // a running bot may hold the port
	m.BulkScan = gcfloor.Bulk // its scan may be a whole archive's, as run's first
	if err := m.Open(ctx); err != nil {
		return fail(s, "send", err)
	}
	defer m.Close()
	if _, err := m.Engine.Scan(ctx); err != nil {
		return fail(s, "send", err)
	}
	sendCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	dels, err := m.Engine.Send(sendCtx, rest[0], *target, *force)
	for _, d := range dels {
		fmt.Fprintf(s.out, "%s -> %s: %s (%d messages)%s\n", d.Post, d.Target, d.State, len(d.Refs), errSuffix(d.LastError))
	}
	if err != nil {
		if bot.ErrorCode(err) == bot.EINTERNAL {
			return fail(s, "send", err)
		}
		fmt.Fprintf(s.err, "paperbot send: %s\n", bot.ErrorMessage(err))
		return 1
	}
	return 0
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}
