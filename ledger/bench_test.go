package ledger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/truce-project/truce/ledger"
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
