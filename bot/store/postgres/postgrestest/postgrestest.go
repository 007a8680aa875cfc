// Package postgrestest gives PostgreSQL tests the test server and a schema
// of their own on it. It is apart from storetest, which every store's and
// the engine's tests import, so that only the test binaries that talk to
// PostgreSQL link its driver (pgx). It is for tests only; the program never
// imports it.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variable holding the DSN of the
// PostgreSQL server tests may use; without it they skip.
const Env = "PAPERBOT_TEST_POSTGRES"

// Server returns the test server's DSN, or skips t without one.
func Server(t testing.TB) string {
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skip(Env + " is not set (a PostgreSQL DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): skipping a PostgreSQL test")
	}
	return dsn
}

// Schema makes a schema of its own on the test server for t, drops
// it when t ends, and returns a DSN whose search_path selects it: parallel
// tests and test packages share the one server and never see each other's
// tables. It skips t without a server.
func Schema(t testing.TB) string {
	dsn, drop := NewSchema(t, Server(t))
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// NewSchema creates a schema named pb_test_<random> on server and
// returns a DSN selecting it and the function that drops it, for a schema
// that outlives one test (a benchmark archive dropped in TestMain).
func NewSchema(t testing.TB, server string) (dsn string, drop func() error) {
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a URL DSN", Env)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pb_test_" + hex.EncodeToString(b)
	if err := pgExec(server, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() error {
		if err := pgExec(server, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
}

func pgExec(server, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
