package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// corruptStorage serves a MemStorage with one entry or one stored hash
// changed, as a database edited behind the log's back would.
type corruptStorage struct {
	*ledger.MemStorage
	entry  int64 // entry to change, or -1
	hashID int64 // stored hash to change, or -1
	size   int64 // TreeSize to report, or -1
}

func (s *corruptStorage) TreeSize(ctx context.Context) (int64, error) {
	if s.size >= 0 {
		return s.size, nil
	}
	return s.MemStorage.TreeSize(ctx)
}

func (s *corruptStorage) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	es, err := s.MemStorage.ReadEntries(ctx, start, end)
	if err == nil && s.entry >= start && s.entry < end {
		e := es[s.entry-start]
		e[len(e)-1] ^= 1
	}
	return es, err
}

func (s *corruptStorage) ReadHashes(ctx context.Context, ids []int64) ([]tlog.Hash, error) {
	hs, err := s.MemStorage.ReadHashes(ctx, ids)
	for i, id := range ids {
		if err == nil && id == s.hashID {
			hs[i][7] ^= 0x80
		}
	}
	return hs, err
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	skey, _ := newLogKey(t, "truce.example/check")
	otherKey, _ := newLogKey(t, "truce.example/check")

	entries := make([][]byte, 1000)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, `{"n":%d,"r":%d}`, i, rng.Uint64())
	}
	signed := func(t *testing.T, key string) []byte {
		m := ledger.NewMemStorage()
		for _, e := range entries[:900] {
			m.Append(e)
		}
		l, err := ledger.NewLog(m, key, ledger.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n, _, err := l.Sign(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	good, forged := signed(t, skey), signed(t, otherKey)
	// build returns a log of the 1000 entries whose latest checkpoint, cp,
	// covers the first 900 (the rest were committed after it), with entry
	// rewritten (its hashes recomputed) unless rewritten is -1.
	build := func(rewritten int64, cp []byte) *ledger.MemStorage {
		m := ledger.NewMemStorage()
		for i, e := range entries {
			if int64(i) == rewritten {
				e = []byte(`{"n":"rewritten"}`)
			}
			m.Append(e)
		}
		if cp != nil {
			m.PutCheckpoint(ctx, 900, cp)
		}
		return m
	}
	l, _ := ledger.NewLog(ledger.NewMemStorage(), skey, ledger.LogOptions{})
	entry := rng.Int64N(1000)
	leafHash := rng.Int64N(1000)
	tests := []struct {
		name      string
		s         ledger.Storage
		verify    bool
		wantErr   string
		wantIndex int64
		wantEnd   int64
	}{
		{name: "Intact", s: build(-1, good), verify: true},
		{name: "NoCheckpoint", s: build(-1, nil)},
		{name: "EntryChanged", s: &corruptStorage{build(-1, good), entry, -1, -1},
			wantErr: fmt.Sprintf("entry hash mismatch at index %d:", entry), wantIndex: entry, wantEnd: entry + 1},
		{name: "LeafHashChanged", s: &corruptStorage{build(-1, good), -1, tlog.StoredHashIndex(0, leafHash), -1},
			wantErr: fmt.Sprintf("entry hash mismatch at index %d:", leafHash), wantIndex: leafHash, wantEnd: leafHash + 1},
		{name: "UpperHashChanged", s: &corruptStorage{build(-1, good), -1, tlog.StoredHashIndex(3, 5), -1},
			wantErr: "over entries [40, 48): the stored level-3 hash 5", wantIndex: 40, wantEnd: 48},
		{name: "HistoryRewrittenAndRehashed", s: build(17, good),
			wantErr: "the first 900 entries hash to root", wantIndex: 0, wantEnd: 900},
		{name: "RewrittenAfterTheCheckpoint", s: build(950, good), verify: true},
		{name: "EntriesLost", s: &corruptStorage{build(-1, good), -1, -1, 850},
			wantErr: "entries [850, 900) are missing", wantIndex: 850, wantEnd: 900},
		{name: "ForgedCheckpoint", s: build(-1, forged), verify: true, wantErr: "the latest stored checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := ledger.CheckOptions{}
			if tc.verify {
				opts.Verifier = l.Verifier()
			}
			var progress int64
			opts.Progress = func(done, total int64) { progress = done }
			res, err := ledger.Check(ctx, tc.s, opts)
			if tc.wantErr == "" {
				size, _ := tc.s.TreeSize(ctx)
				if err != nil || res.Size != size || progress != size {
					t.Fatalf("Check = %+v, %v (progress %d)", res, err, progress)
				}
				return
			}
			var ce *ledger.CheckError
			if !errors.As(err, &ce) || !errors.Is(err, ledger.ErrCorrupt) {
				t.Fatalf("err = %v, want a CheckError", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.wantEnd > 0 && (ce.Index != tc.wantIndex || ce.End != tc.wantEnd) {
				t.Errorf("located [%d, %d), want [%d, %d)", ce.Index, ce.End, tc.wantIndex, tc.wantEnd)
			}
		})
	}

	t.Run("ScanHookError", func(t *testing.T) {
		s := build(-1, good)
		want := &ledger.CheckError{Index: 321, End: 322, Problem: "body mismatch at index 321"}
		_, err := ledger.Check(ctx, s, ledger.CheckOptions{Scan: func(ctx context.Context, start, end int64, fn func(int64, []byte) error) error {
			es, _ := s.ReadEntries(ctx, start, end)
			for i, e := range es {
				if err := fn(start+int64(i), e); err != nil {
					return err
				}
				if start+int64(i) == 321 {
					return want
				}
			}
			return nil
		}})
		if err != want {
			t.Fatalf("err = %v, want the hook's", err)
		}
	})
}
