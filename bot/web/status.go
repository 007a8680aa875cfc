package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// pageSize is how many deliveries one page of the status page lists.
const pageSize = 50

// Row states the status page shows besides the stored ones: a pair
// without a record yet waits (a draft, a post dated in the future, one
// held behind an older post, or one due at the next run).
const stateWaiting bot.DeliveryState = "waiting"

// deliveryRow is one (post, target) pair as the pages show it.
type deliveryRow struct {
	Post   string
	Day    string // the post's day from its file name, for links ("" if none)
	Target string
	State  bot.DeliveryState
	// Detail says in words why the pair stands where it does: the error,
	// the reason for a skip or a wait.
	Detail   string
	Attempts int
	// Next is when a retrying delivery is tried again ("" if unknown).
	Next     timeView
	Updated  timeView
	Links    []linkView
	Messages int
	// Retryable: failed or retrying, so the retry button applies.
	Retryable bool
	sortDay   string
	// sortAt is the last update and nextAt the next attempt: turned into
	// Updated and Next (show) only for the rows a page shows.
	sortAt, nextAt time.Time
}

// show fills in the rows' times for display.
func (s *Server) show(rows []deliveryRow, now time.Time) {
	for i := range rows {
		rows[i].Updated = s.timeView(rows[i].sortAt, now)
		rows[i].Next = s.timeView(rows[i].nextAt, now)
	}
}

type linkView struct {
	N   int
	URL string
}

// timeView is an instant for a template: shown in the configured zone,
// with a machine-readable datetime attribute and how far from now it is.
type timeView struct {
	Text, ISO, Rel string
}

type targetView struct {
	Name        string
	Healthy     bool
	LastSuccess timeView
	Failures    int
	LastError   string
	NextAttempt timeView
}

type brokenView struct {
	Path, Error string
}

type statusView struct {
	HasEngine  bool
	Ready      bool
	Schedule   string
	NextRun    timeView
	LastScan   timeView
	ScanError  string
	Sender     bool
	ExpectBy   expectView
	Files      int
	Broken     []brokenView
	Targets    []targetView
	Rows       []deliveryRow
	Page       int
	Pages      int
	Total      int
	Zone       string
	Generated  timeView
	AdminState adminView
}

// adminView is what the pages' forms need.
type adminView struct {
	Admin    bool
	HasToken bool
	CanRetry bool
	CSRF     string
	Back     string
}

// expectView is the expect_by state in words.
type expectView struct {
	Set      bool
	Rule     string
	State    string // "arrived", "due", "overdue", "not-expected"
	Text     string
	Deadline timeView
}

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

