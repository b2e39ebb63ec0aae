-- A new alert's document is the body of its journal entry (the journal
-- seals the document the store wrote): such a row is written with doc = ''
-- and doc_entry = the entry's index, and its document is read from the
-- journal, so an alert's body is stored once. A changed alert (acknowledged,
-- closed) stores its document again, with doc_entry NULL.
ALTER TABLE alerts ADD COLUMN doc_entry BIGINT;
-- The index of the newest journal entry of each kind, moved in the
-- transaction that appends the entries: the engines' periodic
-- reconciliation with the database reads it and reloads only when an
-- entry of a kind they follow was appended since (by any server).
CREATE TABLE journal_heads (
	kind TEXT PRIMARY KEY,
	idx  BIGINT NOT NULL
);
INSERT INTO journal_heads (kind, idx) SELECT kind, MAX(idx) FROM journal GROUP BY kind;
