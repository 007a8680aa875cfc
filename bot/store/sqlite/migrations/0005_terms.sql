-- Every term the search index holds (a token of rows.IndexTokens), so that
-- a prefix query can be turned into a few exact terms (rows.Query.Expand):
-- FTS5 reads an exact term's papers newest first and stops at the limit,
-- but merges every paper of every term of a prefix before the first
-- result (50-300 ms on 160,000 papers). Terms of papers since deleted stay;
-- they only match nothing.
CREATE TABLE terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.papers_vocab USING fts5vocab(main, papers_fts, row);
INSERT INTO terms SELECT term FROM temp.papers_vocab;
DROP TABLE temp.papers_vocab;
