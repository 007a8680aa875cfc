// Package web is paperbot's one HTTP listener: the read-only JSON API over
// the post index (/api/papers, /api/digests), the probes (/healthz,
// /readyz), Prometheus metrics (/metrics), and a small admin surface (the
// status page, post previews and a retry button) open to the admin token or
// to loopback clients. The chat adapters mount their webhook routes on the
// same Server with Handle. Every route gets the same guard rails: server
// timeouts, a request body cap, recovered panics, JSON errors that map the
// domain's error codes to HTTP statuses without leaking internals, and a
// debug-level access log that never records the admin token.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for Config's zero values.
const (
	DefaultMaxBodyBytes      = 1 << 20 // 1 MiB: chat webhooks and forms are far smaller
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 15 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	// DefaultSearchLimit and MaxSearchLimit bound GET /api/papers?q=.
	DefaultSearchLimit = 10
	MaxSearchLimit     = 50
	// DefaultSearchTimeout and DefaultSearchConcurrency keep word searches,
	// which may scan every paper, from starving the id lookups of the
	// store's connections.
	DefaultSearchTimeout     = 3 * time.Second
	DefaultSearchConcurrency = 2
)

// Config wires a Server. Store is required; everything else is optional.
type Config struct {
	Store Store
	// Commands answers /api/digests the way /digest does (nil: a
	// bot.Commands on Store and Location, when Store is a whole bot.Store).
	Commands Digester
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
	// AdminToken opens the status page, previews and retries from anywhere
	// (Authorization: Bearer, or the cookie set by visiting /?token=...).
	// Empty: the status page and previews are loopback-only and retries over
	// HTTP are disabled.
	AdminToken string
	// Engine is the delivery engine: readiness, the status page's facts and
	// retries (nil: always ready, never scanned, and the retry route
	// answers 503).
	Engine Engine
	// Schedule is the configured cron spec and ExpectBy the parsed
	// expect_by setting (nil: none), both shown on the status page.
	Schedule string
	ExpectBy *bot.ExpectBy
	// Links links sent messages on the status page (nil: no links).
	Links Linker
	// Registry serves /metrics; the Server adds its HTTP metrics to it (nil:
	// a fresh registry with the Go and process collectors).
	Registry *prometheus.Registry
	// Slack and Discord are the configured rendering options: GET
	// /posts/{date} draws each post as those chats will show it.
	Slack   formatter.SlackOptions
	Discord formatter.DiscordOptions
	// Location shows dates in the configured timezone (nil: UTC).
	Location *time.Location
	// Now is the clock (tests; nil: time.Now).
	Now func() time.Time

	// MaxBodyBytes caps request bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// SearchTimeout bounds one GET /api/papers?q= search and
	// SearchConcurrency how many run at once; a search that cannot start or
	// finish in time answers 503 (0: the Default* values).
	SearchTimeout     time.Duration
	SearchConcurrency int
	// Timeouts of the http.Server (0: the Default* values).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Server is the HTTP listener. Create it with New, mount adapter routes with
// Handle, then Open it (or use Handler with a server of your own).
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	cmds    Digester
	loc     *time.Location
	metrics *httpMetrics
	// csrf is a per-process secret embedded in the admin forms.
	csrf string
	// session is the value of the admin cookie, derived from the token.
	session string
	cop     *http.CrossOriginProtection
	// searches holds a slot per running word search.
	searches chan struct{}

	// probeMu guards the last write probe of /readyz.
	probeMu  sync.Mutex
	probeAt  time.Time
	probeErr error

	mu  sync.Mutex
	srv *http.Server
	ln  net.Listener
	// served is closed when Serve returns.
	served chan struct{}
	// connMu guards fresh, the connections accepted that have not yet
	// sent a byte of a request, and closing, set once Close began: see
	// Close. A lock of its own: connState runs twice a request.
	connMu  sync.Mutex
	fresh   map[net.Conn]struct{}
	closing bool
}

