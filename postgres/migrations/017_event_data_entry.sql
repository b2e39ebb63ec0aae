-- An event that reports a journalled change carries the change's record,
-- which the journal already holds as the entry's body: such an event is
-- logged without its data and data_entry = 1, and its data is read from
-- the journal entry at journal_index when it is delivered, so an alert's
-- body is stored in the journal, not copied into the event log too.
ALTER TABLE events ADD COLUMN data_entry SMALLINT NOT NULL DEFAULT 0;
