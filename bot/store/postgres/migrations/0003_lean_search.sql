-- Each paper's text once: its JSON (which TOAST compresses), no lowercase
-- copies, and the post's digest without its papers. Search goes through a
-- GIN index on a tsvector of the paper's word tokens (rows.IndexTokens, made
-- in Go: no text search configuration touches them); drafts have none. A
-- paper's key orders papers newest first (rows.SortKey).
--
-- The rows are carried over by Go code after this script (postgres.go,
-- upgrade3): it splits the old digests and drops the old table.
DROP INDEX papers_id;
ALTER TABLE papers RENAME TO papers_v2;
ALTER TABLE papers_v2 RENAME CONSTRAINT papers_pkey TO papers_v2_pkey;

CREATE TABLE papers (
    key    bigint PRIMARY KEY,
    post   text NOT NULL REFERENCES posts (path) ON DELETE CASCADE,
    idx    integer NOT NULL,
    draft  boolean NOT NULL,
    date   timestamptz NOT NULL,
    id     text NOT NULL,
    paper  text NOT NULL,
    tokens tsvector NOT NULL,
    UNIQUE (post, idx)
);
CREATE INDEX papers_id ON papers (id, draft, date DESC, post DESC, idx) WHERE id <> '';
CREATE INDEX papers_tokens ON papers USING gin (tokens) WHERE NOT draft;
