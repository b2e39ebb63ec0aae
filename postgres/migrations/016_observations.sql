-- Ceasefire observation (package observation): monitors' observations and
-- the incidents they are grouped into. Documents beside the columns
-- queries filter on; times in Unix microseconds. observer_id is a column
-- so that a party's own observers can be listed; other parties never read
-- it (the service hides it).
CREATE TABLE incidents (
	id       TEXT PRIMARY KEY,
	category TEXT NOT NULL,
	status   TEXT NOT NULL,
	start_at BIGINT NOT NULL,
	lon      DOUBLE PRECISION NOT NULL,
	lat      DOUBLE PRECISION NOT NULL,
	doc      TEXT NOT NULL,
	version  BIGINT NOT NULL
);
CREATE INDEX incidents_status ON incidents(status, id);
CREATE INDEX incidents_start ON incidents(start_at);
CREATE TABLE observations (
	id          TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL REFERENCES incidents(id),
	party_id    TEXT NOT NULL REFERENCES parties(id),
	observer_id TEXT NOT NULL,
	start_at    BIGINT NOT NULL,
	doc         TEXT NOT NULL,
	version     BIGINT NOT NULL
);
CREATE INDEX observations_incident ON observations(incident_id, id);
