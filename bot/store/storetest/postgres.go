package storetest

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

// PostgresEnv names the environment variable holding the DSN of the
// PostgreSQL server tests may use; without it they skip.
const PostgresEnv = "PAPERBOT_TEST_POSTGRES"

// PostgresServer returns the test server's DSN, or skips t without one.
func PostgresServer(t testing.TB) string {
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skip(PostgresEnv + " is not set (a PostgreSQL DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): skipping a PostgreSQL test")
	}
	return dsn
}

// PostgresSchema makes a schema of its own on the test server for t, drops
// it when t ends, and returns a DSN whose search_path selects it: parallel
// tests and test packages share the one server and never see each other's
// tables. It skips t without a server.
func PostgresSchema(t testing.TB) string {
	dsn, drop := NewPostgresSchema(t, PostgresServer(t))
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dsn
}

// NewPostgresSchema creates a schema named pb_test_<random> on server and
// returns a DSN selecting it and the function that drops it, for a schema
// that outlives one test (a benchmark archive dropped in TestMain).
func NewPostgresSchema(t testing.TB, server string) (dsn string, drop func() error) {
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a URL DSN", PostgresEnv)
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
