-- Agreements and zones are kept as JSON documents beside the columns that
-- queries filter on. Times in filtered columns are Unix microseconds, so
-- that range comparisons are numeric on both databases.
CREATE TABLE agreements (
	id          TEXT PRIMARY KEY,
	status      TEXT NOT NULL,
	signatories TEXT NOT NULL,
	doc         TEXT NOT NULL,
	version     BIGINT NOT NULL
);
CREATE TABLE zones (
	id           TEXT PRIMARY KEY,
	agreement_id TEXT NOT NULL REFERENCES agreements(id),
	kind         TEXT NOT NULL,
	state        TEXT NOT NULL,
	doc          TEXT NOT NULL,
	version      BIGINT NOT NULL
);
CREATE INDEX zones_agreement ON zones(agreement_id, id);
CREATE TABLE zone_versions (
	zone_id        TEXT NOT NULL REFERENCES zones(id),
	version        BIGINT NOT NULL,
	action         TEXT NOT NULL,
	status         TEXT NOT NULL,
	in_force_from  BIGINT,
	in_force_until BIGINT,
	min_lon        DOUBLE PRECISION NOT NULL,
	min_lat        DOUBLE PRECISION NOT NULL,
	max_lon        DOUBLE PRECISION NOT NULL,
	max_lat        DOUBLE PRECISION NOT NULL,
	doc            TEXT NOT NULL,
	PRIMARY KEY (zone_id, version)
);
CREATE INDEX zone_versions_force ON zone_versions(in_force_from, in_force_until);
