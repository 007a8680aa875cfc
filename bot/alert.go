package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// alertTitle is the title of the missing-post notice for day at deadline.
func alertTitle(day string, deadline time.Time) string {
	return fmt.Sprintf("No Daily Papers post for %s by %s", day, deadline.Format("15:04"))
}

// checkMissing raises the missing-post alert: when ExpectBy is set, today
// (in Location) is an expected day, its deadline has passed and no post
// that is not a draft is dated today, it logs a warning and tells the
// Observer (once per day in this process), and the sender posts one notice
// to Alerts: a Digest with alertTitle as its title and no papers, under
// the key "pb-alert-YYYYMMDD". MetaAlertPrefix+day records the notice so
// it goes out once per day across restarts and replicas. The record is
// written after the notice is posted: a crash in between may repeat a
// notice, which is better than losing it.
func (e *Engine) checkMissing(ctx context.Context) error {
	if e.ExpectBy == nil {
		return nil
	}
	loc := e.loc()
	now := e.now().In(loc)
	deadline, expected := e.ExpectBy.Deadline(now, loc)
	if !expected || now.Before(deadline) {
		return nil
	}
	day := now.Format(time.DateOnly)
	posts, err := e.Store.PostsOn(ctx, day)
	if errors.Is(err, ErrUnreadable) {
		// A post arrived; that it cannot be read back is its own failure,
		// recorded and reported by delivery, not a missing post.
		return nil
	}
	if err != nil {
		return fmt.Errorf("missing-post check: posts of %s: %w", day, err)
	}
	for _, p := range posts {
		if !p.Draft {
			return nil
		}
	}
	e.mu.Lock()
	first := e.alertedDay != day
	e.alertedDay = day
	e.mu.Unlock()
	if first {
		e.log().Warn("no post for today by the expected time", "day", day, "expect_by", e.ExpectBy.String())
		e.obs().MissingPost(day)
	}
	if e.Alerts == nil {
		return nil
	}
	metaKey := MetaAlertPrefix + day
	if v, err := e.Store.Meta(ctx, metaKey); err != nil {
		return fmt.Errorf("missing-post check: %w", err)
	} else if v != "" {
		return nil
	}
	lease, done, err := e.holdLease(ctx)
	if err != nil {
		return fmt.Errorf("missing-post check: take lease: %w", err)
	}
	if lease == nil {
		return nil // the sender replica posts it
	}
	defer done()
	if w := e.worker(e.Alerts.Name()); w != nil && w.t == e.Alerts {
		// One caller at a time per target: not while its worker sends.
		w.passMu.Lock()
		defer w.passMu.Unlock()
	}
	// Another replica may have posted it between the read and the lease.
	if v, err := e.Store.Meta(ctx, metaKey); err != nil {
		return fmt.Errorf("missing-post check: %w", err)
	} else if v != "" {
		return nil
	}
	y, m, dd := now.Date()
	notice := &Digest{
		Date:  time.Date(y, m, dd, 0, 0, 0, 0, loc),
		Title: alertTitle(day, deadline),
		Path:  "alert/" + day,
	}
	key := "pb-alert-" + strings.ReplaceAll(day, "-", "")
	callCtx, cancel := context.WithTimeout(lease, e.callTimeout())
	defer cancel()
	start := time.Now()
	_, err, _ = callTarget(func() ([]MessageRef, error) { return e.Alerts.Post(callCtx, notice, key) })
	e.obs().Sent(e.Alerts.Name(), time.Since(start), err)
	if err != nil {
		return fmt.Errorf("missing-post notice to %s: %w", e.Alerts.Name(), err)
	}
	if err := e.Store.SetMeta(context.WithoutCancel(ctx), metaKey, e.now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("missing-post check: record notice: %w", err)
	}
	e.log().Info("missing-post notice sent", "day", day, "target", e.Alerts.Name())
	return nil
}
