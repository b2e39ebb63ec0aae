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
package ledger
