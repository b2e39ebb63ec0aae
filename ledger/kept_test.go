package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/truce-project/truce/ledger"
)

// TestCheckKept: a log extends the checkpoint it signed and kept
// elsewhere only if it holds as many entries, the same first ones and
// the checkpoint itself; a log that agrees with itself (Check passes)
// but was rolled back or rewritten does not.
func TestCheckKept(t *testing.T) {
	ctx := context.Background()
	skey, vkey := newLogKey(t, "truce.example/kept")
	v, err := ledger.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	entries := make([][]byte, 1000)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, `{"n":%d}`, i)
	}
	// build returns a log of the first n entries, entry rewritten (its
	// hashes recomputed) unless it is -1, with the checkpoint of the
	// first 900 signed over it (the signature is the log's, as a server
	// signing a rewritten database would make) unless withCheckpoint is
	// false.
	build := func(n int, rewritten int64, withCheckpoint bool) *ledger.MemStorage {
		m := ledger.NewMemStorage()
		for i, e := range entries[:n] {
			if int64(i) == rewritten {
				e = []byte(`{"n":"rewritten"}`)
			}
			m.Append(e)
		}
		if withCheckpoint {
			root, err := ledger.TreeHash(ctx, m, 900)
			if err != nil {
				t.Fatal(err)
			}
			m.PutCheckpoint(ctx, 900, []byte(ledger.Checkpoint{Origin: "truce.example/kept", Size: 900, Hash: root}.Body()))
		}
		return m
	}
	// kept is the checkpoint of the first 900 entries as first signed.
	orig := build(900, -1, false)
	l, err := ledger.NewLog(orig, skey, ledger.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := l.Sign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := ledger.OpenCheckpoint(signed, v)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		size                      int64
		fewer, rewritten, missing bool
	}
	for _, tc := range []struct {
		name string
		s    ledger.Storage
		want want
	}{
		{"Same", orig, want{size: 900}},
		{"Extended", build(1000, -1, true), want{size: 1000}},
		{"RewrittenAfterIt", build(1000, 950, true), want{size: 1000}},
		{"Fewer", build(850, -1, false), want{size: 850, fewer: true}},
		{"Rewritten", build(1000, 17, true), want{size: 1000, rewritten: true}},
		{"CheckpointDeleted", build(1000, -1, false), want{size: 1000, missing: true}},
		{"RewrittenAndCheckpointDeleted", build(1000, 17, false), want{size: 1000, rewritten: true, missing: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ledger.CheckKept(ctx, tc.s, kept)
			if err != nil {
				t.Fatal(err)
			}
			got := want{k.Size, k.Fewer, k.Rewritten, k.Missing}
			if got != tc.want {
				t.Errorf("CheckKept = %+v, want %+v", got, tc.want)
			}
			if ext := tc.want == (want{size: tc.want.size}); k.Extends() != ext {
				t.Errorf("Extends() = %v, want %v", k.Extends(), ext)
			}
			if k.Checkpoint.Size != kept.Size || k.Checkpoint.Hash != kept.Hash {
				t.Errorf("Checkpoint = %+v, want the kept %+v", k.Checkpoint, kept)
			}
		})
	}
}
