-- A paper lookup takes the newest published copy of an id: ORDER BY date
-- DESC, post DESC, idx LIMIT 1. With all three sort keys in the index the
-- database reads the first matching entry and stops, where the old index
-- (id, draft, date) left it sorting every copy in a temporary B-tree on
-- each lookup.
DROP INDEX papers_id;
CREATE INDEX papers_id ON papers (id, draft, date DESC, post DESC, idx) WHERE id <> '';
