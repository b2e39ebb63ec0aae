// Package ledgertest holds the conformance suite that every ledger.Storage
// (the in-memory one, SQLite, PostgreSQL) must pass, so that the log, tile
// server and proofs behave the same on every backend.
package ledgertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// AppendFunc appends one entry to the store under test, writing its stored
// hashes in the same transaction, and returns the entry's index.
type AppendFunc func(ctx context.Context, data []byte) (int64, error)

// Entries is how many entries TestStorage appends: past one full 256-leaf
// tile, so that level-1 stored hashes are exercised.
const Entries = 300

// entry returns the i-th test entry: varied lengths, including empty and the
// largest allowed, so a store that truncates or pads is caught.
func entry(i int) []byte {
	switch i {
	case 0:
		return []byte{}
	case 7:
		return bytes.Repeat([]byte{0xA5}, ledger.MaxEntrySize)
	}
	return fmt.Appendf(nil, `{"i":%d,"pad":"%s"}`, i, bytes.Repeat([]byte("x"), i%37))
}

// LeafAppendFunc appends one record carrying data to a store that derives
// each leaf from the record it journals (Truce's stores log an entry's
// canonical JSON, which commits to the record by hash, not the caller's
// bytes), and returns the entry's index and the leaf it stored. Distinct
// data must give distinct leaves.
type LeafAppendFunc func(ctx context.Context, data []byte) (int64, []byte, error)

// TestStorage runs the conformance suite against s, which must start empty;
// add appends to it. It checks tree size, entries, every stored hash against
// tlog's own computation, the tree hash, checkpoint storage, and that out of
// range reads are ErrNotFound.
func TestStorage(t *testing.T, s ledger.Storage, add AppendFunc) {
	run(t, s, func(ctx context.Context, data []byte) (int64, []byte, error) {
		idx, err := add(ctx, data)
		return idx, data, err
	})
}

// TestStorageLeaves runs the same suite against a store whose leaves are
// derived from what is appended: every check is made against the leaves add
// reports, and the store must return them byte for byte.
func TestStorageLeaves(t *testing.T, s ledger.Storage, add LeafAppendFunc) {
	run(t, s, add)
}

