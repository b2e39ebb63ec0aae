// Package ledger is Truce's verifiable journal: an append-only RFC 6962 Merkle
// tree over the journal entries, with signed checkpoints, tiles, witness
// cosignatures, offline proofs and a full audit.
//
// It implements, over a small [Storage] interface that the database owns:
//
//   - RFC 6962 (section 2.1) tree hashing and proofs, via
//     golang.org/x/mod/sumdb/tlog, and the verification procedures of
//     C2SP merkle-tree (https://c2sp.org/merkle-tree), including the subtree
//     proofs of draft-ietf-plants-merkle-tree-certs;
//   - C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) bodies signed as
//     C2SP signed-note (https://c2sp.org/signed-note) Ed25519 notes;
//   - C2SP tlog-tiles (https://c2sp.org/tlog-tiles) for serving and auditing
//     the tree;
//   - C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature) Ed25519
//     cosignatures and the C2SP tlog-witness protocol
//     (https://c2sp.org/tlog-witness), both server and client;
//   - C2SP tlog-proof@v1 (https://c2sp.org/tlog-proof) offline proofs, and
//     Truce's record proof that adds the entry and, for those allowed to see
//     it, the record body and salt.
//
// Hashes are SHA-256; a leaf is one entry's bytes (at most [MaxEntrySize]),
// hashed as SHA-256(0x00 || entry).
//
// # Checks
//
// [Audit] is the outside check (a party's auditor, over HTTP, trusting only
// keys); [Check] is the inside one (the server, at start-up, over its own
// database): both recompute the whole tree from the entries and name the
// first entry index that disagrees.
//
// # Performance
//
// Measured on the 2-vCPU development machine (AMD Turin-class, shared with
// three other builds: load average 7 to 8 during the runs, so the figures
// are lower bounds):
//
//   - Full audit of 1,000,000 entries of 200 bytes served over loopback
//     HTTP, with consistency to a 500,000-entry checkpoint: 2.9 s
//     (go test -run XXX -bench Audit -benchtime 3x ./ledger/).
//   - Inclusion proof at 1,000,000 entries on the SQLite store: 50 µs
//     (go test -run XXX -bench InclusionProof -benchtime 20000x ./sqlite/).
//   - Start-up self-check of 1,000,000 journal rows on SQLite, bodies
//     included: 17.8 s, so the node runs it in the background and /readyz
//     says "self-check running" meanwhile (TRUCE_BENCH_SELFCHECK_SIZE=1000000
//     go test -run XXX -bench SelfCheck -benchtime 1x ./sqlite/); 1.3 s over
//     memory (-bench Check ./ledger/), the rest is SQL and body hashing.
//   - Durable journalled appends with group commit, 32 to 64 concurrent
//     writers (go test -run XXX -bench JournalAppend -benchtime 3s ./sqlite/
//     ./postgres/, TRUCE_TEST_POSTGRES set): SQLite 8,270/s, PostgreSQL
//     3,220/s at the store; through the service layer, each write an
//     authorised token creation (go test -run XXX -bench JournalledWrites
//     -benchtime 3s ./service/): SQLite 2,780/s, PostgreSQL 1,070/s.
//
// Tessera's published POSIX figure is about 10,000 appends/s on 7 cores and
// NVMe, about 1,400/s per core. Truce's store appends reach about 4,100/s
// per core on SQLite and 1,600/s on PostgreSQL (whose server shares the
// same two cores); through the service layer, which also authorises,
// writes the record's own row and seals the body, about 1,400/s and 530/s
// per core. Per core the store-level append is on a par with or ahead of
// Tessera's; the targets (10,000/s on SQLite, 5,000/s on PostgreSQL
// through the service layer) are not reached on this shared machine.
package ledger
