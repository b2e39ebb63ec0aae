-- Humanitarian movements (convoys) and every version of each (package
-- humanitarian); their transmissions are in transmissions (record_kind
-- 'movement').
CREATE TABLE movements (
	id           TEXT PRIMARY KEY,
	agreement_id TEXT NOT NULL REFERENCES agreements(id),
	party_id     TEXT NOT NULL REFERENCES parties(id),
	status       TEXT NOT NULL,
	version      INTEGER NOT NULL,
	-- the version last notified, whose transmissions the parties answer
	notified     INTEGER NOT NULL,
	min_lon      REAL NOT NULL,
	min_lat      REAL NOT NULL,
	max_lon      REAL NOT NULL,
	max_lat      REAL NOT NULL,
	doc          TEXT NOT NULL
);
CREATE INDEX movements_agreement ON movements(agreement_id, id);
CREATE TABLE movement_versions (
	movement_id TEXT NOT NULL REFERENCES movements(id),
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL,
	PRIMARY KEY (movement_id, version)
);
