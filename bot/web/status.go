package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// cookieName holds the admin session: an HMAC of a fixed label keyed with
// the admin token, so the cookie never contains the token itself, survives
// restarts and works on every replica that shares the token.
const cookieName = "paperbot_admin"

// recentPerTarget is how many deliveries the status page lists per target.
const recentPerTarget = 20

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

type deliveryView struct {
	bot.Delivery
	Date      string // the post's day from its file name, for links ("" if none)
	Updated   string
	Retryable bool
}

type targetView struct {
	Name       string
	Deliveries []deliveryView
}

type fileView struct {
	Path, Error string
}

type statusView struct {
	Ready     bool
	LastScan  string
	Files     int
	Broken    []fileView
	Targets   []targetView
	CSRF      string
	Admin     bool
	HasToken  bool
	CanRetry  bool
	Generated string
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	if s.login(w, r) {
		return
	}
	if !s.allowView(w, r) {
		return
	}
	ctx := r.Context()
	v := statusView{
		CSRF:      s.csrf,
		Admin:     s.isAdmin(r),
		HasToken:  s.cfg.AdminToken != "",
		CanRetry:  s.cfg.Retry != nil,
		Generated: s.fmtTime(time.Now()),
		Ready:     true,
		LastScan:  "never",
	}
	if s.cfg.Ready != nil {
		var last time.Time
		v.Ready, last = s.cfg.Ready()
		if !last.IsZero() {
			v.LastScan = s.fmtTime(last)
		}
	}
	files, err := s.cfg.Store.Files(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Files = len(files)
	for _, f := range files {
		if f.Error != "" {
			v.Broken = append(v.Broken, fileView{Path: f.Path, Error: f.Error})
		}
	}
	slices.SortFunc(v.Broken, func(a, b fileView) int { return strings.Compare(a.Path, b.Path) })
	ds, err := s.cfg.Store.Deliveries(ctx, "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Targets = s.recentByTarget(ds)
	s.render(w, r, statusTmpl, v)
}

// recentByTarget groups deliveries by target, newest first, a few each.
func (s *Server) recentByTarget(ds []bot.Delivery) []targetView {
	byTarget := map[string][]bot.Delivery{}
	for _, d := range ds {
		byTarget[d.Target] = append(byTarget[d.Target], d)
	}
	names := make([]string, 0, len(byTarget))
	for n := range byTarget {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]targetView, 0, len(names))
	for _, n := range names {
		list := byTarget[n]
		slices.SortStableFunc(list, func(a, b bot.Delivery) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
		if len(list) > recentPerTarget {
			list = list[:recentPerTarget]
		}
		tv := targetView{Name: n}
		for _, d := range list {
			tv.Deliveries = append(tv.Deliveries, s.deliveryView(d))
		}
		out = append(out, tv)
	}
	return out
}

func (s *Server) deliveryView(d bot.Delivery) deliveryView {
	return deliveryView{
		Delivery:  d,
		Date:      fileDate(d.Post),
		Updated:   s.fmtTime(d.UpdatedAt),
		Retryable: d.State == bot.DeliveryFailed,
	}
}

// fileDate is the YYYY-MM-DD a post's file name starts with, or "".
func fileDate(p string) string {
	base := path.Base(p)
	if len(base) < 10 {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, base[:10]); err != nil {
		return ""
	}
	return base[:10]
}

func (s *Server) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(s.loc).Format("2006-01-02 15:04:05 MST")
}

type postView struct {
	Digest     *bot.Digest
	Date       string
	Slack      string
	Discord    string
	HasPreview bool
	Papers     []paperView
	Deliveries []deliveryView
}

type paperView struct {
	Number   int
	Title    string
	Link     string
	ID       string
	Sections []sectionJSON
}

type postsView struct {
	Day      string
	Posts    []postView
	CSRF     string
	Admin    bool
	HasToken bool
	CanRetry bool
}

func parseDay(s string, loc *time.Location) (string, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return "", bot.Errorf(bot.EINVALID, "%q is not a date: use YYYY-MM-DD.", s)
	}
	return t.Format(time.DateOnly), nil
}

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	if s.login(w, r) {
		return
	}
	if !s.allowView(w, r) {
		return
	}
	day, err := parseDay(r.PathValue("date"), s.loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	posts, err := s.cfg.Store.PostsOn(ctx, day)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(posts) == 0 {
		s.writeError(w, r, bot.Errorf(bot.ENOTFOUND, "No post for %s.", day))
		return
	}
	v := postsView{Day: day, CSRF: s.csrf, Admin: s.isAdmin(r), HasToken: s.cfg.AdminToken != "", CanRetry: s.cfg.Retry != nil}
	for _, d := range posts {
		pv := postView{Digest: d, Date: s.fmtTime(d.Date)}
		for i := range d.Papers {
			p := &d.Papers[i]
			sv := paperView{Number: p.Number, Title: p.Title, Link: p.Link(), ID: string(p.ID)}
			for j := range p.Sections {
				sv.Sections = append(sv.Sections, sectionJSON{Name: p.Sections[j].Name, Text: p.Sections[j].Text()})
			}
			pv.Papers = append(pv.Papers, sv)
		}
		if s.cfg.Preview != nil {
			sl, dc := s.cfg.Preview(d)
			pv.Slack, pv.Discord, pv.HasPreview = indentJSON(sl), indentJSON(dc), true
		}
		ds, err := s.cfg.Store.Deliveries(ctx, d.Path)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, dl := range ds {
			dv := s.deliveryView(dl)
			dv.Date = day
			pv.Deliveries = append(pv.Deliveries, dv)
		}
		v.Posts = append(v.Posts, pv)
	}
	s.render(w, r, postTmpl, v)
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// handleRetry is the status page's retry button: admin only (a token, not
// merely loopback, since a browser on this machine can be made to post
// here), same-origin, with the page's CSRF token.
func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	if !s.isAdmin(r) {
		s.refuse(w, r)
		return
	}
	if err := s.cop.Check(r); err != nil {
		s.writeError(w, r, bot.Errorf(codeForbidden, "Cross-origin request refused."))
		return
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, mbe)
			return
		}
		s.writeError(w, r, bot.Errorf(bot.EINVALID, "The form could not be read."))
		return
	}
	if !equal(r.PostForm.Get("csrf"), s.csrf) {
		s.writeError(w, r, bot.Errorf(codeForbidden, "The form is stale or forged; reload the status page."))
		return
	}
	day, err := parseDay(r.PathValue("date"), s.loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	post, err := s.retryTarget(r, day, r.PostForm.Get("post"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.Retry == nil {
		s.writeError(w, r, bot.Errorf(bot.EUNAVAILABLE, "Retrying is not available in this process."))
		return
	}
	if err := s.cfg.Retry(r.Context(), post); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("retry requested", "post", post, "remote", r.RemoteAddr)
	back := "/"
	if r.PostForm.Get("back") == "post" {
		back = "/posts/" + day
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// retryTarget picks the post to retry: the form's post path, which must be
// of that day, or the day's only post.
func (s *Server) retryTarget(r *http.Request, day, post string) (string, error) {
	ctx := r.Context()
	if post != "" {
		if fileDate(post) == day {
			return post, nil
		}
		d, err := s.cfg.Store.Post(ctx, post)
		if err != nil {
			return "", err
		}
		if d.Date.In(s.loc).Format(time.DateOnly) != day {
			return "", bot.Errorf(bot.EINVALID, "Post %s is not of %s.", post, day)
		}
		return post, nil
	}
	posts, err := s.cfg.Store.PostsOn(ctx, day)
	if err != nil {
		return "", err
	}
	switch len(posts) {
	case 0:
		return "", bot.Errorf(bot.ENOTFOUND, "No post for %s.", day)
	case 1:
		return posts[0].Path, nil
	}
	return "", bot.Errorf(bot.EINVALID, "%s has %d posts; say which one (form field post).", day, len(posts))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, t *template.Template, v any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
