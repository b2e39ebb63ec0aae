-- One active registry entry per ICAO address and per callsign prefix, kept
-- by the database: the service's check reads before it writes, so two
-- registrations at once (on one server or two) both passed it. The key
-- columns hold the entry's address or prefix while it is active and NULL
-- once removed (NULLs do not collide), so a removed address can be
-- registered again.
ALTER TABLE aircraft ADD COLUMN active_icao TEXT;
ALTER TABLE aircraft ADD COLUMN active_prefix TEXT;
-- Entries made before: the earliest active entry of each address or prefix
-- takes the key. Duplicates the race made are left as they are (key NULL):
-- changing a record here would change it without a journal entry.
UPDATE aircraft SET active_icao = doc::jsonb->>'icao'
WHERE NOT removed AND COALESCE(doc::jsonb->>'icao', '') <> ''
  AND id = (SELECT MIN(a.id) FROM aircraft a WHERE NOT a.removed AND a.doc::jsonb->>'icao' = aircraft.doc::jsonb->>'icao');
UPDATE aircraft SET active_prefix = doc::jsonb->>'callsign_prefix'
WHERE NOT removed AND COALESCE(doc::jsonb->>'callsign_prefix', '') <> ''
  AND id = (SELECT MIN(a.id) FROM aircraft a WHERE NOT a.removed AND a.doc::jsonb->>'callsign_prefix' = aircraft.doc::jsonb->>'callsign_prefix');
CREATE UNIQUE INDEX aircraft_active_icao ON aircraft(active_icao);
CREATE UNIQUE INDEX aircraft_active_prefix ON aircraft(active_prefix);
