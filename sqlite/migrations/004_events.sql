-- The event log behind live delivery (Server-Sent Events, webhooks). It is
-- not the journal: it is derived, bounded (purged after a retention) and
-- not verifiable. AUTOINCREMENT keeps ids from ever being reused once the
-- newest rows have been purged, which resuming subscribers rely on. Times
-- are Unix microseconds.
CREATE TABLE events (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	kind          TEXT NOT NULL,
	subject       TEXT NOT NULL,
	journal_index INTEGER NOT NULL,
	time          INTEGER NOT NULL,
	min_lon       REAL,
	min_lat       REAL,
	max_lon       REAL,
	max_lat       REAL,
	vis_scope     TEXT NOT NULL,
	vis_owner     TEXT NOT NULL,
	vis_parties   TEXT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_kind ON events(kind, id);
CREATE TABLE webhooks (
	id         TEXT PRIMARY KEY,
	party_id   TEXT NOT NULL,
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	kinds      TEXT NOT NULL,
	bbox       TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_party ON webhooks(party_id, id);
-- One row per event and webhook; next_attempt_at is NULL once the
-- delivery succeeded or was given up.
CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	webhook_id      TEXT NOT NULL,
	event_id        INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER,
	failed_at       INTEGER,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);
