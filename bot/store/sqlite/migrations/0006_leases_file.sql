-- The leases move to a database of their own, next to this file (its name
-- plus "-leases"; see openLeases): the sender's renewal every few seconds
-- made every reader of this file drop its page cache. upgrade6 copies the
-- leases held now. The table stays, and these triggers make every lease
-- write of a paperbot older than this schema fail, so that a replica of
-- one still running cannot take or keep the lease here while the new ones
-- hold it there.
CREATE TRIGGER leases_moved_insert BEFORE INSERT ON leases
BEGIN SELECT RAISE(ABORT, 'the leases have moved to the database file named after this one plus -leases: this paperbot is older than the database'); END;
CREATE TRIGGER leases_moved_update BEFORE UPDATE ON leases
BEGIN SELECT RAISE(ABORT, 'the leases have moved to the database file named after this one plus -leases: this paperbot is older than the database'); END;
