-- Control areas and guarantees (package control). Each record is kept as
-- its JSON body, as journalled, with the columns its reads select on.
CREATE TABLE control_actors (
	id            TEXT PRIMARY KEY,
	slug          TEXT NOT NULL UNIQUE,
	body          TEXT NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE TABLE control_areas (
	id            TEXT PRIMARY KEY,
	actor_id      TEXT NOT NULL REFERENCES control_actors(id),
	body          TEXT NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE TABLE control_guarantees (
	id            TEXT PRIMARY KEY,
	agreement_id  TEXT NOT NULL REFERENCES agreements(id),
	body          TEXT NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE TABLE control_breaches (
	id            TEXT PRIMARY KEY,
	guarantee_id  TEXT NOT NULL REFERENCES control_guarantees(id),
	status        TEXT NOT NULL,
	due           TEXT NOT NULL,
	body          TEXT NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE INDEX control_breaches_open ON control_breaches (status, due);
