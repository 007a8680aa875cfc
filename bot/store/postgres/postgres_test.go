package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/postgres"
	"github.com/paperbot/paperbot/bot/store/storetest"
)

const envDSN = "PAPERBOT_TEST_POSTGRES"

// testDSN returns the server's DSN or skips the test.
func testDSN(t testing.TB) string {
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		t.Skip(envDSN + " is not set (a PostgreSQL DSN, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable): skipping PostgreSQL tests")
	}
	return dsn
}

// freshSchema creates a schema of its own for one test, drops it when the
// test ends, and returns a DSN whose search_path selects it, so parallel
// test runs and packages never see each other's tables.
func freshSchema(t testing.TB) string {
	server := testDSN(t)
	dsn, schema := newSchema(t, server)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("connect to drop %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return dsn
}

// newSchema creates a schema named pb_test_<random> on the server and
// returns a DSN selecting it, and its name.
func newSchema(t testing.TB, server string) (dsn, schema string) {
	b := make([]byte, 6)
	rand.Read(b)
	schema = "pb_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s is not a URL DSN", envDSN)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func schemaDB(t testing.TB) func() bot.Store {
	dsn := freshSchema(t)
	return func() bot.Store {
		s, err := postgres.Open(context.Background(), dsn, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, schemaDB)
}

// TestMigrateRace opens several stores on a new schema at once, as replicas
// starting together do: the advisory lock makes one migrate and the others
// find the schema current.
func TestMigrateRace(t *testing.T) {
	dsn := freshSchema(t)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			s, err := postgres.Open(context.Background(), dsn, nil)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
}

// TestErrorsHideDSN checks that a password in the DSN never reaches an error.
func TestErrorsHideDSN(t *testing.T) {
	for _, dsn := range []string{
		"postgres://user:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=1",
		"postgres://user:s3cret-pw@127.0.0.1:notaport/db",
		"postgres://user:s3cret-pw@127.0.0.1/db?sslmode=bogus",
	} {
		_, err := postgres.Open(context.Background(), dsn, nil)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error reveals the password: %v", err)
		}
	}
}
