-- Events are now logged in the transaction of the change they report, so
-- their ids are given under the journal's lock from a counter beside the
-- log head, in commit order. The counter starts past every id ever given
-- (AUTOINCREMENT's record of it, in case the newest rows were purged).
ALTER TABLE log_head ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
UPDATE log_head SET event_seq = MAX(
	(SELECT COALESCE(MAX(id), 0) FROM events),
	COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0));
