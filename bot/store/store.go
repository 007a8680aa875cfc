// Package store opens paperbot's bot.Store from the `store:` setting: an
// SQLite file (package sqlite, the default, for one bot on one machine) or a
// PostgreSQL database (package postgres, for replicas that share state). Both
// pass the conformance suite in package storetest. Open only picks the
// implementation by the DSN's scheme; everything else lives in them.
package store

import (
	"context"
	"log/slog"
	"strings"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/postgres"
	"github.com/paperbot/paperbot/bot/store/sqlite"
)

// Open opens the store dsn names and brings its schema up to date:
//
//	sqlite://path, sqlite:path   an SQLite file (relative paths are the caller's to resolve)
//	file:path?...                an SQLite URI, passed to SQLite as is
//	:memory:                     a private in-memory SQLite database
//	postgres://..., postgresql://...  PostgreSQL (search_path=... picks a schema)
//
// A nil logger discards. Errors never repeat dsn, which may hold a password.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (bot.Store, error) {
	scheme, rest, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return wrap(postgres.Open(ctx, dsn, logger))
	case "sqlite", "sqlite3":
		path := strings.TrimPrefix(rest, "//")
		if path == "" {
			return nil, bot.Errorf(bot.EINVALID, "the store setting sqlite: needs a file name")
		}
		return wrap(sqlite.Open(ctx, path, logger))
	case "file":
		return wrap(sqlite.Open(ctx, dsn, logger))
	case "":
		if dsn == ":memory:" {
			return wrap(sqlite.Open(ctx, dsn, logger))
		}
	}
	return nil, bot.Errorf(bot.EINVALID, "the store setting must start with sqlite://, file:, postgres:// or be :memory:")
}

// wrap returns a nil interface on error: a typed nil *Store inside a
// bot.Store would compare non-nil and panic on use.
func wrap[S bot.Store](s S, err error) (bot.Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
