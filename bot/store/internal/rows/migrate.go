package rows

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/paperbot/paperbot/bot"
)

// Migration is one script of a store's embedded migrations folder, named
// after its version: 0003_lean_rows.sql is version 3.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// PendingMigrations reads the scripts in the folder "migrations" of fsys and
// returns, in version order, those newer than current (the version a
// database records; 0 for none), and the latest version known. A database
// newer than every script is refused with EINVALID: this binary would not
// know its rows. Applying the scripts and recording them is the store's
// work, in its own SQL and transaction.
func PendingMigrations(fsys fs.FS, current int) (pending []Migration, latest int, err error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, 0, fmt.Errorf("read migrations: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	latest = current
	for _, e := range entries {
		name := e.Name()
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, 0, fmt.Errorf("migrate: bad migration name %q", name)
		}
		latest = max(latest, v)
		if v <= current {
			continue
		}
		src, err := fs.ReadFile(fsys, "migrations/"+name)
		if err != nil {
			return nil, 0, fmt.Errorf("migrate: %w", err)
		}
		pending = append(pending, Migration{Version: v, Name: name, SQL: string(src)})
	}
	if current > latest {
		return nil, 0, bot.Errorf(bot.EINVALID, "the database schema (version %d) is newer than this paperbot (version %d)", current, latest)
	}
	return pending, latest, nil
}