// New builds a Server and its routes. It fails only when Store is nil or
// the process has no randomness for the CSRF token.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: config has no store")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, loc: cfg.Location, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.cfg.MaxBodyBytes <= 0 {
		s.cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.cfg.SearchTimeout <= 0 {
		s.cfg.SearchTimeout = DefaultSearchTimeout
	}
	if s.cfg.SearchConcurrency <= 0 {
		s.cfg.SearchConcurrency = DefaultSearchConcurrency
	}
	s.searches = make(chan struct{}, s.cfg.SearchConcurrency)
	s.cmds = cfg.Commands
	if s.cmds == nil {
		whole, ok := cfg.Store.(bot.Store)
		if !ok {
			return nil, errors.New("web: config has no Commands and its store cannot answer /digest")
		}
		s.cmds = &bot.Commands{Store: whole, Location: s.loc}
	}
	if s.cfg.Registry == nil {
		s.cfg.Registry = prometheus.NewRegistry()
		s.cfg.Registry.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	var buf [32]byte
	if _, err := io.ReadFull(rand.Reader, buf[:]); err != nil {
		return nil, fmt.Errorf("web: csrf token: %w", err)
	}
	s.csrf = hex.EncodeToString(buf[:])
	if cfg.AdminToken != "" {
		s.session = sessionValue(cfg.AdminToken)
	}
	s.cop = http.NewCrossOriginProtection()
	m, err := newHTTPMetrics(s.cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.routes()
	s.handler = s.wrap(http.HandlerFunc(s.dispatch))
	return s, nil
}

// paperRoute is the pattern of the one-paper lookup, also its metrics label.
const paperRoute = "GET /api/papers/{id...}"

// dispatch sends paper lookups straight to their handler: an id may be an
// unescaped URL ("/api/papers/https://arxiv.org/abs/2509.24006") that the
// mux would "clean" into a redirect, and it is the hot path under load.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/api/papers/") {
		r.Pattern = paperRoute
		s.handlePaper(w, r)
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// noRoute answers the mux's 404 and 405 as JSON errors, keeping its Allow
// header.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	c := &capture{header: http.Header{}}
	h.ServeHTTP(c, r)
	if c.status == http.StatusMethodNotAllowed {
		if allow := c.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		s.writeError(w, r, bot.Errorf(codeMethod, "Method %s is not allowed here.", r.Method))
		return
	}
	s.writeError(w, r, bot.Errorf(bot.ENOTFOUND, "No such page."))
}

// capture is a ResponseWriter that keeps the status and headers only.
type capture struct {
	header http.Header
	status int
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) Write(b []byte) (int, error) { return len(b), nil }
func (c *capture) WriteHeader(status int)      { c.status = status }

func (s *Server) routes() {
	s.mux.HandleFunc(paperRoute, s.handlePaper)
	s.mux.HandleFunc("GET /api/papers", s.handleSearch)
	s.mux.HandleFunc("GET /api/digests/{date}", s.handleDigest)
	s.mux.HandleFunc("GET /healthz", s.handleHealthz)
	s.mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.mux.Handle("GET /metrics", s.metricsHandler())
	s.mux.HandleFunc("GET /{$}", s.handleStatus)
	s.mux.HandleFunc("GET /posts/{date}", s.handlePost)
	s.mux.HandleFunc("POST /posts/{date}/retry", s.handleRetry)
}

// Handle mounts h on pattern (Go 1.22 ServeMux syntax, e.g.
// "POST /slack/commands"). Like http.ServeMux.Handle it panics on a pattern
// that is malformed or conflicts with another: a wiring bug found at start.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is every route with the guard rails (recover, body cap, metrics,
// access log), for tests and for callers that run their own http.Server.
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on addr (":0" picks a free port; Addr tells which) and
// serves in the background until Close.
func (s *Server) Open(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("web: server already open")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: orDefault(s.cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(s.cfg.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(s.cfg.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       orDefault(s.cfg.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         s.connState,
	}
	s.srv, s.ln, s.served = srv, ln, make(chan struct{})
	s.connMu.Lock()
	s.fresh, s.closing = map[net.Conn]struct{}{}, false
	s.connMu.Unlock()
	go func(done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}(s.served)
	s.log.Info("http listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the address the server is bound to ("" before Open).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// connState keeps the set of connections that have not sent a request
// yet, and closes one at once when Close has begun.
func (s *Server) connState(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if state != http.StateNew {
		delete(s.fresh, c)
		return
	}
	if s.closing {
		c.Close()
		return
	}
	s.fresh[c] = struct{}{}
}

// Close stops taking requests and waits for those in flight until ctx ends;
// then it drops the remaining connections.
//
// Connections that have not sent a byte of a request are closed at once.
// http.Server.Shutdown counts such a connection as busy until it is five
// seconds old, and browsers open them ahead of need: with a status page
// open in Chromium, a stop took 2.6 s longer, waiting on a socket that
// would never carry a request. A request that was just arriving on one is
// refused with the connection, as one arriving a moment later would be.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.served
	s.mu.Unlock()
	s.connMu.Lock()
	s.closing = true
	for c := range s.fresh {
		c.Close()
	}
	clear(s.fresh)
	s.connMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// The deadline passed with requests still running: cut them.
		_ = srv.Close()
		err = fmt.Errorf("web: shutdown: %w", err)
	}
	<-done
	return err
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
