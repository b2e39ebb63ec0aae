package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"golang.org/x/mod/sumdb/tlog"
)

// testLargeWrite: one write of hundreds of entries, rows and events (the
// size of a batch of engine alerts, which PostgreSQL bulk-loads with COPY)
// stores every entry with its previous version and Merkle hashes, every
// row and every event; a large write whose last row conflicts stores
// nothing of it.
func testLargeWrite(t *testing.T, s Store) {
	const subjects, versions, parties = 100, 3, 40
	ps := make([]*truce.Party, parties)
	for i := range ps {
		ps[i] = &truce.Party{ID: id(), Slug: fmt.Sprintf("bulk-%d", i), Name: "P", Kind: truce.PartyMonitor, PublicKey: "k", CreatedAt: time.Now().UTC(), Version: 1}
	}
	names := make([]string, subjects)
	for i := range names {
		names[i] = id()
	}
	err := s.Accounts().Update(ctx, func(tx accounts.Tx) error {
		for _, p := range ps {
			if _, err := tx.Append(ctx, change("party", p.ID, p)); err != nil {
				return err
			}
			if err := tx.InsertParty(ctx, p); err != nil {
				return err
			}
		}
		for v := range versions {
			for i, subj := range names {
				idx, err := tx.Append(ctx, change("thing", subj, map[string]int{"v": v, "i": i}))
				if err != nil {
					return err
				}
				if err := tx.Publish(ctx, &truce.Event{Kind: "thing", Subject: subj, Index: idx, Time: time.Now(),
					Data: map[string]int{"v": v}, Visibility: truce.Visibility{Scope: truce.ScopeAll}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(parties + subjects*versions)
	if size, err := s.JournalSize(ctx); err != nil || size != n {
		t.Fatalf("journal size %d, %v; want %d", size, err, n)
	}
	rs, err := s.Journal(ctx, 0, n)
	if err != nil || int64(len(rs)) != n {
		t.Fatalf("%d entries read, %v; want %d", len(rs), err, n)
	}
	mem := memHashes{}
	for i, r := range rs {
		if r.Index != int64(i) || truce.BodyHash(r.Salt, r.Body) != r.Entry.BodyHash {
			t.Fatalf("entry %d: index %d, body hash %s", i, r.Index, r.Entry.BodyHash)
		}
		// A thing's versions are subjects entries apart in this write.
		var want *int64
		if k := int64(i) - parties; k >= subjects {
			p := int64(i) - subjects
			want = &p
		}
		if (want == nil) != (r.Entry.Prev == nil) || want != nil && *want != *r.Entry.Prev {
			t.Fatalf("entry %d: prev %v, want %v", i, r.Entry.Prev, want)
		}
		leaf, _ := r.Entry.Leaf()
		if string(leaf) != string(r.Leaf) {
			t.Fatalf("entry %d: stored leaf %s, canonical %s", i, r.Leaf, leaf)
		}
		hs, err := tlog.StoredHashes(int64(i), r.Leaf, mem)
		if err != nil {
			t.Fatal(err)
		}
		for j, h := range hs {
			mem[tlog.StoredHashIndex(0, int64(i))+int64(j)] = h
		}
	}
	want, _ := tlog.TreeHash(n, mem)
	if hs, ok := s.(HashStore); ok {
		got, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return hs.ReadHashes(ctx, ix) }))
		if err != nil || got != want {
			t.Fatalf("stored tree hash %v (%v), recomputed %v", got, err, want)
		}
	}
	stored, err := s.Accounts().Parties(ctx, truce.PartyFilter{Limit: 1000})
	if err != nil || len(stored) != parties {
		t.Fatalf("%d parties stored, %v; want %d", len(stored), err, parties)
	}

	// Another large write whose last party takes a slug already used.
	err = s.Accounts().Update(ctx, func(tx accounts.Tx) error {
		for i := range parties {
			p := &truce.Party{ID: id(), Slug: fmt.Sprintf("more-%d", i), Name: "P", Kind: truce.PartyMonitor, PublicKey: "k", CreatedAt: time.Now().UTC(), Version: 1}
			if i == parties-1 {
				p.Slug = ps[0].Slug
			}
			if _, err := tx.Append(ctx, change("party", p.ID, p)); err != nil {
				return err
			}
			if err := tx.InsertParty(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("a large write with a taken slug: %v, want a conflict", err)
	}
	if size, _ := s.JournalSize(ctx); size != n {
		t.Fatalf("journal size %d after the refused write, want %d", size, n)
	}
	if stored, _ := s.Accounts().Parties(ctx, truce.PartyFilter{Limit: 1000}); len(stored) != parties {
		t.Fatalf("%d parties after the refused write, want %d", len(stored), parties)
	}
}
