-- The event log is purged from its oldest event on, up to the first one
-- within the retention (events.Store.PurgeEvents reads them in id order):
-- the index of events by time served only the purge, and every event
-- logged (one per journalled alert) paid an index insert for it.
DROP INDEX events_time;
