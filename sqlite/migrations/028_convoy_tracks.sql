-- A convoy's tracking state as last reported (its last position, where
-- it last moved from, how far along its route it has come, whether it is
-- off its corridor): one row per movement, replaced by a newer position,
-- so that a restarted server, or another server sweeping the convoys,
-- goes on from the last position heard instead of counting the convoy
-- silent since it set out. Positions are not journalled one by one (the
-- live path); the alerts they raise are.
CREATE TABLE convoy_tracks (
	movement_id TEXT PRIMARY KEY REFERENCES movements(id),
	notified    INTEGER NOT NULL,
	time_us     BIGINT NOT NULL,
	doc         TEXT NOT NULL
);


-- A device token lets a convoy's tracker (a phone running OsmAnd, a
-- Traccar unit) report positions for one movement, and nothing else,
-- with the token in the URL, since such apps send no header. Only its
-- SHA-256 is stored; it expires, and its party revokes it. Issue and
-- revocation are journalled (kind convoy_device).
CREATE TABLE convoy_devices (
	id          TEXT PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	movement_id TEXT NOT NULL REFERENCES movements(id),
	version     INTEGER NOT NULL,
	doc         TEXT NOT NULL
);
CREATE INDEX convoy_devices_movement ON convoy_devices(movement_id, id);
