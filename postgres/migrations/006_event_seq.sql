-- Events are now logged in the transaction of the change they report, so
-- their ids are given under the journal's lock from a counter beside the
-- log head, in commit order, instead of by the identity column. The
-- counter starts past every id ever given (the identity's sequence, in
-- case the newest rows were purged).
ALTER TABLE log_head ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
UPDATE log_head SET event_seq = GREATEST(
	(SELECT COALESCE(MAX(id), 0) FROM events),
	(SELECT COALESCE(MAX(last_value), 0) FROM pg_sequences
		WHERE schemaname || '.' || sequencename = pg_get_serial_sequence('events', 'id')));
ALTER TABLE events ALTER COLUMN id DROP IDENTITY;
