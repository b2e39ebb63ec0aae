package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// testPartyKeys checks that a custodial party's sealed key is written in
// the party's transaction: read back after commit, gone with it after a
// rollback (and the slug free again), and imported only where a party
// has none.
func testPartyKeys(t *testing.T, s truce.Store) {
	if _, _, err := s.AnyPartyKey(ctx); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("AnyPartyKey of an empty store: %v", err)
	}
	create := func(slug string, key []byte, fail error) (*truce.Party, error) {
		p := &truce.Party{ID: id(), Slug: slug, Name: "P", Kind: truce.PartyGuarantor, PublicKey: "k+1+AA", Custodial: true, CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Version: 1}
		return p, s.Update(ctx, func(tx truce.Tx) error {
			i, err := tx.Append(ctx, change("party", p.ID, p))
			if err != nil {
				return err
			}
			p.JournalIndex = i
			if err := tx.InsertParty(ctx, p); err != nil {
				return err
			}
			if err := tx.InsertPartyKey(ctx, p.ID, key); err != nil {
				return err
			}
			return fail
		})
	}
	// A transaction that fails after writing both leaves neither.
	boom := errors.New("the disk is full")
	failed, err := create("jo", []byte("sealed-1"), boom)
	if !errors.Is(err, boom) && truce.ErrorCode(err) != truce.EINTERNAL {
		t.Fatalf("failed create: %v", err)
	}
	if _, err := s.PartyKey(ctx, failed.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the failed transaction's key: %v", err)
	}
	if _, err := s.Party(ctx, "jo"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the failed transaction's party: %v", err)
	}
	p, err := create("jo", []byte("sealed-2"), nil)
	if err != nil {
		t.Fatalf("the slug after a failed create: %v", err)
	}
	if got, err := s.PartyKey(ctx, p.ID); err != nil || !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("PartyKey: %q %v", got, err)
	}
	if id, got, err := s.AnyPartyKey(ctx); err != nil || id != p.ID || !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("AnyPartyKey: %s %q %v", id, got, err)
	}
	// A second create of the slug conflicts and stores no key.
	dup, err := create("jo", []byte("sealed-3"), nil)
	if truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second create of a slug: %v", err)
	}
	if _, err := s.PartyKey(ctx, dup.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the conflicting create's key: %v", err)
	}
	// Import: only where there is none.
	if ok, err := s.ImportPartyKey(ctx, p.ID, []byte("other")); err != nil || ok {
		t.Fatalf("import over a key: %v %v", ok, err)
	}
	if got, _ := s.PartyKey(ctx, p.ID); !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("an import replaced a key: %q", got)
	}
	q := NewParty(t, s, "ru")
	if ok, err := s.ImportPartyKey(ctx, q.ID, []byte("imported")); err != nil || !ok {
		t.Fatalf("import: %v %v", ok, err)
	}
	if got, _ := s.PartyKey(ctx, q.ID); !bytes.Equal(got, []byte("imported")) {
		t.Fatalf("imported key: %q", got)
	}
}
