package web

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// Codes of the web layer on top of the domain's (bot.E*): they exist only as
// HTTP statuses.
const (
	codeForbidden = "forbidden"
	codeTooLarge  = "too_large"
	codeMethod    = "method_not_allowed"
)

// statusOf maps an error's domain code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case bot.ENOTFOUND:
		return http.StatusNotFound
	case bot.EINVALID:
		return http.StatusBadRequest
	case bot.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case bot.ECONFLICT:
		return http.StatusConflict
	case bot.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case codeForbidden:
		return http.StatusForbidden
	case codeMethod:
		return http.StatusMethodNotAllowed
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers err as JSON {"error","code"}. Domain errors carry a
// user-safe message; anything else becomes bot.ErrorMessage's generic
// sentence and code "internal", and its details go to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = bot.Errorf(codeTooLarge, "The request body is larger than %d bytes.", mbe.Limit)
	}
	code := bot.ErrorCode(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		// A damaged post keeps its code and message, which name the post:
		// the reader learns which post is broken, and that it alone is.
		if code != bot.EUNREADABLE {
			code = bot.EINTERNAL
		}
		s.log.Error("http: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg := bot.ErrorMessage(err)
	if code == bot.EINTERNAL {
		// Even a *bot.Error coded internal may quote too much; stay generic.
		msg = bot.ErrorMessage(errors.New(""))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="paperbot"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, status, errorJSON{Error: msg, Code: code})
}

// recorder remembers the status and size of a response for the access log
// and the metrics; Unwrap keeps http.ResponseController working.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets streaming handlers (none today) keep working behind the wrapper.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// wrap adds the guard rails every route shares: the body cap, panic
// recovery, metrics and the access log.
func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // the server's own way to drop a connection
				}
				// The path only: the query may carry ?token=.
				s.log.Error("http: panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.writeError(rec, r, errors.New("panic"))
				}
			}
			s.observe(r, rec, start)
		}()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.writeError(rec, r, &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(rec, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(rec, r)
	})
}

// observe records one finished request. The route label is the mux pattern
// (bounded), never the raw path; the log has the path but not the query or
// the headers, so tokens never reach it.
func (s *Server) observe(r *http.Request, rec *recorder, start time.Time) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(start)
	route := r.Pattern
	if route == "" || route == "/" {
		route = "other"
	}
	s.metrics.observe(route, status, d)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr),
		)
	}
}

// statusText is the status code as a label value without allocating for the
// common ones.
func statusText(status int) string {
	switch status {
	case 200:
		return "200"
	case 303:
		return "303"
	case 400:
		return "400"
	case 404:
		return "404"
	case 500:
		return "500"
	}
	return strconv.Itoa(status)
}
