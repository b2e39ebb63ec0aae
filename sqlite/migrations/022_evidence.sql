-- Evidence files of observations (package observation): the record of
-- each file, by the SHA-256 of its bytes as uploaded, and the files
-- themselves, by their own SHA-256: the upload as it came, and the copy
-- with its metadata removed that other parties download.
CREATE TABLE evidence (
	id       TEXT PRIMARY KEY,
	party_id TEXT NOT NULL REFERENCES parties(id),
	doc      TEXT NOT NULL,
	version  INTEGER NOT NULL
);
CREATE TABLE evidence_files (
	sha256 TEXT PRIMARY KEY,
	data   BLOB NOT NULL
);
-- Published daily reports: the report as published (its bytes, whose
-- SHA-256 the journal entry of the publication holds) by UTC day.
CREATE TABLE report_publications (
	id      TEXT PRIMARY KEY,
	doc     TEXT NOT NULL,
	report  TEXT NOT NULL,
	version BIGINT NOT NULL
);
