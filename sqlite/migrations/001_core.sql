CREATE TABLE parties (
	id            TEXT PRIMARY KEY,
	slug          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	public_key    TEXT NOT NULL,
	custodial     INTEGER NOT NULL,
	created_at    TIMESTAMP NOT NULL,
	version       INTEGER NOT NULL,
	journal_index INTEGER NOT NULL
);
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	party_id      TEXT NOT NULL REFERENCES parties(id),
	username      TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	roles         TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMP NOT NULL,
	updated_at    TIMESTAMP NOT NULL,
	version       INTEGER NOT NULL,
	journal_index INTEGER NOT NULL
);
CREATE INDEX users_party ON users(party_id, id);
CREATE TABLE tokens (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users(id),
	name          TEXT NOT NULL,
	hash          BLOB NOT NULL UNIQUE,
	expires_at    TIMESTAMP,
	revoked_at    TIMESTAMP,
	created_at    TIMESTAMP NOT NULL,
	journal_index INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id, id);
-- The journal: one row per Merkle leaf. idx is gap-free from 0 because it
-- is taken from log_head inside the writing transaction.
CREATE TABLE journal (
	idx         INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	party       TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	time        TIMESTAMP NOT NULL,
	body_hash   TEXT NOT NULL,
	prev        INTEGER,
	leaf        BLOB NOT NULL,
	body        BLOB NOT NULL,
	salt        BLOB NOT NULL,
	vis_scope   TEXT NOT NULL,
	vis_owner   TEXT NOT NULL,
	vis_parties TEXT NOT NULL
);
CREATE INDEX journal_subject ON journal(kind, subject, idx);
CREATE TABLE log_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);
-- RFC 6962 stored hashes, keyed by golang.org/x/mod/sumdb/tlog's stored-hash index.
CREATE TABLE log_hashes (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
CREATE TABLE idempotency (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       INTEGER NOT NULL,
	header       TEXT NOT NULL,
	body         BLOB NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	PRIMARY KEY (scope, key)
);
