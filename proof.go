package truce

import (
	"context"
	"encoding/json"
)

// InclusionProof proves that a journal entry is a leaf of the tree that a
// signed checkpoint commits to (an RFC 6962 inclusion proof). Checkpoint is
// the C2SP signed note with every witness cosignature the log holds.
type InclusionProof struct {
	Checkpoint string   `json:"checkpoint"`
	TreeSize   int64    `json:"tree_size"`
	Hashes     []string `json:"hashes"` // base64 SHA-256, the leaf's sibling first
}

// ConsistencyProof proves that the tree of size Old is a prefix of the tree
// of size New (RFC 6962 consistency proof). The checkpoints are the signed
// notes for those sizes when the log signed one.
type ConsistencyProof struct {
	Old           int64    `json:"old"`
	New           int64    `json:"new"`
	Hashes        []string `json:"hashes"`
	OldCheckpoint string   `json:"old_checkpoint,omitempty"`
	NewCheckpoint string   `json:"new_checkpoint,omitempty"`
}

// RecordProofs are the proofs of every journal entry of one record, oldest
// first. Each is a self-contained truce.org/record-proof@v1 document (see
// package ledger) that `truce log verify-proof` checks offline.
type RecordProofs struct {
	Kind    string            `json:"kind"`
	Subject string            `json:"subject"`
	Proofs  []json.RawMessage `json:"proofs"`
}

// ProofService proves journal entries against the signed log. Any
// authenticated user may have a proof (the entries are public in the log);
// a record's body and salt are included only for those who may read it.
type ProofService interface {
	// JournalEntryProof returns the entry, as JournalEntry does, and its
	// inclusion proof against the latest signed checkpoint; the proof is
	// nil while the entry is newer than that checkpoint. Returns ENOTFOUND.
	JournalEntryProof(ctx context.Context, index int64) (*JournalRecord, *InclusionProof, error)
	// RecordProofs returns a record proof for every journal entry of the
	// record kind/subject. Returns ENOTFOUND, and EUNAVAILABLE while its
	// latest entry is not yet in a signed checkpoint (retry in a second).
	RecordProofs(ctx context.Context, kind, subject string) (*RecordProofs, error)
	// ConsistencyProof proves the signed tree of size new extends the tree
	// of size old. Returns EINVALID, and ENOTFOUND if no signed checkpoint
	// reaches new.
	ConsistencyProof(ctx context.Context, old, new int64) (*ConsistencyProof, error)
}
