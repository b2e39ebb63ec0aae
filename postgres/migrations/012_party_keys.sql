-- Custodial parties' private keys, sealed (XChaCha20-Poly1305, the party's
-- id as additional data) under the deployment's key secret. Written in the
-- transaction that creates the party, so neither exists without the other,
-- and in the database, so every server of the deployment can sign for the
-- party. Earlier versions kept them as files in one server's data
-- directory; servers move those in at start-up.
CREATE TABLE party_keys (
	party_id TEXT PRIMARY KEY REFERENCES parties(id),
	sealed   BYTEA NOT NULL
);
