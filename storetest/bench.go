package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// BenchWriters is how many goroutines BenchAppend runs: enough concurrent
// requests for the group committer to fill its batches, as a busy server's
// handlers would.
const BenchWriters = 128

// BenchAppend measures journalled appends through Store.Update from
// BenchWriters concurrent writers, each append sealing a small change (body
// canonicalised, salted and hashed) in its own Update, as a service call
// does. It reports appends/s.
func BenchAppend(b *testing.B, s Store) {
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism((BenchWriters + 1) / 2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			c, err := truce.Change{Kind: "bench", Subject: fmt.Sprintf("rec-%d", i%1000),
				Body:       map[string]any{"i": i, "note": "a journalled change of typical size"},
				Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("bench-party", "bench-user", time.Now())
			if err != nil {
				b.Error(err)
				return
			}
			if err := s.Update(ctx, func(tx truce.Tx) error { _, err := tx.Append(ctx, c); return err }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}
