-- Planned operations and their conflicts (package operations). Each
-- record is kept as its JSON body, as journalled, with the columns its
-- reads select on; revision counts the stored changes of an operation.
CREATE TABLE operations (
	id            TEXT PRIMARY KEY,
	agreement_id  TEXT NOT NULL REFERENCES agreements(id),
	party_id      TEXT NOT NULL,
	status        TEXT NOT NULL,
	body          TEXT NOT NULL,
	revision      BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE TABLE operation_conflicts (
	id            TEXT PRIMARY KEY,
	operation_id  TEXT NOT NULL REFERENCES operations(id),
	body          TEXT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE INDEX operation_conflicts_operation ON operation_conflicts (operation_id);