func (s *Server) adminView(r *http.Request, back string) adminView {
	return adminView{
		Admin:    s.isAdmin(r),
		HasToken: s.cfg.AdminToken != "",
		CanRetry: s.cfg.Engine != nil,
		CSRF:     s.csrf,
		Back:     back,
	}
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	if s.login(w, r) {
		return
	}
	if !s.allowView(w, r) {
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			s.writeError(w, r, bot.Errorf(bot.EINVALID, "page must be a positive number."))
			return
		}
		page = n
	}
	ctx := r.Context()
	now := s.now()
	v := statusView{
		Ready:      true,
		Schedule:   s.cfg.Schedule,
		Zone:       s.loc.String(),
		Generated:  s.timeView(now, now),
		AdminState: s.adminView(r, "status"),
	}
	var health []bot.TargetHealth
	if e := s.cfg.Engine; e != nil {
		v.HasEngine = true
		v.Ready = e.Ready()
		v.NextRun = s.timeView(e.NextRun(), now)
		v.LastScan = s.timeView(e.LastScan(), now)
		v.ScanError = e.LastScanError()
		v.Sender = e.IsSender()
		health = e.Health()
	}
	files, err := s.cfg.Store.Files(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Files = len(files)
	for _, f := range files {
		if f.Error != "" {
			v.Broken = append(v.Broken, brokenView{Path: f.Path, Error: f.Error})
		}
	}
	slices.SortFunc(v.Broken, func(a, b brokenView) int { return strings.Compare(a.Path, b.Path) })
	if v.ExpectBy, err = s.expectBy(ctx, now); err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := s.cfg.Store.Deliveries(ctx, "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, h := range health {
		v.Targets = append(v.Targets, s.targetView(h, now))
	}
	candidates := make([]string, 0, len(files))
	for p, fs := range files {
		if fs.Hash != "" || fs.Error == "" { // else never parsed: listed as broken
			candidates = append(candidates, p)
		}
	}
	rows, err := s.rows(ctx, candidates, recs, health, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.Total = len(rows)
	v.Pages = max(1, (len(rows)+pageSize-1)/pageSize)
	if page > v.Pages {
		s.writeError(w, r, bot.Errorf(bot.ENOTFOUND, "There are only %d pages of deliveries.", v.Pages))
		return
	}
	v.Page = page
	v.Rows = rows[(page-1)*pageSize : min(page*pageSize, len(rows))]
	s.show(v.Rows, now)
	s.linkRows(ctx, v.Rows, sentRefs(recs))
	s.render(w, r, statusTmpl, v)
}

func (s *Server) targetView(h bot.TargetHealth, now time.Time) targetView {
	return targetView{
		Name:        h.Target,
		Healthy:     h.Failures == 0,
		LastSuccess: s.timeView(h.LastSuccess, now),
		Failures:    h.Failures,
		LastError:   h.LastError,
		NextAttempt: s.timeView(h.NextAttempt, now),
	}
}

// expectBy says whether today's post arrived by the expect_by deadline.
func (s *Server) expectBy(ctx context.Context, now time.Time) (expectView, error) {
	eb := s.cfg.ExpectBy
	if eb == nil {
		return expectView{Text: "No expect_by deadline is configured: a missing post raises no alert."}, nil
	}
	v := expectView{Set: true, Rule: eb.String()}
	now = now.In(s.loc)
	deadline, expected := eb.Deadline(now, s.loc)
	if !expected {
		v.State = "not-expected"
		v.Text = "No post is expected today."
		if next, ok := eb.NextDeadline(now, s.loc); ok {
			v.Deadline = s.timeView(next, now)
			v.Text += " Next deadline:"
		}
		return v, nil
	}
	v.Deadline = s.timeView(deadline, now)
	day := now.Format(time.DateOnly)
	posts, err := s.cfg.Store.PostsOn(ctx, day)
	if errors.Is(err, bot.ErrUnreadable) {
		// It arrived; that it cannot be read is this post's failure.
		v.State, v.Text = "arrived", "Today's post arrived, but: "+bot.ErrorMessage(err)
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("expect_by: posts of %s: %w", day, err)
	}
	for _, p := range posts {
		if !p.Draft {
			v.State, v.Text = "arrived", "Today's post arrived: "+p.Title+"."
			return v, nil
		}
	}
	if now.Before(deadline) {
		v.State, v.Text = "due", "Today's post has not arrived yet; it is due by"
		return v, nil
	}
	v.State, v.Text = "overdue", "Overdue: no post for today, due by"
	return v, nil
}

// rows lists every (post, target) pair: the stored records, and the pairs
// of known posts and targets that have none yet (waiting). Newest post
// first (the day in its file name), then the latest update, then target.
//
// candidates are the post paths that may lack a record; only those missing
// one for some target are read.
func (s *Server) rows(ctx context.Context, candidates []string, recs []bot.Delivery, health []bot.TargetHealth, now time.Time) ([]deliveryRow, error) {
	next := map[string]time.Time{}
	targets := make([]string, 0, len(health))
	for _, h := range health {
		targets = append(targets, h.Target)
		next[h.Target] = h.NextAttempt
	}
	have := make(map[[2]string]bool, len(recs))
	// holding is, per target, the oldest post whose transient failure holds
	// the later ones back.
	holding := map[string]string{}
	for _, d := range recs {
		have[[2]string{d.Post, d.Target}] = true
		if d.State == bot.DeliveryRetrying {
			if h, ok := holding[d.Target]; !ok || postOrder(d.Post, h) < 0 {
				holding[d.Target] = d.Post
			}
		}
	}
	rows := make([]deliveryRow, 0, len(recs))
	for _, d := range recs {
		row := s.recordRow(d, next[d.Target])
		if _, known := next[d.Target]; !known && health != nil && row.Retryable {
			// History of a target since removed from the config.
			row.Retryable = false
			row.Detail += " (target no longer configured)"
		}
		if d.State == bot.DeliveryQueued {
			row.Detail = heldBehind(holding[d.Target])
		}
		rows = append(rows, row)
	}
	// A pair without a record waits; reading its post tells why. Posts
	// every target has a record for are never read.
	var paths []string
	for _, p := range candidates {
		for _, t := range targets {
			if !have[[2]string{p, t}] {
				paths = append(paths, p)
				break
			}
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		d, err := s.cfg.Store.Post(ctx, p)
		if bot.ErrorCode(err) == bot.ENOTFOUND || errors.Is(err, bot.ErrUnreadable) {
			continue // gone since, or damaged: the engine records it failed
		}
		if err != nil {
			return nil, fmt.Errorf("status: post %s: %w", p, err)
		}
		for _, t := range targets {
			if have[[2]string{p, t}] {
				continue
			}
			row := deliveryRow{Post: p, Day: fileDate(p), Target: t, State: stateWaiting, sortDay: d.Date.In(s.loc).Format(time.DateOnly)}
			switch h, held := holding[t]; {
			case d.Draft:
				row.Detail = "a draft (published: false): never sent until it is published"
			case d.Date.After(now):
				row.Detail = "dated " + s.fmtTime(d.Date) + ": sent once that time has come"
			case held && postOrder(h, p) < 0:
				row.Detail = heldBehind(h)
			default:
				row.Detail = "due: sent at the next run"
			}
			rows = append(rows, row)
		}
	}
	slices.SortStableFunc(rows, func(a, b deliveryRow) int {
		return cmp.Or(
			strings.Compare(b.sortDay, a.sortDay),
			b.sortAt.Compare(a.sortAt),
			strings.Compare(a.Post, b.Post),
			strings.Compare(a.Target, b.Target),
		)
	})
	return rows, nil
}

// heldBehind says why a post waits for an older one of the same target.
func heldBehind(older string) string {
	if older == "" {
		return "queued behind an older post that is being retried: posts go out in date order"
	}
	return "queued behind " + older + ", which is being retried: posts go out in date order"
}

// postOrder orders post paths the way the engine sends them when their
// dates are unknown here: by the day in the file name, then by path.
func postOrder(a, b string) int {
	return cmp.Or(strings.Compare(fileDate(a), fileDate(b)), strings.Compare(a, b))
}

func (s *Server) recordRow(d bot.Delivery, next time.Time) deliveryRow {
	row := deliveryRow{
		Post:     d.Post,
		Day:      fileDate(d.Post),
		Target:   d.Target,
		State:    d.State,
		Attempts: d.Attempts,
		sortDay:  fileDate(d.Post),
		sortAt:   d.UpdatedAt,
	}
	switch d.State {
	case bot.DeliverySent:
		row.Messages = len(d.Refs)
	case bot.DeliveryRetrying:
		row.Detail = d.LastError
		row.nextAt = next
		row.Retryable = true
	case bot.DeliveryFailed:
		row.Detail = d.LastError
		if row.Detail == "" {
			row.Detail = "no reason was recorded"
		}
		row.Retryable = true
	case bot.DeliveryQueued:
		// Due but not begun: the pages call it waiting, as they do the
		// pairs without a record, and say behind what (see rows).
		row.State = stateWaiting
		row.Detail = heldBehind("")
	case bot.DeliverySkipped:
		row.Detail = strings.TrimPrefix(d.LastError, "skipped: ")
	case bot.DeliverySending:
		row.Detail = "the call to the chat is in progress"
		if d.LastError != "" {
			// An interrupted send whose outcome is not known yet.
			row.Detail = "outcome unknown, checked before any resend: " + d.LastError
		}
	}
	return row
}

// linkRows fills in the links of the sent rows shown, within a budget: a
// link the platform is slow to give is left out of this rendering rather
// than holding the page.
func (s *Server) linkRows(ctx context.Context, rows []deliveryRow, refs map[[2]string][]bot.MessageRef) {
	if s.cfg.Links == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, linkBudget)
	defer cancel()
	for i := range rows {
		for j, ref := range refs[[2]string{rows[i].Post, rows[i].Target}] {
			if ctx.Err() != nil {
				return
			}
			if u := s.cfg.Links.MessageURL(ctx, rows[i].Target, ref); u != "" {
				rows[i].Links = append(rows[i].Links, linkView{N: j + 1, URL: u})
			}
		}
	}
}

func sentRefs(recs []bot.Delivery) map[[2]string][]bot.MessageRef {
	refs := map[[2]string][]bot.MessageRef{}
	for _, d := range recs {
		if d.State == bot.DeliverySent && len(d.Refs) > 0 {
			refs[[2]string{d.Post, d.Target}] = d.Refs
		}
	}
	return refs
}

// linkBudget bounds the time one page spends asking for message links.
const linkBudget = 2 * time.Second

// fileDate is the YYYY-MM-DD of a post's file name (bot.PostName's rule),
// or "".
func fileDate(p string) string {
	day, _, _ := bot.PostName(p)
	return day
}

func (s *Server) fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(s.loc).Format("2006-01-02 15:04:05 MST")
}

func (s *Server) timeView(t, now time.Time) timeView {
	if t.IsZero() {
		return timeView{}
	}
	return timeView{Text: s.fmtTime(t), ISO: t.In(s.loc).Format(time.RFC3339), Rel: relative(t.Sub(now))}
}

// relative is d in words: "in 3 h 5 min", "12 min ago", "in 40 s".
func relative(d time.Duration) string {
	ago := d < 0
	if ago {
		d = -d
	}
	var out string
	switch {
	case d < time.Second:
		return "now"
	case d < time.Minute:
		out = fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		out = fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		out = fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		out = fmt.Sprintf("%d days", int(d.Hours())/24)
	}
	if ago {
		return out + " ago"
	}
	return "in " + out
}
