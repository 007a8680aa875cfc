package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	slackapi "github.com/slack-go/slack"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/backoff"
	"github.com/paperbot/paperbot/bot/console"
	"github.com/paperbot/paperbot/bot/discord"
	"github.com/paperbot/paperbot/bot/metrics"
	"github.com/paperbot/paperbot/bot/replica"
	"github.com/paperbot/paperbot/bot/slack"
	"github.com/paperbot/paperbot/bot/source/folder"
	"github.com/paperbot/paperbot/bot/source/git"
	"github.com/paperbot/paperbot/bot/store"
	"github.com/paperbot/paperbot/bot/web"
	"github.com/paperbot/paperbot/config"
	"github.com/paperbot/paperbot/formatter"
)

// Main is the whole bot, wired from a Config: store, source, parser,
// targets, engine, HTTP listener and chat adapters. Tests start it like the
// binary does, with http.listen ":0" and fake chat servers:
// Open, then Run(ctx) until ctx ends, then Close.
type Main struct {
	Config *config.Config
	// Stdout receives the console target's digests.
	Stdout io.Writer
	Logger *slog.Logger
	// Holder names this replica for the sender lease. "": the identity of
	// a slot of Role in data_dir (package replica), unique per running
	// process and stable across restarts of the same replica.
	Holder string
	// Role is the identity slot family: "run" (default) or "send".
	Role string
	// NoListen builds everything but serves no HTTP (paperbot send).
	NoListen bool
	// Timing overrides the production timings; tests run on milliseconds.
	Timing Timing
	// BeforeReady and BulkScan are the engine's (bot.Engine): paperbot run
	// sets gcfloor.Release and gcfloor.Bulk, paperbot send gcfloor.Bulk;
	// tests leave them nil.
	BeforeReady func()
	BulkScan    func() (done func())

	Store  bot.Store
	Engine *bot.Engine
	Web    *web.Server

	slackHandler *slack.Handler
	socket       *slack.SocketMode
	discord      *discordgo.Session
	gateway      *discord.Gateway
	settings     *config.Settings // parsed by Open
	identity     *replica.Identity
	closeOnce    sync.Once
	// gatewayPolled, when set (tests), is called each time Run's gateway
	// loop finds this replica not the sender and keeps the gateway closed.
	gatewayPolled func()
}

// Timing is how long the bot waits between things. Zero fields keep the
// production values, which follow the platforms' rules; tests shorten them
// so that a retry storm takes milliseconds.
type Timing struct {
	// SlackPace is the least gap between two messages to one Slack channel
	// (0: slack.DefaultPace; negative: none).
	SlackPace time.Duration
	// CallRetry is the Slack and Discord adapters' backoff within one
	// call (zero fields: the backoff.Policy defaults and each platform's
	// 429 floor).
	CallRetry backoff.Policy
	// RedeliverMin and RedeliverMax bound the engine's backoff for a
	// target whose oldest due post failed transiently (0: the engine's).
	RedeliverMin, RedeliverMax time.Duration
	// LeaseTTL is how long the sender lease lasts without renewal (0: the
	// engine's default).
	LeaseTTL time.Duration
	// Delivery bounds one call to a target, the adapter's retries
	// included (0: the engine's default).
	Delivery time.Duration
	// GatewayPoll is how often Run looks at the sender role to open or
	// close the Discord gateway (0: 500 ms).
	GatewayPoll time.Duration
}

// NewMain returns a Main for a validated cfg.
func NewMain(cfg *config.Config, stdout io.Writer, logger *slog.Logger) *Main {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Main{Config: cfg, Stdout: stdout, Logger: logger}
}

