package ledger

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrCorrupt is wrapped by every CheckError: the stored log disagrees with
// itself or with the checkpoint it signed. An operator must look; the store
// must not be "repaired" by recomputing hashes, which would erase the
// evidence.
var ErrCorrupt = errors.New("ledger: stored log is corrupt")

// CheckError locates what Check found wrong: entries [Index, End).
type CheckError struct {
	// Index is the first entry affected; End is one past the last (Index+1
	// for a problem with one entry).
	Index, End int64
	// Problem says what is wrong, naming the index.
	Problem string
}

func (e *CheckError) Error() string { return "ledger: stored log is corrupt: " + e.Problem }

// Unwrap makes every CheckError match ErrCorrupt.
func (e *CheckError) Unwrap() error { return ErrCorrupt }

// HashRangeReader is implemented by a Storage that reads the contiguous
// stored hashes [start, end) (tlog stored-hash indexes) in one query; Check
// uses it instead of ReadHashes with long index lists.
type HashRangeReader interface {
	ReadHashRange(ctx context.Context, start, end int64) ([]tlog.Hash, error)
}

// CheckOptions configures Check.
type CheckOptions struct {
	// Verifier, if set, checks the latest stored checkpoint's signature.
	Verifier note.Verifier
	// Scan, if set, streams entries [start, end) to fn in index order, in
	// place of Storage.ReadEntries; a store uses it to check, in the same
	// pass, what only it holds (record bodies against their body_hash).
	// An error fn returns must be returned as is.
	Scan func(ctx context.Context, start, end int64, fn func(index int64, entry []byte) error) error
	// Progress, if set, hears how many entries have been checked.
	Progress func(done, total int64)
}

// CheckResult is what a successful Check proved.
type CheckResult struct {
	// Size is the number of entries checked.
	Size int64
	// Checkpoint is the latest stored checkpoint, now proved to be the
	// root of the first Checkpoint.Size entries; zero when none is stored.
	Checkpoint Checkpoint
}

// checkBatch is how many entries Check reads per query: large enough that
// the per-query cost vanishes, small enough that no read transaction is long.
const checkBatch = 8192

// Check recomputes the whole tree from the stored entries in one pass and
// compares it with every stored hash and with the latest stored checkpoint,
// so that the log can prove to itself, at start-up, that nobody changed its
// database. Memory stays O(levels) whatever the size: only the right edge
// of the recomputed tree is kept. The first problem found is returned as a
// *CheckError naming the entry index.
func Check(ctx context.Context, s Storage, opts CheckOptions) (CheckResult, error) {
	var res CheckResult
	// The checkpoint is read before the size: entries appended meanwhile
	// only make the tree larger than the checkpoint.
	cpSize := int64(-1)
	signed, err := s.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return res, err
	default:
		if res.Checkpoint, err = readCheckpoint(signed, opts.Verifier); err != nil {
			return res, &CheckError{Problem: "the latest stored checkpoint: " + err.Error()}
		}
		cpSize = res.Checkpoint.Size
	}
	size, err := s.TreeSize(ctx)
	if err != nil {
		return res, err
	}
	res.Size = size
	if cpSize > size {
		return res, &CheckError{Index: size, End: cpSize, Problem: fmt.Sprintf("the latest checkpoint covers %d entries but only %d are stored: entries [%d, %d) are missing", cpSize, size, size, cpSize)}
	}
	scan := opts.Scan
	if scan == nil {
		scan = func(ctx context.Context, start, end int64, fn func(int64, []byte) error) error {
			es, err := s.ReadEntries(ctx, start, end)
			if err != nil {
				return err
			}
			for i, e := range es {
				if err := fn(start+int64(i), e); err != nil {
					return err
				}
			}
			return nil
		}
	}

	var edge treeEdge
	edge.reset()
	checkRoot := func(n int64) error {
		if n != cpSize {
			return nil
		}
		root := EmptyTreeHash
		if n > 0 {
			var err error
			if root, err = tlog.TreeHash(n, &edge); err != nil {
				return err
			}
		}
		if root != res.Checkpoint.Hash {
			return &CheckError{Index: 0, End: n, Problem: fmt.Sprintf("the first %d entries hash to root %s, but the latest signed checkpoint says %s: history was rewritten after it was signed", n, EncodeHash(root), EncodeHash(res.Checkpoint.Hash))}
		}
		return nil
	}
	if err := checkRoot(0); err != nil {
		return res, err
	}
	for start := int64(0); start < size; start += checkBatch {
		end := min(start+checkBatch, size)
		base := tlog.StoredHashIndex(0, start)
		stored, err := readHashRange(ctx, s, base, tlog.StoredHashIndex(0, end))
		if errors.Is(err, ErrNotFound) {
			return res, &CheckError{Index: start, End: end, Problem: fmt.Sprintf("stored hashes of entries [%d, %d) are missing: %v", start, end, err)}
		}
		if err != nil {
			return res, err
		}
		next := start
		err = scan(ctx, start, end, func(index int64, entry []byte) error {
			if index != next {
				return &CheckError{Index: next, End: next + 1, Problem: fmt.Sprintf("entry %d is missing (the next stored is %d)", next, index)}
			}
			next++
			hs, err := tlog.StoredHashes(index, entry, &edge)
			if err != nil {
				return err
			}
			id := tlog.StoredHashIndex(0, index)
			for l, h := range hs {
				if stored[id+int64(l)-base] != h {
					return hashMismatch(l, index)
				}
				edge.set(l, id+int64(l), h)
			}
			return checkRoot(index + 1)
		})
		if err != nil {
			return res, err
		}
		if next != end {
			return res, &CheckError{Index: next, End: end, Problem: fmt.Sprintf("entries [%d, %d) are missing", next, end)}
		}
		if opts.Progress != nil {
			opts.Progress(end, size)
		}
	}
	return res, nil
}

