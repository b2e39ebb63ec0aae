package journal_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
)

// benchWrites measures journalled writes per second through a
// capability's service (accounts): each op creates a token (authorisation, one journal entry with its
// Merkle hashes, one row), from 128 concurrent callers so group commit can
// batch them.
func benchWrites(b *testing.B, st teststores.TestStore) {
	ctx := context.Background()
	keys, err := accounts.NewKeys(b.TempDir(), []byte("bench key secret, 32 bytes long."))
	if err != nil {
		b.Fatal(err)
	}
	acc := accounts.New(st.Accounts(), journal.New(st), keys)
	p, u, _, err := acc.Bootstrap(ctx, truce.PartyCreate{Slug: "bench", Name: "Bench", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "bench", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		b.Fatal(err)
	}
	actx := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := acc.CreateToken(actx, truce.TokenCreate{Name: "t"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

func BenchmarkJournalledWrites(b *testing.B) {
	b.Run("store=sqlite", func(b *testing.B) {
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchWrites(b, st)
	})
	b.Run("store=postgres", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), pgtest.DSN(b))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchWrites(b, st)
	})
}
