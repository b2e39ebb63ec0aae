-- Leases for work only one of the servers sharing a database may do (the
-- airspace monitor's outbound feeds): operational state, not journalled.
-- expires_at is Unix microseconds.
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