func run(t *testing.T, s ledger.Storage, add LeafAppendFunc) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		n, err := s.TreeSize(ctx)
		if err != nil || n != 0 {
			t.Fatalf("TreeSize = %d, %v; want 0, nil", n, err)
		}
		if _, err := s.LatestCheckpoint(ctx); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("LatestCheckpoint on empty store: err = %v, want ErrNotFound", err)
		}
		if _, err := s.ReadHashes(ctx, []int64{0}); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("ReadHashes([0]) on empty store: err = %v, want ErrNotFound", err)
		}
		if es, err := s.ReadEntries(ctx, 0, 0); err != nil || len(es) != 0 {
			t.Errorf("ReadEntries(0, 0) = %d entries, %v; want none", len(es), err)
		}
	})

	// want mirrors the store with tlog's own stored-hash computation over
	// leaves, the bytes the store says it logged.
	var want []tlog.Hash
	var leaves [][]byte
	wantReader := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = want[x]
		}
		return out, nil
	})
	t.Run("Append", func(t *testing.T) {
		for i := 0; i < Entries; i++ {
			idx, leaf, err := add(ctx, entry(i))
			if err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
			if idx != int64(i) {
				t.Fatalf("append %d returned index %d", i, idx)
			}
			if len(leaf) > ledger.MaxEntrySize {
				t.Fatalf("append %d stored a %d-byte leaf", i, len(leaf))
			}
			hs, err := tlog.StoredHashes(int64(i), leaf, wantReader)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, hs...)
			leaves = append(leaves, append([]byte{}, leaf...))
		}
		n, err := s.TreeSize(ctx)
		if err != nil || n != Entries {
			t.Fatalf("TreeSize = %d, %v; want %d", n, err, Entries)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("ReadEntries", func(t *testing.T) {
		for _, r := range [][2]int64{{0, Entries}, {0, 1}, {255, 257}, {Entries - 1, Entries}, {10, 10}} {
			es, err := s.ReadEntries(ctx, r[0], r[1])
			if err != nil {
				t.Fatalf("ReadEntries(%d, %d): %v", r[0], r[1], err)
			}
			if int64(len(es)) != r[1]-r[0] {
				t.Fatalf("ReadEntries(%d, %d) = %d entries", r[0], r[1], len(es))
			}
			for i, e := range es {
				if !bytes.Equal(e, leaves[int(r[0])+i]) {
					t.Errorf("entry %d differs (len %d, want %d)", int(r[0])+i, len(e), len(leaves[int(r[0])+i]))
				}
			}
		}
		for _, r := range [][2]int64{{0, Entries + 1}, {Entries, Entries + 1}, {-1, 2}, {5, 4}} {
			if _, err := s.ReadEntries(ctx, r[0], r[1]); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("ReadEntries(%d, %d): err = %v, want ErrNotFound", r[0], r[1], err)
			}
		}
		es, _ := s.ReadEntries(ctx, 1, 2)
		es[0][0] ^= 0xFF
		if again, _ := s.ReadEntries(ctx, 1, 2); !bytes.Equal(again[0], leaves[1]) {
			t.Error("modifying a returned entry changed the store")
		}
	})

	t.Run("ReadHashes", func(t *testing.T) {
		count := tlog.StoredHashCount(Entries)
		if int64(len(want)) != count {
			t.Fatalf("reference has %d hashes, tlog says %d", len(want), count)
		}
		all := make([]int64, count)
		for i := range all {
			all[i] = int64(i)
		}
		got, err := s.ReadHashes(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(all) {
			t.Fatalf("ReadHashes returned %d hashes for %d", len(got), len(all))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("stored hash %d = %v, want %v", i, got[i], want[i])
			}
		}
		// Out of order and repeated indexes come back in request order.
		ix := []int64{count - 1, 0, 3, 0}
		got, err = s.ReadHashes(ctx, ix)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range ix {
			if got[i] != want[x] {
				t.Errorf("ReadHashes out of order: [%d] = %v, want %v", i, got[i], want[x])
			}
		}
		if _, err := s.ReadHashes(ctx, []int64{0, count}); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("ReadHashes beyond the tree: err = %v, want ErrNotFound", err)
		}
		th, err := tlog.TreeHash(Entries, ledger.HashReader(ctx, s))
		if err != nil {
			t.Fatal(err)
		}
		wantTH, _ := tlog.TreeHash(Entries, wantReader)
		if th != wantTH {
			t.Errorf("tree hash %v, want %v", th, wantTH)
		}
	})

	// A storage that reads hash ranges (the SQL stores) must read the
	// same hashes as ReadHashes.
	if r, ok := s.(ledger.HashRangeReader); ok {
		t.Run("HashRange", func(t *testing.T) { testHashRange(t, r, want) })
	}

	// Before any checkpoint is stored: the self-check recomputes the tree
	// from the entries and agrees with every stored hash.
	t.Run("Check", func(t *testing.T) {
		res, err := ledger.Check(ctx, s, ledger.CheckOptions{})
		if err != nil || res.Size != Entries {
			t.Fatalf("Check = %+v, %v; want %d entries, nil", res, err, Entries)
		}
	})

	t.Run("Checkpoints", func(t *testing.T) {
		steps := []struct {
			size       int64
			note       string
			wantLatest string
		}{
			{5, "five", "five"},
			{12, "twelve", "twelve"},
			{3, "three", "twelve"},
			{12, "twelve cosigned", "twelve cosigned"},
		}
		for _, st := range steps {
			if err := s.PutCheckpoint(ctx, st.size, []byte(st.note)); err != nil {
				t.Fatalf("PutCheckpoint(%d): %v", st.size, err)
			}
			got, err := s.LatestCheckpoint(ctx)
			if err != nil || string(got) != st.wantLatest {
				t.Errorf("after PutCheckpoint(%d): LatestCheckpoint = %q, %v; want %q", st.size, got, err, st.wantLatest)
			}
		}
		for size, want := range map[int64]string{5: "five", 3: "three", 12: "twelve cosigned"} {
			got, err := s.Checkpoint(ctx, size)
			if err != nil || string(got) != want {
				t.Errorf("Checkpoint(%d) = %q, %v; want %q", size, got, err, want)
			}
		}
		if _, err := s.Checkpoint(ctx, 7); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("Checkpoint(7): err = %v, want ErrNotFound", err)
		}
		if err := s.PutCheckpoint(ctx, Entries+1, []byte("future")); err == nil {
			t.Error("PutCheckpoint beyond the tree size succeeded")
		}
	})
}

func testHashRange(t *testing.T, r ledger.HashRangeReader, want []tlog.Hash) {
	ctx := context.Background()
	count := int64(len(want))
	for _, rg := range [][2]int64{{0, count}, {5, 6}, {count - 1, count}, {7, 7}} {
		got, err := r.ReadHashRange(ctx, rg[0], rg[1])
		if err != nil || int64(len(got)) != rg[1]-rg[0] {
			t.Fatalf("ReadHashRange(%d, %d) = %d hashes, %v", rg[0], rg[1], len(got), err)
		}
		for i, h := range got {
			if h != want[rg[0]+int64(i)] {
				t.Fatalf("ReadHashRange(%d, %d)[%d] differs", rg[0], rg[1], i)
			}
		}
	}
	if _, err := r.ReadHashRange(ctx, count-1, count+1); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("ReadHashRange beyond the tree: err = %v, want ErrNotFound", err)
	}
}
