-- Whether a file's post is a draft, so that a delivery pass learns it from
-- the file states instead of loading the post (a draft waits, every tick).
-- Rows from before say 0: their drafts are loaded as before until their
-- file changes.
ALTER TABLE files ADD COLUMN draft INTEGER NOT NULL DEFAULT 0;
