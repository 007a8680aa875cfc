-- Instants the bot compares for equality (a file's mtime, a delivery's
-- update time) are kept as Unix nanoseconds: timestamptz keeps only
-- microseconds, and a changed-looking mtime would make every tick re-read
-- every post. Post dates and lease expiries are timestamptz: sorted and
-- compared on the server's clock.

CREATE TABLE files (
    path        text PRIMARY KEY,
    size        bigint NOT NULL,
    mod_time_ns bigint,               -- NULL: the zero time
    hash        text NOT NULL,
    error       text NOT NULL DEFAULT ''
);

CREATE TABLE posts (
    path   text PRIMARY KEY,
    day    text NOT NULL,
    date   timestamptz NOT NULL,
    -- local is the date as written, RFC 3339 with its offset: a PostRef
    -- must show the post's own day, not UTC's.
    local  text NOT NULL,
    title  text NOT NULL,
    draft  boolean NOT NULL,
    hash   text NOT NULL,
    digest jsonb NOT NULL
);
CREATE INDEX posts_day ON posts (day, path);
CREATE INDEX posts_date ON posts (date, path);

CREATE TABLE papers (
    post     text NOT NULL REFERENCES posts (path) ON DELETE CASCADE,
    idx      integer NOT NULL,
    draft    boolean NOT NULL,
    date     timestamptz NOT NULL,
    id       text NOT NULL,
    title_lc text NOT NULL,
    text_lc  text NOT NULL,
    paper    text NOT NULL,
    PRIMARY KEY (post, idx)
);
CREATE INDEX papers_id ON papers (id, draft, date DESC) WHERE id <> '';

CREATE TABLE deliveries (
    post          text NOT NULL,
    target        text NOT NULL,
    key           text NOT NULL,
    state         text NOT NULL,
    hash          text NOT NULL,
    refs          jsonb NOT NULL,
    attempts      integer NOT NULL,
    last_error    text NOT NULL,
    updated_at_ns bigint NOT NULL,
    PRIMARY KEY (post, target)
);
CREATE INDEX deliveries_updated ON deliveries (updated_at_ns);

CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
