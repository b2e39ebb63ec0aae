-- Breaches raised by control changes (package control): the control area
-- a breach rests on, and at most one breach of a guarantee by one control
-- area, however many servers raise it at once (a server that catches up
-- with a guarantee or an area it missed re-checks them). A breach of an
-- incident has no control area (NULL), which the unique index does not
-- compare. Existing breaches are filled in from their documents (the
-- oldest of a pair, should two have been raised before this index).
ALTER TABLE control_breaches ADD COLUMN control_area_id TEXT;
UPDATE control_breaches SET control_area_id = body::jsonb ->> 'control_area_id'
WHERE id IN (SELECT MIN(id) FROM control_breaches WHERE body::jsonb ->> 'control_area_id' IS NOT NULL
	GROUP BY body::jsonb ->> 'control_area_id', guarantee_id);
CREATE UNIQUE INDEX control_breaches_area ON control_breaches (control_area_id, guarantee_id);
