package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// tamperStorage, while tamper is set, changes every stored hash on leaf 0's
// path to the root: a database where entry 0 was rewritten and its hashes
// recomputed behind the log's back.
type tamperStorage struct {
	*ledger.MemStorage
	tamper atomic.Bool
}

func (s *tamperStorage) ReadHashes(ctx context.Context, ix []int64) ([]tlog.Hash, error) {
	hs, err := s.MemStorage.ReadHashes(ctx, ix)
	if err == nil && s.tamper.Load() {
		for i, x := range ix {
			if _, n := tlog.SplitStoredHashIndex(x); n == 0 {
				hs[i][0] ^= 1
			}
		}
	}
	return hs, err
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func appendN(t *testing.T, m *ledger.MemStorage, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := m.Append(fmt.Appendf(nil, `{"kind":"test","n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLog_Sign(t *testing.T) {
	ctx := context.Background()
	skey, vkey := newLogKey(t, "truce.example/log")
	s := &tamperStorage{MemStorage: ledger.NewMemStorage()}
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l, err := ledger.NewLog(s, skey, ledger.LogOptions{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if l.VerifierKey() != vkey {
		t.Fatalf("VerifierKey = %q, want %q", l.VerifierKey(), vkey)
	}
	policy, _ := ledger.NewPolicy(vkey, nil, 0)

	steps := []struct {
		name     string
		add      int
		wait     time.Duration
		tamper   bool
		wantErr  error
		wantSize int64
	}{
		{"Empty", 0, 0, false, nil, 0},
		{"First", 3, time.Second, false, nil, 3},
		{"TooSoon", 2, 10 * time.Millisecond, false, ledger.ErrTooSoon, 0},
		{"AfterInterval", 0, time.Second, false, nil, 5},
		{"Unchanged", 0, 0, false, nil, 5},
		{"Grown", 300, time.Second, false, nil, 305},
		{"RewrittenHistory", 1, time.Second, true, ledger.ErrInconsistent, 0},
	}
	var sizes []int64
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			appendN(t, s.MemStorage, st.add)
			clk.advance(st.wait)
			s.tamper.Store(st.tamper)
			signed, c, err := l.Sign(ctx)
			if st.wantErr != nil {
				if !errors.Is(err, st.wantErr) {
					t.Fatalf("err = %v, want %v", err, st.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := policy.Verify(signed)
			if err != nil {
				t.Fatal(err)
			}
			if got.Size != st.wantSize || c.Size != st.wantSize {
				t.Fatalf("signed size %d (%d), want %d", got.Size, c.Size, st.wantSize)
			}
			want, _ := tlog.TreeHash(st.wantSize, ledger.HashReader(ctx, s.MemStorage))
			if got.Hash != want {
				t.Fatalf("signed root %v, want %v", got.Hash, want)
			}
			sizes = append(sizes, got.Size)
		})
	}
	// Every signed checkpoint is kept.
	for _, size := range sizes {
		if _, err := s.Checkpoint(ctx, size); err != nil {
			t.Errorf("checkpoint %d not kept: %v", size, err)
		}
	}
	// A restarted log reloads the last checkpoint and still refuses the fork.
	l2, _ := ledger.NewLog(s, skey, ledger.LogOptions{Now: clk.now})
	clk.advance(time.Second)
	if _, _, err := l2.Sign(ctx); !errors.Is(err, ledger.ErrInconsistent) {
		t.Fatalf("restarted log signed a rewritten history: err = %v", err)
	}
	s.tamper.Store(false)
	if _, c, err := l2.Sign(ctx); err != nil || c.Size != 306 {
		t.Fatalf("restarted log: size %d, err %v", c.Size, err)
	}
}

func TestLog_Run(t *testing.T) {
	skey, _ := newLogKey(t, "truce.example/log")
	m := ledger.NewMemStorage()
	l, err := ledger.NewLog(m, skey, ledger.LogOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx, func(err error) { t.Error(err) }); close(done) }()
	// A burst of commits, each followed by Notify, ends up signed.
	for i := 0; i < 5; i++ {
		appendN(t, m, 1)
		l.Notify()
	}
	signed := testwait.Until(5*time.Second, func() bool {
		n, err := m.LatestCheckpoint(context.Background())
		if err == nil {
			if c, _ := ledger.ParseCheckpoint(n[:indexSig(n)]); c.Size == 5 {
				return true
			}
		}
		l.Notify()
		return false
	})
	if !signed {
		t.Fatal("Run did not sign the burst within 5s")
	}
	cancel()
	<-done
}

// indexSig returns the length of a note's text (up to the blank line).
func indexSig(n []byte) int {
	for i := 0; i+1 < len(n); i++ {
		if n[i] == '\n' && n[i+1] == '\n' {
			return i + 1
		}
	}
	return len(n)
}

func TestProveConsistency(t *testing.T) {
	ctx := context.Background()
	m := ledger.NewMemStorage()
	appendN(t, m, 600)
	r := ledger.HashReader(ctx, m)
	for _, c := range [][2]int64{{1, 600}, {255, 256}, {256, 513}, {7, 7}, {599, 600}} {
		p, err := ledger.ProveConsistency(ctx, m, c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		h1, _ := tlog.TreeHash(c[0], r)
		h2, _ := tlog.TreeHash(c[1], r)
		if err := ledger.VerifyConsistency(c[0], c[1], p, h1, h2); err != nil {
			t.Errorf("%v: %v", c, err)
		}
		if c[0] != c[1] {
			if err := ledger.VerifyConsistency(c[0], c[1], p, h2, h1); err == nil {
				t.Errorf("%v: swapped roots accepted", c)
			}
		}
	}
	for _, c := range [][2]int64{{5, 4}, {-1, 3}, {1, 601}} {
		if _, err := ledger.ProveConsistency(ctx, m, c[0], c[1]); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("%v: err = %v, want ErrNotFound", c, err)
		}
	}
}
