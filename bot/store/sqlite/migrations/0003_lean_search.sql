-- Each paper's text once: its JSON deflated (rows.PackPaper), no lowercase
-- copies, and the post's digest without its papers. Search goes through a
-- contentless FTS5 index of word tokens (rows.IndexTokens), detail=none, so
-- the index holds no text either; drafts are not indexed.
--
-- A paper's key orders papers newest first (rows.SortKey) and is the
-- index's rowid; a post's papers have consecutive keys, first_key onwards,
-- which is how a post finds its papers without an index on papers.post.
-- The post's date is kept as Unix nanoseconds in papers, where it only
-- orders. Every byte per paper counts: 160,000 papers make a kilobyte 160 MB.
--
-- The rows are carried over by Go code after this script (sqlite.go,
-- upgrade3): it packs the papers of the old table and drops it.
DROP INDEX papers_id;
DROP INDEX papers_date;
ALTER TABLE papers RENAME TO papers_v2;
ALTER TABLE posts ADD COLUMN first_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN paper_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE papers (
    key   INTEGER PRIMARY KEY,
    post  TEXT NOT NULL,
    idx   INTEGER NOT NULL,
    draft INTEGER NOT NULL,
    date  INTEGER NOT NULL,
    id    TEXT NOT NULL,
    paper BLOB NOT NULL
);
CREATE INDEX papers_id ON papers (id, draft, key) WHERE id <> '';

CREATE VIRTUAL TABLE papers_fts USING fts5 (tokens, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii');
