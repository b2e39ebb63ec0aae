package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkSelfCheck measures the node's start-up self-check on SQLite:
// ledger.Check streaming every journal row (leaf, body, salt) with one
// query per 8,192 entries, recomputing every stored hash, and checking each
// body against its entry's body_hash, as node.startSelfCheck does. The
// journal is written directly (bodies of ~100 bytes, leaves of ~230),
// TRUCE_BENCH_SELFCHECK_SIZE entries (default 100,000).
func BenchmarkSelfCheck(b *testing.B) {
	n := int64(100_000)
	if v, err := strconv.ParseInt(os.Getenv("TRUCE_BENCH_SELFCHECK_SIZE"), 10, 64); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "truce.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := fillJournal(s, n); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := ledger.Check(ctx, s, ledger.CheckOptions{Scan: func(ctx context.Context, start, end int64, fn func(int64, []byte) error) error {
			return s.ScanJournal(ctx, start, end, func(i int64, leaf, body, salt []byte) error {
				if err := fn(i, leaf); err != nil {
					return err
				}
				return ledger.CheckBody(leaf, salt, body)
			})
		}})
		if err != nil || res.Size != n {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// fillJournal writes n journal rows and their stored hashes directly, in
// large transactions: appending them through the service would take minutes.
func fillJournal(s *sqlite.Store, n int64) error {
	db := s.DB()
	var edge edgeHashes
	for l := range edge.idx {
		edge.idx[l] = -1
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	const rows = 400
	var jargs, hargs []any
	flush := func() error {
		if len(jargs) > 0 {
			q := "INSERT INTO journal (idx, kind, subject, party, user_id, time, body_hash, prev, leaf, body, salt, vis_scope, vis_owner, vis_parties) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?,?),", len(jargs)/14), ",")
			if _, err := tx.Exec(q, jargs...); err != nil {
				return err
			}
		}
		if len(hargs) > 0 {
			q := "INSERT INTO log_hashes (id, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?,?),", len(hargs)/2), ",")
			if _, err := tx.Exec(q, hargs...); err != nil {
				return err
			}
		}
		jargs, hargs = jargs[:0], hargs[:0]
		return nil
	}
	now := time.Now().UTC()
	for i := int64(0); i < n; i++ {
		salt := fmt.Appendf(nil, "%032d", i)
		body := fmt.Appendf(nil, `{"id":"tok-%d","name":"bench token","user":"u-1","created_at":"%s"}`, i, now.Format(time.RFC3339))
		bh := ledger.BodyHash(salt, body)
		leaf := fmt.Appendf(nil, `{"kind":"token","subject":"tok-%d","party":"p-1","user":"u-1","time":"%s","body_hash":"%s","prev":null}`, i, now.Format(time.RFC3339Nano), bh)
		jargs = append(jargs, i, "token", fmt.Sprintf("tok-%d", i), "p-1", "u-1", now, bh, nil, leaf, body, salt, "party", "p-1", "")
		hs, err := tlog.StoredHashes(i, leaf, &edge)
		if err != nil {
			return err
		}
		base := tlog.StoredHashIndex(0, i)
		for l, h := range hs {
			edge.idx[l], edge.hash[l] = base+int64(l), h
			hargs = append(hargs, base+int64(l), h[:])
		}
		if len(jargs)/14 >= rows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE log_head SET size = ? WHERE id = 1`, n); err != nil {
		return err
	}
	return tx.Commit()
}