// Open builds everything and starts the HTTP listener; nothing is sent
// until Run. On error, what was opened is closed.
func (m *Main) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	cfg := m.Config
	set, err := cfg.Settings()
	if err != nil {
		return err
	}
	m.settings = set
	loc := set.Location
	st, err := store.Open(ctx, cfg.Store, m.Logger.With("component", "store"))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	m.Store = st
	if m.Holder == "" && cfg.DataDir != "" {
		role := m.Role
		if role == "" {
			role = "run"
		}
		if m.identity, err = replica.Acquire(cfg.DataDir, role); err != nil {
			return err
		}
		m.Holder = m.identity.ID
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	obs, err := metrics.New(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}

	src, err := m.source()
	if err != nil {
		return err
	}
	targets, err := m.targets(obs)
	if err != nil {
		return err
	}
	byName := map[string]bot.Target{}
	for _, t := range targets {
		byName[t.Name()] = t
	}
	commands := &bot.Commands{Store: m.Store, Location: loc}
	m.Engine = &bot.Engine{
		Store:       m.Store,
		Source:      src,
		Parser:      &formatter.Parser{Location: loc},
		Targets:     targets,
		Location:    loc,
		CatchUp:     cfg.CatchUp,
		Logger:      m.Logger.With("component", "engine"),
		Observer:    obs,
		Holder:      m.Holder,
		CallTimeout: m.Timing.Delivery,
		LeaseTTL:    m.Timing.LeaseTTL,
		RetryMin:    m.Timing.RedeliverMin,
		RetryMax:    m.Timing.RedeliverMax,
		ExpectBy:    set.ExpectBy,
		BeforeReady: m.BeforeReady,
		BulkScan:    m.BulkScan,
		// Settings checked that alerts names a target.
		Alerts: byName[cfg.Alerts],
	}
	obs.Sender(m.Engine.IsSender)
	m.Web, err = web.New(web.Config{
		Store:      m.Store,
		Commands:   commands,
		Logger:     m.Logger.With("component", "web"),
		AdminToken: cfg.HTTP.AdminToken,
		Engine:     m.Engine,
		Schedule:   cfg.Schedule,
		ExpectBy:   m.Engine.ExpectBy,
		Registry:   reg,
		Slack:      formatter.SlackOptions{Details: set.SlackDetails, SiteURL: cfg.Posts.SiteURL},
		Discord:    formatter.DiscordOptions{Details: set.DiscordDetails, SiteURL: cfg.Posts.SiteURL},
		Links:      m.links(),
		Location:   loc,
	})
	if err != nil {
		return err
	}

	if cfg.Slack.BotToken != "" {
		m.slackHandler = slack.NewHandler(slack.HandlerConfig{
			Client:        m.slackClient(),
			SigningSecret: cfg.Slack.SigningSecret,
			Commands:      commands,
			Details:       set.SlackDetails,
			SiteURL:       cfg.Posts.SiteURL,
			Metrics:       obs.Platform("slack"),
		}, m.Logger)
		if cfg.Slack.SigningSecret != "" {
			m.Web.Handle("POST /slack/commands", m.slackHandler.CommandsHandler())
			m.Web.Handle("POST /slack/interactions", m.slackHandler.InteractionsHandler())
		}
		if cfg.Slack.AppToken != "" {
			m.socket = slack.NewSocketMode(m.slackClient(slackapi.OptionAppLevelToken(cfg.Slack.AppToken)), m.slackHandler, m.Logger)
		}
	}

	if err := m.openDiscordCommands(ctx, commands); err != nil {
		return err
	}

	if m.NoListen {
		return nil
	}
	if err := m.Web.Open(cfg.HTTP.Listen); err != nil {
		return fmt.Errorf("http: listen on %s: %w", cfg.HTTP.Listen, err)
	}
	return nil
}

// Addr is the HTTP listener's address (useful with ":0").
func (m *Main) Addr() string { return m.Web.Addr() }

