package postgres

import (
	"context"
	"testing"

	"github.com/paperbot/paperbot/bot/store/postgres/postgrestest"
)

// TestSessionSettings: the store's sessions run without JIT or parallel
// workers, unless the DSN says otherwise.
func TestSessionSettings(t *testing.T) {
	t.Parallel()
	dsn := postgrestest.Schema(t)
	ctx := context.Background()
	for _, tc := range []struct{ extra, jit, workers string }{
		{"", "off", "0"},
		{"&jit=on&max_parallel_workers_per_gather=1", "on", "1"},
	} {
		s, err := Open(ctx, dsn+tc.extra, nil)
		if err != nil {
			t.Fatal(err)
		}
		var jit, workers string
		if err := s.pool.QueryRow(ctx, `SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')`).Scan(&jit, &workers); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if jit != tc.jit || workers != tc.workers {
			t.Errorf("DSN%s: jit=%s max_parallel_workers_per_gather=%s, want %s and %s", tc.extra, jit, workers, tc.jit, tc.workers)
		}
	}
}
