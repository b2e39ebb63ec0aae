package ledger

import (
	"context"
	"errors"
)

// Kept is what CheckKept found of a stored log against a checkpoint the
// log signed earlier and that was kept outside its storage (a server
// keeps its latest in its data directory). The stored log extends the
// kept checkpoint when it holds at least as many entries, the same
// first ones (the same root at the kept size), and still the kept
// checkpoint itself. Anything else means the storage was rolled back
// (restored from an older copy, entries or checkpoints deleted) or its
// history rewritten, even when the storage agrees with itself, which
// Check cannot see.
type Kept struct {
	// Checkpoint is the kept checkpoint.
	Checkpoint Checkpoint
	// Size is the number of entries stored.
	Size int64
	// Fewer reports that the storage holds fewer entries than the kept
	// checkpoint; when it does, Rewritten and Missing are not looked at.
	Fewer bool
	// Rewritten reports that the first Checkpoint.Size stored entries
	// do not hash to the kept checkpoint's root.
	Rewritten bool
	// Missing reports that the storage lacks the checkpoint of
	// Checkpoint.Size.
	Missing bool
}

// Extends reports whether the stored log extends the kept checkpoint.
func (k Kept) Extends() bool { return !k.Fewer && !k.Rewritten && !k.Missing }

// CheckKept compares the log in s with kept, a checkpoint the log signed
// earlier (opened with OpenCheckpoint, which checked its signature). It
// reads the tree size, O(log n) stored hashes and one checkpoint; the
// error is the storage's.
func CheckKept(ctx context.Context, s Storage, kept Checkpoint) (Kept, error) {
	k := Kept{Checkpoint: kept}
	var err error
	if k.Size, err = s.TreeSize(ctx); err != nil {
		return k, err
	}
	if k.Size < kept.Size {
		k.Fewer = true
		return k, nil
	}
	root, err := TreeHash(ctx, s, kept.Size)
	if err != nil {
		return k, err
	}
	k.Rewritten = root != kept.Hash
	if _, err := s.Checkpoint(ctx, kept.Size); errors.Is(err, ErrNotFound) {
		k.Missing = true
	} else if err != nil {
		return k, err
	}
	return k, nil
}
