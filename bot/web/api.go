package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

// maxQueryRunes bounds a search, as the /paper command does.
const maxQueryRunes = 200

// paperJSON is the API's one shape for a paper, standalone or in a digest.
// Every key is always present so clients need no existence checks.
type paperJSON struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	URL         string        `json:"url"`
	AlphaxivURL string        `json:"alphaxiv_url"`
	Number      int           `json:"number"`
	Sections    []sectionJSON `json:"sections"`
	Post        postJSON      `json:"post"`
}

type sectionJSON struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type postJSON struct {
	Date  time.Time `json:"date"`
	Title string    `json:"title"`
	Path  string    `json:"path"`
}

type digestJSON struct {
	Date   time.Time   `json:"date"`
	Title  string      `json:"title"`
	Tags   []string    `json:"tags"`
	Path   string      `json:"path"`
	Papers []paperJSON `json:"papers"`
}

type searchJSON struct {
	Query   string      `json:"query"`
	Results []paperJSON `json:"results"`
}

type errorJSON struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func (s *Server) paperJSON(p *bot.Paper, post bot.PostRef) paperJSON {
	out := paperJSON{
		ID:          string(p.ID),
		Title:       p.Title,
		URL:         p.URL,
		AlphaxivURL: p.AlphaxivURL,
		Number:      p.Number,
		Sections:    make([]sectionJSON, 0, len(p.Sections)),
		Post:        postJSON{Date: post.Date.In(s.loc), Title: post.Title, Path: post.Path},
	}
	// The link as the author wrote it; a heading without one still gets the
	// canonical arXiv page when the id is known.
	if out.URL == "" {
		out.URL = p.Link()
	}
	for i := range p.Sections {
		out.Sections = append(out.Sections, sectionJSON{Name: p.Sections[i].Name, Text: p.Sections[i].Text()})
	}
	return out
}

