package ledger_test

// Interoperability: what Truce's log produces must be accepted by the
// transparency-dev implementations, written independently of this package
// (github.com/transparency-dev/merkle for RFC 6962 proofs,
// github.com/transparency-dev/formats for checkpoints, tlog-cosignature v1
// and tlog-proof). They are test-only dependencies.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	tdlog "github.com/transparency-dev/formats/log"
	tdnote "github.com/transparency-dev/formats/note"
	tdproof "github.com/transparency-dev/formats/proof"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func hashBytes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = append([]byte{}, hs[i][:]...)
	}
	return out
}

func TestInterop_TransparencyDev(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	skey, vkey := newLogKey(t, "truce.example/interop")
	w := startWitness(t, "witness.example/interop", vkey, filepath.Join(t.TempDir(), "witness.json"))
	wv, err := ledger.NewCosignatureVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	s := ledger.NewMemStorage()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l, err := ledger.NewLog(s, skey, ledger.LogOptions{Now: clk.now,
		Witnesses: []*ledger.WitnessClient{{URL: w.url, Verifier: wv}}})
	if err != nil {
		t.Fatal(err)
	}
	logVerifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	// The witness's key as transparency-dev reads it: its own cosignature
	// v1 verifier, not ours.
	tdWitness, err := tdnote.NewVerifierForCosignatureV1(w.vkey)
	if err != nil {
		t.Fatal(err)
	}

	// Grow the log through sizes that exercise partial and full tiles and
	// sign a checkpoint at each.
	type signed struct {
		note []byte
		size uint64
		root []byte
	}
	var cps []signed
	for _, size := range []int{1, 2, 3, 7, 8, 255, 256, 257, 600, 1000 + rng.IntN(100)} {
		n, _ := s.TreeSize(ctx)
		for i := int(n); i < size; i++ {
			if _, err := s.Append(fmt.Appendf(nil, "entry %d %d", i, rng.Uint64())); err != nil {
				t.Fatal(err)
			}
		}
		clk.advance(2 * time.Second)
		n8, c, err := l.Sign(ctx)
		if err != nil {
			t.Fatalf("sign at %d: %v", size, err)
		}
		cp, _, nt, err := tdlog.ParseCheckpoint(n8, l.Origin(), logVerifier, tdWitness)
		if err != nil {
			t.Fatalf("formats/log.ParseCheckpoint at %d: %v\n%s", size, err, n8)
		}
		if cp.Size != uint64(size) || string(cp.Hash) != string(c.Hash[:]) || cp.Origin != "truce.example/interop" {
			t.Fatalf("formats read %+v, Truce signed %+v", cp, c)
		}
		cosigned := false
		for _, sig := range nt.Sigs {
			cosigned = cosigned || sig.Name == tdWitness.Name() && sig.Hash == tdWitness.KeyHash()
		}
		if !cosigned {
			t.Fatalf("at %d the witness cosignature did not verify with formats/note", size)
		}
		cps = append(cps, signed{n8, cp.Size, cp.Hash})
	}

	h := rfc6962.DefaultHasher
	t.Run("Inclusion", func(t *testing.T) {
		for _, cp := range cps {
			for i := uint64(0); i < cp.size; i++ {
				if cp.size > 300 && rng.IntN(10) != 0 {
					continue // a sample of the large trees
				}
				e, err := s.ReadEntries(ctx, int64(i), int64(i)+1)
				if err != nil {
					t.Fatal(err)
				}
				p, err := ledger.ProveInclusion(ctx, s, int64(i), int64(cp.size))
				if err != nil {
					t.Fatal(err)
				}
				leaf := h.HashLeaf(e[0])
				if err := proof.VerifyInclusion(h, i, cp.size, leaf, hashBytes(p), cp.root); err != nil {
					t.Fatalf("entry %d in tree %d: %v", i, cp.size, err)
				}
				if len(p) > 0 {
					bad := hashBytes(p)
					bad[rng.IntN(len(bad))][0] ^= 1
					if proof.VerifyInclusion(h, i, cp.size, leaf, bad, cp.root) == nil {
						t.Fatalf("entry %d in tree %d: a changed proof verified", i, cp.size)
					}
				}
			}
		}
	})

	t.Run("Consistency", func(t *testing.T) {
		for i, old := range cps {
			for _, cur := range cps[i:] {
				p, err := ledger.ProveConsistency(ctx, s, int64(old.size), int64(cur.size))
				if err != nil {
					t.Fatal(err)
				}
				if err := proof.VerifyConsistency(h, old.size, cur.size, hashBytes(p), old.root, cur.root); err != nil {
					t.Fatalf("%d -> %d: %v", old.size, cur.size, err)
				}
				if len(p) > 0 {
					bad := hashBytes(p)
					bad[rng.IntN(len(bad))][31] ^= 1
					if proof.VerifyConsistency(h, old.size, cur.size, bad, old.root, cur.root) == nil {
						t.Fatalf("%d -> %d: a changed proof verified", old.size, cur.size)
					}
				}
			}
		}
	})

	t.Run("TlogProofFile", func(t *testing.T) {
		cp := cps[len(cps)-1]
		for range 20 {
			idx := rng.Int64N(int64(cp.size))
			p, err := ledger.NewProof(ctx, s, idx, cp.note)
			if err != nil {
				t.Fatal(err)
			}
			p.Extra = []byte("truce")
			var tp tdproof.TLogProof
			if err := tp.Unmarshal(p.Marshal()); err != nil {
				t.Fatalf("formats/proof cannot read our tlog-proof: %v\n%s", err, p.Marshal())
			}
			if tp.Index != uint64(idx) || string(tp.ExtraData) != "truce" || string(tp.Checkpoint) != string(cp.note) {
				t.Fatalf("formats/proof read index %d, extra %q, checkpoint\n%s", tp.Index, tp.ExtraData, tp.Checkpoint)
			}
			c, _, _, err := tdlog.ParseCheckpoint(tp.Checkpoint, "truce.example/interop", logVerifier, tdWitness)
			if err != nil {
				t.Fatal(err)
			}
			hs := make([][]byte, len(tp.Hashes))
			for i := range tp.Hashes {
				hs[i] = tp.Hashes[i][:]
			}
			e, _ := s.ReadEntries(ctx, idx, idx+1)
			if err := proof.VerifyInclusion(h, tp.Index, c.Size, h.HashLeaf(e[0]), hs, c.Hash); err != nil {
				t.Fatalf("entry %d: %v", idx, err)
			}
		}
	})
}
