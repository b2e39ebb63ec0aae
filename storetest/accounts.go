package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
)

// runAccounts runs the accounts.Store suite: parties, users and tokens,
// and the custodial parties' keys.
func runAccounts(t *testing.T, open Opener) {
	t.Run("Parties", func(t *testing.T) { testParties(t, open(t)) })
	t.Run("UsersAndTokens", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("PartyKeys", func(t *testing.T) { testPartyKeys(t, open(t)) })
}

func testParties(t *testing.T, s Store) {
	a := NewParty(t, s, "alpha")
	NewParty(t, s, "bravo")
	got, err := s.Accounts().Party(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != a.ID || got.Name != a.Name || got.Kind != a.Kind || !got.CreatedAt.Equal(a.CreatedAt) || got.JournalIndex != a.JournalIndex {
		t.Fatalf("read back %+v, wrote %+v", got, a)
	}
	if _, err := s.Accounts().Party(ctx, a.ID); err != nil {
		t.Fatalf("by id: %v", err)
	}
	dup := *a
	dup.ID = id()
	err = s.Accounts().Update(ctx, func(tx accounts.Tx) error {
		if _, err := tx.Append(ctx, change("party", dup.ID, dup)); err != nil {
			return err
		}
		return tx.InsertParty(ctx, &dup)
	})
	if truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("duplicate slug: %v, want conflict", err)
	}
	if n, _ := s.JournalSize(ctx); n != 2 {
		t.Fatalf("journal size = %d after a failed insert, want 2", n)
	}
	page, err := s.Accounts().Parties(ctx, truce.PartyFilter{Limit: 1})
	if err != nil || len(page) != 1 {
		t.Fatalf("page 1: %v %v", page, err)
	}
	page2, err := s.Accounts().Parties(ctx, truce.PartyFilter{Limit: 5, Cursor: page[0].ID})
	if err != nil || len(page2) != 1 || page2[0].ID == page[0].ID {
		t.Fatalf("page 2: %v %v", page2, err)
	}
	if _, err := s.Accounts().Party(ctx, "nope"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing party: %v", err)
	}
}

func testUsers(t *testing.T, s Store) {
	p := NewParty(t, s, "charlie")
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &truce.User{ID: id(), PartyID: p.ID, Username: "ann", Name: "Ann", Roles: []truce.Role{truce.RoleOperator, truce.RoleAnalyst}, CreatedAt: now, UpdatedAt: now, Version: 1}
	write := func(fn func(tx accounts.Tx) error) error {
		return s.Accounts().Update(ctx, func(tx accounts.Tx) error {
			if _, err := tx.Append(ctx, change("user", u.ID, u)); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	if err := write(func(tx accounts.Tx) error { return tx.InsertUser(ctx, u, "hash") }); err != nil {
		t.Fatal(err)
	}
	orphan := *u
	orphan.ID, orphan.Username, orphan.PartyID = id(), "orphan", id()
	if err := write(func(tx accounts.Tx) error { return tx.InsertUser(ctx, &orphan, "") }); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("user of a missing party: %v, want invalid (foreign key)", err)
	}
	got, err := s.Accounts().User(ctx, "ann")
	if err != nil || len(got.Roles) != 2 || got.Roles[1] != truce.RoleAnalyst || got.Disabled {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if h, _ := s.Accounts().PasswordHash(ctx, u.ID); h != "hash" {
		t.Fatalf("password hash = %q", h)
	}
	stale := *got
	stale.Version = 5
	if err := write(func(tx accounts.Tx) error { return tx.UpdateUser(ctx, &stale) }); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale update: %v", err)
	}
	got.Disabled, got.Version = true, 2
	if err := write(func(tx accounts.Tx) error { return tx.UpdateUser(ctx, got) }); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Accounts().User(ctx, u.ID); !g.Disabled || g.Version != 2 {
		t.Fatalf("after update: %+v", g)
	}
	exp := now.Add(time.Hour)
	tk := &truce.Token{ID: id(), UserID: u.ID, Name: "cli", ExpiresAt: &exp, CreatedAt: now}
	if err := write(func(tx accounts.Tx) error { return tx.InsertToken(ctx, tk, []byte("h1")) }); err != nil {
		t.Fatal(err)
	}
	gt, err := s.Accounts().TokenByHash(ctx, []byte("h1"))
	if err != nil || gt.ID != tk.ID || gt.ExpiresAt == nil || !gt.ExpiresAt.Equal(exp) || gt.RevokedAt != nil {
		t.Fatalf("token by hash: %+v %v", gt, err)
	}
	if err := write(func(tx accounts.Tx) error { return tx.RevokeToken(ctx, tk.ID, now, 99) }); err != nil {
		t.Fatal(err)
	}
	if err := write(func(tx accounts.Tx) error { return tx.RevokeToken(ctx, tk.ID, now, 99) }); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("double revoke: %v", err)
	}
	ts, err := s.Accounts().Tokens(ctx, u.ID)
	if err != nil || len(ts) != 1 || ts[0].RevokedAt == nil || ts[0].JournalIndex != 99 {
		t.Fatalf("tokens: %+v %v", ts, err)
	}
	if _, err := s.Accounts().TokenByHash(ctx, []byte("nope")); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("unknown token: %v", err)
	}
}

// testPartyKeys checks that a custodial party's sealed key is written in
// the party's transaction: read back after commit, gone with it after a
// rollback (and the slug free again), and imported only where a party
// has none.
func testPartyKeys(t *testing.T, s Store) {
	if _, _, err := s.Accounts().AnyPartyKey(ctx); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("AnyPartyKey of an empty store: %v", err)
	}
	create := func(slug string, key []byte, fail error) (*truce.Party, error) {
		p := &truce.Party{ID: id(), Slug: slug, Name: "P", Kind: truce.PartyGuarantor, PublicKey: "k+1+AA", Custodial: true, CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Version: 1}
		return p, s.Accounts().Update(ctx, func(tx accounts.Tx) error {
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
	if _, err := s.Accounts().PartyKey(ctx, failed.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the failed transaction's key: %v", err)
	}
	if _, err := s.Accounts().Party(ctx, "jo"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the failed transaction's party: %v", err)
	}
	p, err := create("jo", []byte("sealed-2"), nil)
	if err != nil {
		t.Fatalf("the slug after a failed create: %v", err)
	}
	if got, err := s.Accounts().PartyKey(ctx, p.ID); err != nil || !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("PartyKey: %q %v", got, err)
	}
	if id, got, err := s.Accounts().AnyPartyKey(ctx); err != nil || id != p.ID || !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("AnyPartyKey: %s %q %v", id, got, err)
	}
	// A second create of the slug conflicts and stores no key.
	dup, err := create("jo", []byte("sealed-3"), nil)
	if truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second create of a slug: %v", err)
	}
	if _, err := s.Accounts().PartyKey(ctx, dup.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the conflicting create's key: %v", err)
	}
	// Import: only where there is none.
	if ok, err := s.Accounts().ImportPartyKey(ctx, p.ID, []byte("other")); err != nil || ok {
		t.Fatalf("import over a key: %v %v", ok, err)
	}
	if got, _ := s.Accounts().PartyKey(ctx, p.ID); !bytes.Equal(got, []byte("sealed-2")) {
		t.Fatalf("an import replaced a key: %q", got)
	}
	q := NewParty(t, s, "ru")
	if ok, err := s.Accounts().ImportPartyKey(ctx, q.ID, []byte("imported")); err != nil || !ok {
		t.Fatalf("import: %v %v", ok, err)
	}
	if got, _ := s.Accounts().PartyKey(ctx, q.ID); !bytes.Equal(got, []byte("imported")) {
		t.Fatalf("imported key: %q", got)
	}
}
