package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// cookieName holds the admin session: an HMAC of a fixed label keyed with
// the admin token, so the cookie never contains the token itself, survives
// restarts and works on every replica that shares the token.
const cookieName = "paperbot_admin"

func sessionValue(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("paperbot admin session v1"))
	return hex.EncodeToString(mac.Sum(nil))
}

// equal compares secrets in constant time; hashing first hides the length.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// isAdmin: the request carries the admin token (Bearer) or its session
// cookie.
func (s *Server) isAdmin(r *http.Request) bool {
	if s.cfg.AdminToken == "" {
		return false
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		if equal(strings.TrimSpace(h[7:]), s.cfg.AdminToken) {
			return true
		}
	}
	if c, err := r.Cookie(cookieName); err == nil && equal(c.Value, s.session) {
		return true
	}
	return false
}

// isLoopback: the peer is this machine and no proxy stands between (a
// reverse proxy on the same host would make every visitor look local).
func isLoopback(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// allowView guards the status page and the previews: admin or loopback. It
// answers the refusal itself and reports false.
func (s *Server) allowView(w http.ResponseWriter, r *http.Request) bool {
	if s.isAdmin(r) || isLoopback(r) {
		return true
	}
	s.refuse(w, r)
	return false
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AdminToken == "" {
		s.writeError(w, r, bot.Errorf(codeForbidden, "This page is open to local clients only."))
		return
	}
	s.writeError(w, r, bot.Errorf(bot.EUNAUTHORIZED, "This page needs the admin token."))
}

// login turns a valid ?token= into the session cookie and redirects to the
// same page without the token, so it leaves the address bar and history.
// It reports whether it answered the request.
func (s *Server) login(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	if !q.Has("token") {
		return false
	}
	if s.cfg.AdminToken == "" || !equal(q.Get("token"), s.cfg.AdminToken) {
		s.writeError(w, r, bot.Errorf(bot.EUNAUTHORIZED, "Wrong admin token."))
		return true
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    s.session,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		SameSite: http.SameSiteStrictMode,
		MaxAge:   int((30 * 24 * time.Hour).Seconds()),
	})
	q.Del("token")
	u := *r.URL
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
	return true
}
