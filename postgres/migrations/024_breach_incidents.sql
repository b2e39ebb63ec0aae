-- Breaches raised by verified incidents of territory overtaken (package
-- control): the incident a breach rests on, and at most one breach of a
-- guarantee by one incident, however many servers check at once. A breach
-- of a control change has no incident (NULL), which the unique index does
-- not compare.
ALTER TABLE control_breaches ADD COLUMN incident_id TEXT;
CREATE UNIQUE INDEX control_breaches_incident ON control_breaches (incident_id, guarantee_id);
