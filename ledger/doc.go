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
// The log's signing key is a file of the deployment's data directory
// ([GenerateLogKey]); [WriteKeyFile] writes that and every other private
// key file (witnesses', the key secret) the same way: mode 0600, synced,
// never over an existing key.
//
// # Record proofs and their bundles
//
// A [RecordProof] (format truce.org/record-proof@v1, JSON) proves one
// journal entry: "tlog_proof" is the C2SP tlog-proof@v1 text (index,
// inclusion hashes, the cosigned checkpoint), "entry" the entry's exact
// leaf bytes, and "body" and "salt" (base64), for a reader allowed to see
// them, the record body that the entry's body_hash commits to.
//
// Truce hands out the proofs of a record as a bundle (truce.RecordProofs,
// what `truce log proof KIND ID` saves and the ledger page downloads):
//
//	{
//	  "kind": "zone", "subject": "<id>",   labels: every entry's kind and subject
//	  "proofs": [RecordProof, ...],         every entry of the record, oldest first
//	  "party_keys": [RecordProof, ...]      optional: see below
//	}
//
// `truce log verify-proof` refuses a bundle whose labels are not its
// entries', whose entries do not chain (each entry's "prev" is the index of
// the one before it, the first has none), or whose body names another
// record than its entry. Bodies may carry party signatures (a zone version's
// decisions are C2SP signed notes over truce.DecisionStatement): each must
// verify with the public key of the signing party's record journalled last
// before the signed act, so that a key rotation (the party's record
// journalled anew) takes effect from its entry on. "party_keys" carries
// those party records — every journalled record of each signing party, each
// a RecordProof with its body — and must be each party's whole history up to
// its last record given, so that no rotation can be left out in between
// (a rotation after the last one given cannot be seen offline: the audit,
// which reads the whole log, sees it). A
// verifier without "party_keys" support ignores the member; a bundle without
// it still verifies if its bodies carry no signature.
//
// `truce log audit URL --bodies` makes the same checks over the whole log,
// in order, for every body its token may read, and checks the witness
// policy: k of n witnesses, and those named with --require-witness
// ([Policy.Require]) whatever the quorum.
//
// # Checks
//
// [Audit] is the outside check (a party's auditor, over HTTP, trusting only
// keys); [Check] is the inside one (the server, at start-up, over its own
// database): both recompute the whole tree from the entries and name the
// first entry index that disagrees.
//
// Neither sees a database rolled back or rewritten together with its
// hashes and checkpoints: it agrees with itself. [CheckKept] does, against
// a checkpoint the log signed earlier and that was kept outside the
// database (a server keeps its latest in its data directory): the log
// must hold at least as many entries, the same first ones (the same root
// at the kept size) and that checkpoint ([Kept]). It is here rather than
// in package journal because it is a property of the log alone, its tree
// and its checkpoints, and knows no record, caller or visibility; the
// server (package node) decides what each finding does to its start-up.
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
//     -benchtime 3s ./journal/): SQLite 2,780/s, PostgreSQL 1,070/s.
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
