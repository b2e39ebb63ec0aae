package storetest

import (
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
)

// testUpdatePartyKey: a key rotation writes the party's new key, version
// and entry, and a stale version is refused without a change.
func testUpdatePartyKey(t *testing.T, s Store) {
	p := NewParty(t, s, "alpha")
	write := func(q *truce.Party) error {
		return s.Accounts().Update(ctx, func(tx accounts.Tx) error {
			i, err := tx.Append(ctx, change("party", q.ID, q))
			if err != nil {
				return err
			}
			q.JournalIndex = i
			return tx.UpdatePartyKey(ctx, q)
		})
	}
	stale := *p
	stale.PublicKey, stale.Version = "k+11111111+BBBB", 3
	if err := write(&stale); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale rotation: %v, want %s", err, truce.EPRECONDITION)
	}
	next := *p
	next.PublicKey, next.Version = "k+22222222+CCCC", 2
	if err := write(&next); err != nil {
		t.Fatal(err)
	}
	got, err := s.Accounts().Party(ctx, p.ID)
	if err != nil || got.PublicKey != next.PublicKey || got.Version != 2 || got.JournalIndex != next.JournalIndex || got.JournalIndex == p.JournalIndex {
		t.Fatalf("after the rotation: %+v %v (was %+v)", got, err, p)
	}
	if n, _ := s.JournalSize(ctx); n != 2 {
		t.Fatalf("journal size %d, want 2 (the refused rotation rolled back)", n)
	}
}
