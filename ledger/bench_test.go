package ledger_test

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkInclusionProof measures tlog.ProveRecord over MemStorage for a
// random leaf of a large tree. 1M leaves by default; set
// TRUCE_BENCH_10M=1 to add 10M (about 1 GB of memory and a minute to build).
func BenchmarkInclusionProof(b *testing.B) {
	sizes := []int64{1 << 20}
	if os.Getenv("TRUCE_BENCH_10M") != "" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			m := ledger.NewMemStorage()
			var e [48]byte
			for i := int64(0); i < n; i++ {
				binary.BigEndian.PutUint64(e[:], uint64(i))
				if _, err := m.Append(e[:]); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			r := ledger.HashReader(ctx, m)
			root, _ := tlog.TreeHash(n, r)
			seed := uint64(1)
			b.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, seed))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				idx := rng.Int64N(n)
				p, err := tlog.ProveRecord(n, idx, r)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					binary.BigEndian.PutUint64(e[:], uint64(idx))
					if err := ledger.VerifyInclusion(idx, n, tlog.RecordHash(e[:]), p, root); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkAudit runs a full ledger.Audit of a log served over HTTP (the
// TileServer over MemStorage, on a loopback httptest server): every entry
// bundle and tile fetched, the whole tree recomputed and checked against
// the checkpoint and the previous one. TRUCE_BENCH_AUDIT_SIZE sets the
// size (default 1,000,000 entries of 200 bytes, like Truce's journal
// entries).
func BenchmarkAudit(b *testing.B) {
	n := int64(1_000_000)
	if v, err := strconv.ParseInt(os.Getenv("TRUCE_BENCH_AUDIT_SIZE"), 10, 64); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	m := ledger.NewMemStorage()
	e := make([]byte, 200)
	for i := range e {
		e[i] = 'a' + byte(i%26)
	}
	half := n / 2
	skey, vkey, err := note.GenerateKey(crand.Reader, "truce.example/bench")
	if err != nil {
		b.Fatal(err)
	}
	clk := time.Unix(1_700_000_000, 0)
	l, err := ledger.NewLog(m, skey, ledger.LogOptions{Now: func() time.Time { clk = clk.Add(time.Hour); return clk }})
	if err != nil {
		b.Fatal(err)
	}
	for i := int64(0); i < n; i++ {
		binary.BigEndian.PutUint64(e, uint64(i))
		if _, err := m.Append(e); err != nil {
			b.Fatal(err)
		}
		if i+1 == half {
			if _, _, err := l.Sign(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	oldNote, _ := m.Checkpoint(ctx, half)
	if _, _, err := l.Sign(ctx); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/log", ledger.NewTileServer(m)))
	defer srv.Close()
	policy, err := ledger.NewPolicy(vkey, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	// The state file holds the checkpoint at half the size, so each audit
	// also proves consistency with it.
	c, _, _ := policy.Verify(oldNote)
	state, _ := json.Marshal(map[string]any{"origin": c.Origin, "size": c.Size, "hash": ledger.EncodeHash(c.Hash), "checkpoint": string(oldNote)})
	statePath := filepath.Join(b.TempDir(), "state.json")
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if err := os.WriteFile(statePath, state, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: policy, Prefix: "/log", StatePath: statePath})
		if err != nil {
			b.Fatal(err)
		}
		if res.Checkpoint.Size != n || res.Previous == nil || res.Previous.Size != half {
			b.Fatalf("audited %+v after %+v", res.Checkpoint, res.Previous)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkCheck runs the self-check (ledger.Check) over MemStorage:
// the CPU cost of recomputing and comparing every stored hash, without a
// database. The SQLite figure is BenchmarkSelfCheck in package sqlite.
func BenchmarkCheck(b *testing.B) {
	n := int64(1_000_000)
	ctx := context.Background()
	m := ledger.NewMemStorage()
	e := make([]byte, 200)
	for i := int64(0); i < n; i++ {
		binary.BigEndian.PutUint64(e, uint64(i))
		m.Append(e)
	}
	b.ResetTimer()
	for b.Loop() {
		if res, err := ledger.Check(ctx, m, ledger.CheckOptions{}); err != nil || res.Size != n {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
