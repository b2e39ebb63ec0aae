package sqlite_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
	"golang.org/x/mod/sumdb/tlog"
)

// proofTreeSize is the tree the inclusion benchmark proves in; set
// TRUCE_BENCH_PROOF_SIZE (e.g. 10000000) for a larger one. Building it costs
// about 2 stored-hash rows per leaf.
func proofTreeSize() int64 {
	if n, err := strconv.ParseInt(os.Getenv("TRUCE_BENCH_PROOF_SIZE"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var (
	proofOnce  sync.Once
	proofStore *sqlite.Store
	proofRoot  tlog.Hash
	proofDir   string
	proofErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if proofStore != nil {
		proofStore.Close()
	}
	if proofDir != "" {
		os.RemoveAll(proofDir)
	}
	os.Exit(code)
}

// edgeHashes keeps the latest stored hash of each tree level: all that
// tlog.StoredHashes reads when appending the next leaf, so a tree of any
// size is computed in constant memory.
type edgeHashes struct {
	idx  [64]int64
	hash [64]tlog.Hash
}

func (e *edgeHashes) ReadHashes(ix []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ix))
	for i, x := range ix {
		found := false
		for l := range e.idx {
			if e.idx[l] == x {
				out[i], found = e.hash[l], true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("stored hash %d not on the right edge", x)
		}
	}
	return out, nil
}

// buildProofStore fills a SQLite store's stored-hash table directly for a
// tree of n leaves (leaf i is i as 8 big-endian bytes), bypassing the
// journal: the benchmark measures proving, and appending ten million
// entries through Update would take long minutes. The hashes are exactly
// what Tx.Append writes, computed by the same tlog.StoredHashes.
func buildProofStore(n int64) (*sqlite.Store, tlog.Hash, error) {
	dir, err := os.MkdirTemp("", "truce-proof-bench-")
	if err != nil {
		return nil, tlog.Hash{}, err
	}
	proofDir = dir
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "truce.db"))
	if err != nil {
		return nil, tlog.Hash{}, err
	}
	db := s.DB()
	var edge edgeHashes
	for l := range edge.idx {
		edge.idx[l] = -1
	}
	const rowsPerInsert = 500
	tx, err := db.Begin()
	if err != nil {
		return nil, tlog.Hash{}, err
	}
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := "INSERT INTO log_hashes (id, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?),", len(args)/2), ",")
		_, err := tx.Exec(q, args...)
		args = args[:0]
		return err
	}
	leaf := make([]byte, 8)
	for i := int64(0); i < n; i++ {
		binary.BigEndian.PutUint64(leaf, uint64(i))
		hs, err := tlog.StoredHashes(i, leaf, &edge)
		if err != nil {
			return nil, tlog.Hash{}, err
		}
		base := tlog.StoredHashIndex(0, i)
		for l, h := range hs {
			edge.idx[l], edge.hash[l] = base+int64(l), h
			args = append(args, base+int64(l), h[:])
		}
		if len(args)/2 >= rowsPerInsert {
			if err := flush(); err != nil {
				return nil, tlog.Hash{}, err
			}
		}
		if i%1_000_000 == 999_999 {
			if err := flush(); err != nil {
				return nil, tlog.Hash{}, err
			}
			if err := tx.Commit(); err != nil {
				return nil, tlog.Hash{}, err
			}
			if tx, err = db.Begin(); err != nil {
				return nil, tlog.Hash{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, tlog.Hash{}, err
	}
	if _, err := tx.Exec(`UPDATE log_head SET size = ? WHERE id = 1`, n); err != nil {
		return nil, tlog.Hash{}, err
	}
	if err := tx.Commit(); err != nil {
		return nil, tlog.Hash{}, err
	}
	root, err := ledger.TreeHash(ctx, s, n)
	return s, root, err
}

// BenchmarkInclusionProof proves random entries of a large tree from the
// SQLite store's stored hashes, as GET /api/v1/journal/{index} and record
// proofs do; every proof is checked once against the root before timing.
func BenchmarkInclusionProof(b *testing.B) {
	n := proofTreeSize()
	proofOnce.Do(func() { proofStore, proofRoot, proofErr = buildProofStore(n) })
	if proofErr != nil {
		b.Fatal(proofErr)
	}
	ctx := context.Background()
	seed := rand.Uint64()
	b.Logf("tree size %d, seed %d", n, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	leaf := make([]byte, 8)
	for _, i := range []int64{0, n / 3, n - 1, rng.Int64N(n)} {
		p, err := ledger.ProveInclusion(ctx, proofStore, i, n)
		if err != nil {
			b.Fatal(err)
		}
		binary.BigEndian.PutUint64(leaf, uint64(i))
		if err := ledger.VerifyInclusion(i, n, tlog.RecordHash(leaf), p, proofRoot); err != nil {
			b.Fatalf("proof of %d: %v", i, err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ledger.ProveInclusion(ctx, proofStore, rng.Int64N(n), n); err != nil {
			b.Fatal(err)
		}
	}
}
