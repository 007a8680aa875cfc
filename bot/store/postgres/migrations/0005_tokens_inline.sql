-- A search reads the newest papers' tokens first and checks them on the row
-- (postgres.go fetch): kept compressed in the row, not in TOAST, they cost
-- a decompression instead of a second lookup (80 us a row out of line).
-- Rows written before keep their storage until rewritten.
ALTER TABLE papers ALTER COLUMN tokens SET STORAGE MAIN;
-- GIN's pending list is scanned in full by every search until a vacuum
-- merges it: after a first index that was 28 ms for a word no paper has
-- (0.7 ms without). Inserts go straight into the index instead.
SELECT gin_clean_pending_list('papers_tokens');
ALTER INDEX papers_tokens SET (fastupdate = off);
