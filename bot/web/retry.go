package web

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// handleRetry is the pages' retry button: it retries the delivery of one
// post to one target through the engine. Admin only (a token, not merely
// loopback, since a browser on this machine can be made to post here),
// same-origin, with the page's CSRF token; all of that is checked before
// the form's content is looked at. The post must be one of the day's and
// the target a configured one, else 404 and nothing happens.
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
	e := s.cfg.Engine
	if e == nil {
		s.writeError(w, r, bot.Errorf(bot.EUNAVAILABLE, "Retrying is not available in this process."))
		return
	}
	post, err := s.retryPost(r, day, r.PostForm.Get("post"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	target := r.PostForm.Get("target")
	if target == "" {
		s.writeError(w, r, bot.Errorf(bot.EINVALID, "Say which target to retry (form field target)."))
		return
	}
	if !slices.ContainsFunc(e.Health(), func(h bot.TargetHealth) bool { return h.Target == target }) {
		s.writeError(w, r, bot.Errorf(bot.ENOTFOUND, "No target named %q.", target))
		return
	}
	if err := e.Retry(r.Context(), post, target); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("retry requested", "post", post, "target", target, "remote", r.RemoteAddr)
	back := "/"
	if r.PostForm.Get("back") == "post" {
		back = "/posts/" + day
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// retryPost picks the post to retry: the form's post path, which must be
// an indexed post of that day, or the day's only post. Anything else is
// ENOTFOUND, so a made-up path never reaches the engine.
func (s *Server) retryPost(r *http.Request, day, post string) (string, error) {
	ctx := r.Context()
	if post != "" {
		d, err := s.cfg.Store.Post(ctx, post)
		if bot.ErrorCode(err) == bot.ENOTFOUND || err == nil && d.Date.In(s.loc).Format(time.DateOnly) != day {
			return "", bot.Errorf(bot.ENOTFOUND, "No post %q on %s.", post, day)
		}
		if err != nil {
			return "", err
		}
		return d.Path, nil
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
