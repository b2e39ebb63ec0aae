CREATE TABLE parties (
	id            TEXT PRIMARY KEY,
	slug          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	public_key    TEXT NOT NULL,
	custodial     BOOLEAN NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	party_id      TEXT NOT NULL REFERENCES parties(id),
	username      TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	roles         TEXT NOT NULL,
	disabled      BOOLEAN NOT NULL DEFAULT FALSE,
	password_hash TEXT NOT NULL DEFAULT '',
	created_at    TIMESTAMPTZ NOT NULL,
	updated_at    TIMESTAMPTZ NOT NULL,
	version       BIGINT NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE INDEX users_party ON users(party_id, id);
CREATE TABLE tokens (
	id            TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users(id),
	name          TEXT NOT NULL,
	hash          BYTEA NOT NULL UNIQUE,
	expires_at    TIMESTAMPTZ,
	revoked_at    TIMESTAMPTZ,
	created_at    TIMESTAMPTZ NOT NULL,
	journal_index BIGINT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id, id);
-- The journal: one row per Merkle leaf. idx is gap-free from 0 because it
-- is taken from log_head inside the writing transaction.
CREATE TABLE journal (
	idx         BIGINT PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	party       TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	time        TIMESTAMPTZ NOT NULL,
	body_hash   TEXT NOT NULL,
	prev        BIGINT,
	leaf        BYTEA NOT NULL,
	body        BYTEA NOT NULL,
	salt        BYTEA NOT NULL,
	vis_scope   TEXT NOT NULL,
	vis_owner   TEXT NOT NULL,
	vis_parties TEXT NOT NULL
);
CREATE INDEX journal_subject ON journal(kind, subject, idx);
CREATE TABLE log_head (
	id   BIGINT PRIMARY KEY CHECK (id = 1),
	size BIGINT NOT NULL
);
INSERT INTO log_head (id, size) VALUES (1, 0);
-- RFC 6962 stored hashes, keyed by golang.org/x/mod/sumdb/tlog's stored-hash index.
CREATE TABLE log_hashes (
	id   BIGINT PRIMARY KEY,
	hash BYTEA NOT NULL
);
CREATE TABLE idempotency (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       BIGINT NOT NULL,
	header       TEXT NOT NULL,
	body         BYTEA NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (scope, key)
);
