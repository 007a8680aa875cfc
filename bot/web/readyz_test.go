package web

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// TestReadyzRefusedWrites: /readyz is 503 while the store answers but
// refuses writes, says why in words (never the store's own error), says
// whether this replica is the sender, and recovers once writes work again.
func TestReadyzRefusedWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	f.engine.mu.Lock()
	f.engine.sender = false
	f.engine.mu.Unlock()
	for _, tc := range []struct {
		err    error
		reason string
	}{
		{errors.New("sqlite: database or disk is full (13): password=hunter2"), "the store's disk is full"},
		{errors.New("ERROR: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)"), "the store is read-only"},
		{errors.New("something odd"), "the store refuses writes (details in the log)"},
	} {
		f.store.metaErr = tc.err
		f.srv.probeMu.Lock()
		f.srv.probeAt = time.Time{} // no cached result between cases
		f.srv.probeMu.Unlock()
		w := f.do(t, req{target: "/readyz"})
		var got readyJSON
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if w.Code != 503 || got.Ready || got.Store != "refuses_writes" || got.Reason != tc.reason || strings.Contains(w.Body.String(), "hunter2") {
			t.Errorf("%v: %d %s", tc.err, w.Code, w.Body)
		}
		if got.Sender == nil || *got.Sender {
			t.Errorf("sender not said: %s", w.Body)
		}
	}
	f.store.metaErr = nil
	f.engine.mu.Lock()
	f.engine.sender = true
	f.engine.mu.Unlock()
	f.srv.probeMu.Lock()
	f.srv.probeAt = time.Time{}
	f.srv.probeMu.Unlock()
	if w := f.do(t, req{target: "/readyz"}); w.Code != 200 || !strings.Contains(w.Body.String(), `"sender":true`) {
		t.Errorf("readyz with writes back: %d %s", w.Code, w.Body)
	}
}

// TestReadyzReadOnlySQLite: a real SQLite database opened read-only.
func TestReadyzReadOnlySQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paperbot.db")
	st, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	ro, err := sqlite.Open(ctx, "file:"+path+"?mode=ro", nil)
	if err != nil {
		t.Skipf("cannot open the database read-only here: %v", err)
	}
	defer ro.Close()
	f := newFixture(t, func(c *Config) { c.Store = ro })
	w := f.do(t, req{target: "/readyz"})
	if w.Code != 503 || !strings.Contains(w.Body.String(), `"reason":"the store is read-only"`) {
		t.Errorf("readyz on a read-only database: %d %s", w.Code, w.Body)
	}
}
