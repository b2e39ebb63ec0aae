-- The event log behind live delivery (Server-Sent Events, webhooks). It is
-- not the journal: it is derived, bounded (purged after a retention) and
-- not verifiable. An identity column never reuses an id, even once the
-- newest rows have been purged, which resuming subscribers rely on. Times
-- are Unix microseconds.
CREATE TABLE events (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind          TEXT NOT NULL,
	subject       TEXT NOT NULL,
	journal_index BIGINT NOT NULL,
	time          BIGINT NOT NULL,
	min_lon       DOUBLE PRECISION,
	min_lat       DOUBLE PRECISION,
	max_lon       DOUBLE PRECISION,
	max_lat       DOUBLE PRECISION,
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
	created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_party ON webhooks(party_id, id);
-- One row per event and webhook; next_attempt_at is NULL once the
-- delivery succeeded or was given up.
CREATE TABLE webhook_deliveries (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id      TEXT NOT NULL,
	event_id        BIGINT NOT NULL,
	attempts        BIGINT NOT NULL DEFAULT 0,
	next_attempt_at BIGINT,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      BIGINT NOT NULL,
	delivered_at    BIGINT,
	failed_at       BIGINT,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);
