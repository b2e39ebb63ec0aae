package ledger

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// ErrProof is wrapped by every error that reports a proof which does not
// verify: the proof, the sizes or the hashes do not fit together.
var ErrProof = errors.New("ledger: proof does not verify")

// EmptyTreeHash is the RFC 6962 hash of the empty tree, SHA-256 of the empty
// string.
var EmptyTreeHash = tlog.Hash(sha256.Sum256(nil))

func proofErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProof}, args...)...)
}

// VerifyInclusion checks that proof proves the leaf with hash leafHash at
// index in the tree of size with root hash root (C2SP merkle-tree, RFC 9162
// section 2.1.3.2). Unlike a bare hash chain it rejects a proof that is too
// short or too long for index and size, so no proof can be stretched to fit.
func VerifyInclusion(index, size int64, leafHash tlog.Hash, proof []tlog.Hash, root tlog.Hash) error {
	if index < 0 || size <= 0 || index >= size {
		return proofErr("index %d is not in a tree of size %d", index, size)
	}
	fn, sn := uint64(index), uint64(size-1)
	r := leafHash
	for _, p := range proof {
		if sn == 0 {
			return proofErr("inclusion proof has too many hashes")
		}
		if fn&1 == 1 || fn == sn {
			r = tlog.NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = tlog.NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return proofErr("inclusion proof has too few hashes")
	}
	if r != root {
		return proofErr("inclusion proof leads to root %v, not %v", r, root)
	}
	return nil
}

// validSubtree reports whether [start, end) is a subtree in the sense of the
// Merkle Tree Certificates draft: non-empty, and start a multiple of the
// smallest power of two at least end-start. Only such ranges have a single
// hash that any larger tree can commit to.
func validSubtree(start, end int64) bool {
	if start < 0 || end <= start {
		return false
	}
	width := uint64(end - start)
	ceil := uint64(1) << bits.Len64(width-1)
	if ceil == 0 { // width above 2^63 cannot happen with int64, but be safe
		return false
	}
	return uint64(start)&(ceil-1) == 0
}

// VerifySubtreeInclusion checks that proof proves the leaf leafHash at index
// inside the subtree [start, end) whose hash is root. A subtree's hash is the
// tree hash of its own leaves, so this is an inclusion proof at index-start in
// a tree of end-start leaves, once the subtree is known to be well formed.
func VerifySubtreeInclusion(index, start, end int64, leafHash tlog.Hash, proof []tlog.Hash, root tlog.Hash) error {
	if !validSubtree(start, end) {
		return proofErr("[%d, %d) is not a subtree", start, end)
	}
	if index < start || index >= end {
		return proofErr("index %d is outside the subtree [%d, %d)", index, start, end)
	}
	return VerifyInclusion(index-start, end-start, leafHash, proof, root)
}

// VerifyConsistency checks that proof proves that the tree of size1 with root1
// is a prefix of the tree of size2 with root2 (C2SP merkle-tree, RFC 9162
// section 2.1.4.2). A consistency proof from the empty tree proves nothing, so
// size1 must be at least 1: callers that start from nothing (a witness's first
// checkpoint, an audit's first run) trust on first use instead.
func VerifyConsistency(size1, size2 int64, proof []tlog.Hash, root1, root2 tlog.Hash) error {
	switch {
	case size1 <= 0:
		return proofErr("consistency from a tree of size %d proves nothing", size1)
	case size2 < size1:
		return proofErr("tree size %d is smaller than %d", size2, size1)
	case size1 == size2:
		if len(proof) != 0 {
			return proofErr("equal sizes need an empty proof, got %d hashes", len(proof))
		}
		if root1 != root2 {
			return proofErr("trees of equal size %d have different roots", size1)
		}
		return nil
	}
	return VerifySubtreeConsistency(0, size1, size2, proof, root1, root2)
}

// VerifySubtreeConsistency checks that proof proves that the subtree
// [start, end) with hash subtreeHash is part of the tree of size with root
// hash root (the subtree consistency proof of the Merkle Tree Certificates
// draft; with start 0 it is an RFC 6962 consistency proof). An empty subtree
// (start == end) is consistent with any tree that reaches it when its hash is
// the empty-tree hash and the proof is empty.
func VerifySubtreeConsistency(start, end, size int64, proof []tlog.Hash, subtreeHash, root tlog.Hash) error {
	if start == end && start >= 0 {
		switch {
		case end > size:
			return proofErr("empty subtree at %d is beyond tree size %d", end, size)
		case len(proof) != 0:
			return proofErr("empty subtree needs an empty proof")
		case subtreeHash != EmptyTreeHash:
			return proofErr("empty subtree must have the empty-tree hash")
		}
		return nil
	}
	if !validSubtree(start, end) {
		return proofErr("[%d, %d) is not a subtree", start, end)
	}
	if end > size {
		return proofErr("subtree [%d, %d) ends beyond tree size %d", start, end, size)
	}
	if start == 0 && end == size {
		if len(proof) != 0 {
			return proofErr("the whole tree needs an empty proof")
		}
		if subtreeHash != root {
			return proofErr("subtree covering the whole tree has a different root")
		}
		return nil
	}
	if len(proof) == 0 {
		return proofErr("empty consistency proof")
	}

	// fn and sn are the subtree's first and last node, tn the tree's last
	// node, all at the level being walked; each right shift climbs a level.
	fn, sn, tn := uint64(start), uint64(end-1), uint64(size-1)
	if sn == tn {
		// On the tree's right edge the subtree is itself a node of the tree.
		for fn != sn {
			fn, sn, tn = fn>>1, sn>>1, tn>>1
		}
	} else {
		// Inside the tree, climb while the subtree's last node is a right
		// child: those levels are inside the subtree and need no hash.
		for fn != sn && sn&1 == 1 {
			fn, sn, tn = fn>>1, sn>>1, tn>>1
		}
	}
	// fr rebuilds the subtree's hash and sr the tree's root, from one seed:
	// the subtree itself if it is a node, else the proof's first hash, the
	// largest node that both the subtree and the tree contain.
	var fr, sr tlog.Hash
	rest := proof
	if fn == sn {
		fr, sr = subtreeHash, subtreeHash
	} else {
		fr, sr = proof[0], proof[0]
		rest = proof[1:]
	}
	for _, c := range rest {
		if tn == 0 {
			return proofErr("consistency proof has too many hashes")
		}
		if sn&1 == 1 || sn == tn {
			if fn < sn {
				fr = tlog.NodeHash(c, fr)
			}
			sr = tlog.NodeHash(c, sr)
			// On the right edge a node may have no right sibling for
			// several levels; those levels take no hash.
			for sn&1 == 0 && sn != 0 {
				fn, sn, tn = fn>>1, sn>>1, tn>>1
			}
		} else {
			sr = tlog.NodeHash(sr, c)
		}
		fn, sn, tn = fn>>1, sn>>1, tn>>1
	}
	if tn != 0 {
		return proofErr("consistency proof has too few hashes")
	}
	if fr != subtreeHash {
		return proofErr("consistency proof does not lead to the old root")
	}
	if sr != root {
		return proofErr("consistency proof does not lead to the new root")
	}
	return nil
}

// DecodeHash decodes one base64 (RFC 4648 standard) hash, as written in
// checkpoints, proofs and witness requests, and rejects any length but 32.
func DecodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("ledger: bad hash %q: %v", s, err)
	}
	if len(b) != tlog.HashSize {
		return h, fmt.Errorf("ledger: hash %q is %d bytes, want %d", s, len(b), tlog.HashSize)
	}
	copy(h[:], b)
	// The decoder skips CR and LF even in strict mode: only the canonical
	// text is a hash, so that one checkpoint or proof has one reading.
	if EncodeHash(h) != s {
		return tlog.Hash{}, fmt.Errorf("ledger: hash %q is not in canonical base64", s)
	}
	return h, nil
}

// EncodeHash encodes h as standard base64, the form every C2SP text format uses.
func EncodeHash(h tlog.Hash) string {
	return base64.StdEncoding.EncodeToString(h[:])
}
