-- Instants are UTC text of fixed width ("2006-01-02T15:04:05.000000000Z") so
-- they sort as text, keep nanoseconds (a file's mtime must round-trip
-- exactly) and stay readable in the sqlite3 shell.

CREATE TABLE files (
    path     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mod_time TEXT NOT NULL,
    hash     TEXT NOT NULL,
    error    TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE posts (
    path   TEXT PRIMARY KEY,
    day    TEXT NOT NULL,
    date   TEXT NOT NULL,
    -- local is the date as written, RFC 3339 with its offset: a PostRef
    -- must show the post's own day, not UTC's.
    local  TEXT NOT NULL,
    title  TEXT NOT NULL,
    draft  INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX posts_day ON posts (day, path);
CREATE INDEX posts_date ON posts (date, path);

-- The search columns come first: SQLite reads a row's columns in order, so a
-- scan of text_lc never touches the overflow pages of the paper JSON.
CREATE TABLE papers (
    post     TEXT NOT NULL REFERENCES posts (path) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    draft    INTEGER NOT NULL,
    date     TEXT NOT NULL,
    id       TEXT NOT NULL,
    title_lc TEXT NOT NULL,
    text_lc  TEXT NOT NULL,
    paper    TEXT NOT NULL,
    PRIMARY KEY (post, idx)
);
CREATE INDEX papers_id ON papers (id, draft, date DESC) WHERE id <> '';
CREATE INDEX papers_date ON papers (draft, date DESC);

CREATE TABLE deliveries (
    post       TEXT NOT NULL,
    target     TEXT NOT NULL,
    key        TEXT NOT NULL,
    state      TEXT NOT NULL,
    hash       TEXT NOT NULL,
    refs       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (post, target)
);
CREATE INDEX deliveries_updated ON deliveries (updated_at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
