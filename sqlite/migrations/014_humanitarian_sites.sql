-- Humanitarian sites, every version of each, and the transmissions of each
-- version to the parties the agreement names (package humanitarian).
-- Records are JSON documents beside the columns queries filter on; the
-- transmissions are written in the transaction that records the version.
CREATE TABLE sites (
	id           TEXT PRIMARY KEY,
	agreement_id TEXT NOT NULL REFERENCES agreements(id),
	party_id     TEXT NOT NULL REFERENCES parties(id),
	status       TEXT NOT NULL,
	version      INTEGER NOT NULL,
	min_lon      REAL NOT NULL,
	min_lat      REAL NOT NULL,
	max_lon      REAL NOT NULL,
	max_lat      REAL NOT NULL,
	doc          TEXT NOT NULL
);
CREATE INDEX sites_agreement ON sites(agreement_id, id);
CREATE INDEX sites_party ON sites(party_id, id);
CREATE TABLE site_versions (
	site_id TEXT NOT NULL REFERENCES sites(id),
	version INTEGER NOT NULL,
	doc     TEXT NOT NULL,
	PRIMARY KEY (site_id, version)
);
-- A transmission notifies a version of a site or of a movement
-- (record_kind): the record is named without a foreign key.
CREATE TABLE transmissions (
	id             TEXT PRIMARY KEY,
	record_kind    TEXT NOT NULL,
	record_id      TEXT NOT NULL,
	record_version INTEGER NOT NULL,
	to_party       TEXT NOT NULL REFERENCES parties(id),
	state          TEXT NOT NULL,
	version        INTEGER NOT NULL,
	doc            TEXT NOT NULL
);
-- A party's inbox: its pending transmissions, oldest first.
CREATE INDEX transmissions_inbox ON transmissions(to_party, state, id);
CREATE INDEX transmissions_record ON transmissions(record_id, record_version, id);
