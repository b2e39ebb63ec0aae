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
UPDATE aircraft SET active_icao = json_extract(doc, '$.icao')
WHERE removed = 0 AND COALESCE(json_extract(doc, '$.icao'), '') <> ''
  AND id = (SELECT MIN(a.id) FROM aircraft a WHERE a.removed = 0 AND json_extract(a.doc, '$.icao') = json_extract(aircraft.doc, '$.icao'));
UPDATE aircraft SET active_prefix = json_extract(doc, '$.callsign_prefix')
WHERE removed = 0 AND COALESCE(json_extract(doc, '$.callsign_prefix'), '') <> ''
  AND id = (SELECT MIN(a.id) FROM aircraft a WHERE a.removed = 0 AND json_extract(a.doc, '$.callsign_prefix') = json_extract(aircraft.doc, '$.callsign_prefix'));
CREATE UNIQUE INDEX aircraft_active_icao ON aircraft(active_icao);
CREATE UNIQUE INDEX aircraft_active_prefix ON aircraft(active_prefix);