// Run runs the schedule (one tick at once, then on the cron spec) and the
// Socket Mode connection until ctx ends, then lets the tick in flight
// finish. It returns the first error that stopped a component for good.
func (m *Main) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.Engine.Run(ctx, m.Config.Schedule); err != nil {
			errc <- fmt.Errorf("engine: %w", err)
			cancel()
		}
	}()
	if m.socket != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.socket.Run(ctx); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	if m.gateway != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.runGateway(ctx); err != nil {
				errc <- fmt.Errorf("discord gateway: %w", err)
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// runGateway keeps the Discord gateway open while this replica is the
// sender, and closed otherwise: every open gateway session receives every
// interaction, so two replicas with a gateway each would both answer. HTTP
// commands are answered by every replica.
func (m *Main) runGateway(ctx context.Context) error {
	poll := m.Timing.GatewayPoll
	if poll <= 0 {
		poll = gatewayPoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		for !m.Engine.IsSender() {
			if m.gatewayPolled != nil {
				m.gatewayPolled()
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
		gctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.gateway.Run(gctx) }()
		var err error
	watch:
		for {
			select {
			case err = <-done:
				break watch
			case <-tick.C:
				if !m.Engine.IsSender() {
					m.Logger.Info("discord gateway: closing, this replica is no longer the sender")
					stop()
					err = <-done
					break watch
				}
			}
		}
		stop()
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// gatewayPoll is how often runGateway looks at the sender role, unless
// Timing.GatewayPoll says otherwise.
const gatewayPoll = 500 * time.Millisecond

// Close stops the listener (letting requests in flight finish for up to 10
// seconds) and closes the store. It is safe to call more than once.
func (m *Main) Close() error {
	var errs []error
	m.closeOnce.Do(func() {
		if m.Web != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := m.Web.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("http: %w", err))
			}
			cancel()
		}
		if m.slackHandler != nil {
			m.slackHandler.Wait()
		}
		if m.Store != nil {
			if err := m.Store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("store: %w", err))
			}
		}
		if err := m.identity.Release(); err != nil {
			errs = append(errs, fmt.Errorf("replica identity: %w", err))
		}
	})
	return errors.Join(errs...)
}

func (m *Main) source() (bot.Source, error) {
	cfg := m.Config
	if g := m.settings.Git; g != nil {
		return git.New(*g, m.Logger.With("component", "source")), nil
	}
	if st, err := os.Stat(cfg.Posts.Dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("config: posts.dir: %s is not a folder", cfg.Posts.Dir)
	}
	return folder.New(cfg.Posts.Dir, m.Logger.With("component", "source")), nil
}

// slackClient is a Web API client on the configured base URL.
func (m *Main) slackClient(extra ...slackapi.Option) *slackapi.Client {
	opts := extra
	if u := m.Config.Slack.APIURL; u != "" {
		if !strings.HasSuffix(u, "/") {
			u += "/" // slack-go joins method names onto the base
		}
		opts = append(opts, slackapi.OptionAPIURL(u))
	}
	return slackapi.New(m.Config.Slack.BotToken, opts...)
}

func (m *Main) targets(obs *metrics.Metrics) ([]bot.Target, error) {
	cfg := m.Config
	var targets []bot.Target
	if cfg.ConsoleEnabled() {
		out := m.Stdout
		if out == nil {
			out = os.Stdout
		}
		targets = append(targets, console.New(config.ConsoleTarget, out, formatter.Text))
	}
	if len(cfg.Slack.Targets) > 0 {
		client := m.slackClient()
		// One pacer for the workspace: targets sharing a channel keep
		// Slack's gap between each other's messages.
		pacer := slack.NewPacer()
		for _, t := range cfg.Slack.Targets {
			targets = append(targets, slack.NewTarget(client, slack.TargetConfig{
				Name:     t.Name,
				Channel:  t.Channel,
				Tags:     t.Tags,
				Keywords: t.Keywords,
				Details:  m.settings.SlackDetails,
				SiteURL:  cfg.Posts.SiteURL,
				Pace:     m.Timing.SlackPace,
				Pacer:    pacer,
				Retry:    m.Timing.CallRetry,
				Metrics:  obs.Platform("slack"),
			}, m.Logger.With("component", "slack")))
		}
	}
	dts, err := m.discordTargets(obs)
	if err != nil {
		return nil, err
	}
	targets = append(targets, dts...)
	return targets, nil
}

// links gives the status page a link to each sent message where the
// platform gives one: Slack's permalinks. Discord message links need the
// channel's server id, which the delivery records do not hold.
func (m *Main) links() web.Linker {
	l := messageLinks{}
	if len(m.Config.Slack.Targets) > 0 {
		p := &slack.Permalinks{Client: m.slackClient()}
		for _, t := range m.Config.Slack.Targets {
			l[t.Name] = p
		}
	}
	return l
}

// messageLinks sends each target's link requests to its platform.
type messageLinks map[string]*slack.Permalinks

func (l messageLinks) MessageURL(ctx context.Context, target string, ref bot.MessageRef) string {
	return l[target].MessageURL(ctx, ref)
}
