-- Reminders and "acknowledgement overdue" alerts of humanitarian
-- transmissions (package humanitarian, Service.Sweep). next_notice_us is
-- when the next notice about a pending transmission falls due (Unix
-- microseconds; NULL: none), so the sweep reads only those due; a
-- transmission written before it is due 6 hours before its deadline (the
-- default reminder). transmission_notices holds each notice sent, once
-- per transmission, kind and seq.
ALTER TABLE transmissions ADD COLUMN next_notice_us INTEGER;
UPDATE transmissions SET next_notice_us = CAST((julianday(json_extract(doc, '$.deadline')) - 2440587.5) * 86400000000 AS INTEGER) - 21600000000
WHERE state = 'pending';
CREATE INDEX transmissions_notice_due ON transmissions(next_notice_us, id);
CREATE TABLE transmission_notices (
	transmission_id TEXT NOT NULL REFERENCES transmissions(id),
	kind            TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	doc             TEXT NOT NULL,
	PRIMARY KEY (transmission_id, kind, seq)
);