func (s *Server) digestJSON(d *bot.Digest) digestJSON {
	ref := bot.PostRef{Date: d.Date, Title: d.Title, Path: d.Path}
	out := digestJSON{
		Date:   d.Date.In(s.loc),
		Title:  d.Title,
		Tags:   d.Tags,
		Path:   d.Path,
		Papers: make([]paperJSON, 0, len(d.Papers)),
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	for i := range d.Papers {
		out.Papers = append(out.Papers, s.paperJSON(&d.Papers[i], ref))
	}
	return out
}

// parsePaperID reads the {id} of /api/papers/{id}: any form
// bot.ParseArxivID accepts (bare, versioned, arXiv:, arxiv.org and alphaxiv
// URLs), URL-escaped or not.
func parsePaperID(raw string) (bot.ArxivID, error) {
	if len(raw) > 512 {
		return "", bot.Errorf(bot.EINVALID, "That paper id is too long.")
	}
	id, _, ok := bot.ParseArxivID(raw)
	if !ok {
		return "", bot.Errorf(bot.EINVALID, "%q is not an arXiv id or URL.", raw)
	}
	return id, nil
}

// paperIDFromRequest is the decoded rest of the path, so an escaped URL
// (https%3A%2F%2Farxiv.org%2Fabs%2F2509.24006) and an old-style id with
// its slash (hep-th/9901001 or hep-th%2F9901001) both arrive whole.
func paperIDFromRequest(r *http.Request) string {
	return strings.TrimPrefix(r.URL.Path, "/api/papers/")
}

func (s *Server) handlePaper(w http.ResponseWriter, r *http.Request) {
	id, err := parsePaperID(paperIDFromRequest(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hit, err := s.cfg.Store.Paper(r.Context(), id)
	if err != nil {
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			err = bot.Errorf(bot.ENOTFOUND, "No paper with arXiv id %s in the posts.", id)
		}
		s.writeError(w, r, err)
		return
	}
	out := s.paperJSON(&hit.Paper, hit.Post)
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	buf.Reset()
	b, ok := out.appendJSON(buf.AvailableBuffer())
	if !ok {
		s.writeJSON(w, r, http.StatusOK, out)
		return
	}
	buf.Write(append(b, '\n'))
	s.writeBody(w, r, http.StatusOK, buf.Bytes())
}

// parseSearch validates GET /api/papers parameters.
func parseSearch(q, limitParam string) (query string, limit int, err error) {
	query = strings.Join(strings.Fields(q), " ")
	if query == "" {
		return "", 0, bot.Errorf(bot.EINVALID, "Give words to search for: /api/papers?q=words.")
	}
	if !utf8.ValidString(query) {
		return "", 0, bot.Errorf(bot.EINVALID, "The search is not valid UTF-8.")
	}
	if utf8.RuneCountInString(query) > maxQueryRunes {
		return "", 0, bot.Errorf(bot.EINVALID, "That search is too long; try a few words.")
	}
	limit = DefaultSearchLimit
	if limitParam != "" {
		n, err := strconv.Atoi(limitParam)
		if err != nil || n < 1 {
			return "", 0, bot.Errorf(bot.EINVALID, "limit must be a positive number.")
		}
		limit = min(n, MaxSearchLimit)
	}
	return query, limit, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	query, limit, err := parseSearch(v.Get("q"), v.Get("limit"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	hits, err := s.search(r.Context(), query, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := searchJSON{Query: query, Results: make([]paperJSON, 0, len(hits))}
	for i := range hits {
		out.Results = append(out.Results, s.paperJSON(&hits[i].Paper, hits[i].Post))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// search answers like /paper does: a lone arXiv id or URL is a lookup (one
// result or none), anything else a word search. No result is an empty list,
// not an error.
func (s *Server) search(ctx context.Context, query string, limit int) ([]bot.PaperHit, error) {
	q := bot.ParseQuery(query)
	if q.Kind == bot.QueryID {
		hit, err := s.cfg.Store.Paper(ctx, q.ID)
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []bot.PaperHit{*hit}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SearchTimeout)
	defer cancel()
	busy := bot.Errorf(bot.EUNAVAILABLE, "Search is busy or too slow right now; try again or with more specific words.")
	// A free slot is always taken, even if the deadline passed on the way
	// here; only a search that has to wait can give up.
	select {
	case s.searches <- struct{}{}:
	default:
		select {
		case s.searches <- struct{}{}:
		case <-ctx.Done():
			return nil, busy
		}
	}
	defer func() { <-s.searches }()
	hits, err := s.cfg.Store.SearchPapers(ctx, query, limit)
	if err != nil && ctx.Err() != nil {
		s.log.Warn("search too slow", "words", len(strings.Fields(query)), "timeout", s.cfg.SearchTimeout)
		return nil, fmt.Errorf("search %q: %w (%w)", query, busy, err)
	}
	return hits, err
}

func (s *Server) handleDigest(w http.ResponseWriter, r *http.Request) {
	arg := r.PathValue("date")
	if arg == "" {
		arg = "latest"
	}
	d, err := s.cmds.Digest(r.Context(), arg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, s.digestJSON(d))
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

type readyJSON struct {
	Ready   bool   `json:"ready"`
	Store   string `json:"store"`
	Reason  string `json:"reason,omitempty"`
	Scanned bool   `json:"scanned"`
	// Sender says whether this replica holds the sender lease (absent
	// without an engine).
	Sender   *bool      `json:"sender,omitempty"`
	LastScan *time.Time `json:"last_scan"`
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	out := readyJSON{Store: "ok", Scanned: true}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		// The details go to the log, not to whoever polls the probe.
		s.log.Warn("readyz: store unreachable", "err", err)
		out.Store, out.Reason = "unreachable", "the store does not answer"
	} else if err := s.probeWrite(ctx); err != nil {
		out.Store, out.Reason = "refuses_writes", writeRefusal(err)
	}
	if e := s.cfg.Engine; e != nil {
		out.Scanned = e.Ready()
		if last := e.LastScan(); !last.IsZero() {
			last = last.In(s.loc)
			out.LastScan = &last
		}
		sender := e.IsSender()
		out.Sender = &sender
	}
	out.Ready = out.Store == "ok" && out.Scanned
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, status, out)
}

// probeEvery bounds how often /readyz writes to the store: probes come
// every few seconds from each orchestrator, one small write in this long is
// plenty to notice a full disk or a read-only database.
const probeEvery = 5 * time.Second

// probeWrite checks that the store accepts a write (a small meta value),
// at most once per probeEvery; between two writes it repeats the result.
func (s *Server) probeWrite(ctx context.Context) error {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if !s.probeAt.IsZero() && time.Since(s.probeAt) < probeEvery {
		return s.probeErr
	}
	err := s.cfg.Store.SetMeta(ctx, "readyz_write_probe", time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		s.log.Warn("readyz: the store refuses writes", "err", err)
	}
	s.probeAt, s.probeErr = time.Now(), err
	return err
}

// writeRefusal says in words why the store refused a write, without
// quoting the store's error (it may name hosts or users).
func writeRefusal(err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only") || strings.Contains(msg, "read only"):
		return "the store is read-only"
	case strings.Contains(msg, "disk is full") || strings.Contains(msg, "no space") || strings.Contains(msg, "disk full"):
		return "the store's disk is full"
	case strings.Contains(msg, "deadline") || strings.Contains(msg, "timeout"):
		return "a write to the store timed out"
	}
	return "the store refuses writes (details in the log)"
}

// jsonBuffers recycles response buffers: a paper's JSON is a few KB, and
// at thousands of lookups a second a fresh buffer per response is most of
// what the garbage collector has to chase.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps a rare huge response (a search of many long
// papers) from pinning its buffer in the pool.
const maxPooledBuffer = 256 << 10

func putJSONBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		buf.Reset()
		jsonBuffers.Put(buf)
	}
}

// writeJSON writes v with an exact Content-Length (one write, no chunking).
// The body is what json.Marshal gives, HTML-escaped, plus a newline.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		s.log.Error("http: encode response", "path", r.URL.Path, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"Something went wrong on our side.","code":"internal"}` + "\n")
	}
	s.writeBody(w, r, status, buf.Bytes())
}

// writeBody writes a JSON body with an exact Content-Length.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