// hashMismatch describes a stored hash at level l, written with entry
// index, that differs from the one recomputed from the entries.
func hashMismatch(l int, index int64) *CheckError {
	if l == 0 {
		return &CheckError{Index: index, End: index + 1, Problem: fmt.Sprintf("entry hash mismatch at index %d: the stored entry does not hash to its stored leaf hash (the entry or the hash was changed)", index)}
	}
	n := index >> uint(l)
	a, b := n<<uint(l), (n+1)<<uint(l)
	return &CheckError{Index: a, End: b, Problem: fmt.Sprintf("stored hash mismatch over entries [%d, %d): the stored level-%d hash %d differs from the one recomputed from the entries", a, b, l, n)}
}

func readCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	if v != nil {
		c, _, err := OpenCheckpoint(signed, v)
		return c, err
	}
	text, _, err := splitNote(signed)
	if err != nil {
		return Checkpoint{}, err
	}
	return ParseCheckpoint(text)
}

func readHashRange(ctx context.Context, s Storage, start, end int64) ([]tlog.Hash, error) {
	if r, ok := s.(HashRangeReader); ok {
		hs, err := r.ReadHashRange(ctx, start, end)
		if err == nil && int64(len(hs)) != end-start {
			err = fmt.Errorf("ledger: storage returned %d stored hashes for [%d, %d)", len(hs), start, end)
		}
		return hs, err
	}
	ids := make([]int64, 0, end-start)
	for i := start; i < end; i++ {
		ids = append(ids, i)
	}
	return HashReader(ctx, s).ReadHashes(ids)
}

// treeEdge is a tlog.HashReader holding the latest hash of each level: all
// that tlog.StoredHashes reads to append the next leaf, and all that
// tlog.TreeHash reads for the current size.
type treeEdge struct {
	id   [64]int64
	hash [64]tlog.Hash
}

func (e *treeEdge) reset() {
	for l := range e.id {
		e.id[l] = -1
	}
}

func (e *treeEdge) set(level int, id int64, h tlog.Hash) { e.id[level], e.hash[level] = id, h }

func (e *treeEdge) ReadHashes(ids []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ids))
	for i, id := range ids {
		l, _ := tlog.SplitStoredHashIndex(id)
		if l < 0 || l >= len(e.id) || e.id[l] != id {
			return nil, fmt.Errorf("ledger: stored hash %d is not on the tree's right edge", id)
		}
		out[i] = e.hash[l]
	}
	return out, nil
}
