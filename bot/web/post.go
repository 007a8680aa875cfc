package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/formatter"
)

type postView struct {
	Digest *bot.Digest
	Date   timeView
	// Drawing is formatter.HTMLDrawing's markup: both chats as they will
	// show the post.
	Drawing template.HTML
	// Spoilers and Buttons: the drawing has some, so the page says how
	// they behave here.
	Spoilers, Buttons bool
	Slack             string
	Discord           string
	Deliveries        []deliveryRow
}

type postsView struct {
	Day        string
	Posts      []postView
	Zone       string
	AdminState adminView
	// Damaged names a post of the day that cannot be read back from the
	// store (the others are shown).
	Damaged string
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
	damaged := ""
	if errors.Is(err, bot.ErrUnreadable) {
		// The page shows the readable posts and names the damaged one.
		s.log.Error("post page: a post of the day cannot be read", "day", day, "err", err)
		damaged, err = bot.ErrorMessage(err), nil
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(posts) == 0 && damaged == "" {
		s.writeError(w, r, bot.Errorf(bot.ENOTFOUND, "No post for %s.", day))
		return
	}
	now := s.now()
	var health []bot.TargetHealth
	if s.cfg.Engine != nil {
		health = s.cfg.Engine.Health()
	}
	// Every record, since another post's retry may hold this one back.
	recs, err := s.cfg.Store.Deliveries(ctx, "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := postsView{Day: day, Zone: s.loc.String(), AdminState: s.adminView(r, "post"), Damaged: damaged}
	for _, d := range posts {
		pv := postView{
			Digest: d,
			Date:   s.timeView(d.Date, now),
			// HTMLDrawing escapes everything that comes from the post and
			// keeps http(s) links only.
			Drawing: template.HTML(formatter.HTMLDrawing(d, s.cfg.Slack, s.cfg.Discord)),
		}
		pv.Spoilers = strings.Contains(string(pv.Drawing), `class="spoiler"`)
		pv.Buttons = strings.Contains(string(pv.Drawing), `<button>`)
		sl, err := formatter.SlackJSON(formatter.Slack(d, s.cfg.Slack))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		dc, err := formatter.DiscordJSON(formatter.Discord(d, s.cfg.Discord))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		pv.Slack, pv.Discord = indentJSON(sl), indentJSON(dc)
		rows, err := s.rows(ctx, []string{d.Path}, recs, health, now)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, row := range rows {
			if row.Post == d.Path {
				pv.Deliveries = append(pv.Deliveries, row)
			}
		}
		slices.SortFunc(pv.Deliveries, func(a, b deliveryRow) int { return strings.Compare(a.Target, b.Target) })
		s.show(pv.Deliveries, now)
		s.linkRows(ctx, pv.Deliveries, sentRefs(recs))
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
