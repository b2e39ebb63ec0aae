-- The airspace monitor's records: alerts, each party's aircraft registry,
-- and the position feeds the server connects to. Documents beside the
-- columns queries filter on; time in Unix microseconds.
CREATE TABLE alerts (
	id      TEXT PRIMARY KEY,
	kind    TEXT NOT NULL,
	state   TEXT NOT NULL,
	time    BIGINT NOT NULL,
	lon     DOUBLE PRECISION NOT NULL,
	lat     DOUBLE PRECISION NOT NULL,
	doc     TEXT NOT NULL,
	version BIGINT NOT NULL
);
CREATE INDEX alerts_state ON alerts(state, id);
CREATE TABLE aircraft (
	id       TEXT PRIMARY KEY,
	party_id TEXT NOT NULL REFERENCES parties(id),
	removed  BOOLEAN NOT NULL,
	doc      TEXT NOT NULL,
	version  BIGINT NOT NULL
);
CREATE TABLE feeds (
	id      TEXT PRIMARY KEY,
	removed BOOLEAN NOT NULL,
	doc     TEXT NOT NULL,
	version BIGINT NOT NULL
);
