// Package storetest is the one conformance suite every store must pass, for
// truce.Store and each capability's view of it: the sqlite and postgres
// packages run it against a real database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/tlog"
)

// Store is a store as the node wires it: the shared truce.Store and the
// views of the capabilities that declare their own store (the SQL stores
// implement them all).
type Store interface {
	truce.Store
	Accounts() accounts.Store
	ZoneStore() zones.Store
	Airspace() airspace.Store
	Observation() observation.Store
	Control() control.Store
	Operations() operations.Store
}

// Opener returns a fresh, empty, migrated store for one test.
type Opener func(t testing.TB) Store

// HashStore is a store whose stored Merkle hashes can be read, as
// ledger.Storage reads them.
type HashStore interface {
	Store
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
}

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	t.Run("JournalGapFreeAndChained", func(t *testing.T) { testJournal(t, open(t)) })
	t.Run("ErrUnjournalledChange", func(t *testing.T) { testUnjournalled(t, open(t)) })
	t.Run("Accounts", func(t *testing.T) { runAccounts(t, open) })
	t.Run("ConcurrentAppendsMerkle", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("BatchIsolation", func(t *testing.T) { testBatchIsolation(t, open(t)) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, open(t)) })
	t.Run("IdempotencyClaim", func(t *testing.T) { testIdempotencyClaim(t, open(t)) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open(t)) })
	t.Run("EntryTooLarge", func(t *testing.T) { testTooLarge(t, open(t)) })
	t.Run("AgreementsAndZones", func(t *testing.T) { testZones(t, open(t)) })
	t.Run("ConflictsInBatch", func(t *testing.T) { testConflictsInBatch(t, open(t)) })
	t.Run("NextIndex", func(t *testing.T) { testNextIndex(t, open(t)) })
	t.Run("StateColumns", func(t *testing.T) { testStateColumns(t, open(t)) })
	t.Run("AircraftUnique", func(t *testing.T) { testAircraftUnique(t, open(t)) })
	t.Run("Unavailable", func(t *testing.T) { testUnavailable(t, open(t)) })
	t.Run("Observation", func(t *testing.T) { testObservation(t, open(t)) })
	t.Run("Evidence", func(t *testing.T) { testEvidence(t, open(t)) })
	t.Run("LargeWrite", func(t *testing.T) { testLargeWrite(t, open(t)) })
	t.Run("Control", func(t *testing.T) { testControl(t, open(t)) })
	t.Run("ControlAreaBreaches", func(t *testing.T) { testControlAreaBreaches(t, open(t)) })
	t.Run("Operations", func(t *testing.T) { testOperations(t, open(t)) })
	t.Run("AlertEpisodes", func(t *testing.T) { testAlertEpisodes(t, open(t)) })
}

var ctx = context.Background()

func id() string { return uuid.Must(uuid.NewV7()).String() }

func change(kind, subject string, body any) *truce.SealedChange {
	c, err := truce.Change{Kind: kind, Subject: subject, Body: body, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", time.Now())
	if err != nil {
		panic(err)
	}
	return c
}

// NewParty inserts a journalled party and returns it.
func NewParty(t testing.TB, s Store, slug string) *truce.Party {
	t.Helper()
	p := &truce.Party{ID: id(), Slug: slug, Name: "Party " + slug, Kind: truce.PartyGuarantor, PublicKey: "k+00000000+AAAA", CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Version: 1}
	err := s.Accounts().Update(ctx, func(tx accounts.Tx) error {
		i, err := tx.Append(ctx, change("party", p.ID, p))
		if err != nil {
			return err
		}
		p.JournalIndex = i
		return tx.InsertParty(ctx, p)
	})
	if err != nil {
		t.Fatalf("insert party: %v", err)
	}
	return p
}

func testJournal(t *testing.T, s Store) {
	subj := id()
	var idx []int64
	for i := 0; i < 5; i++ {
		c := change("thing", subj, map[string]int{"n": i})
		if i == 3 {
			c = change("other", id(), map[string]int{"n": i})
		}
		err := s.Update(ctx, func(tx truce.Tx) error {
			n, err := tx.Append(ctx, c)
			idx = append(idx, n)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range idx {
		if n != int64(i) {
			t.Fatalf("index %d = %d, want gap-free from 0: %v", i, n, idx)
		}
	}
	size, err := s.JournalSize(ctx)
	if err != nil || size != 5 {
		t.Fatalf("JournalSize = %d, %v; want 5", size, err)
	}
	rs, err := s.SubjectJournal(ctx, "thing", subj)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("subject entries = %d, want 4", len(rs))
	}
	if rs[0].Entry.Prev != nil {
		t.Errorf("first entry has prev %d", *rs[0].Entry.Prev)
	}
	if rs[3].Entry.Prev == nil || *rs[3].Entry.Prev != 2 {
		t.Errorf("entry 4's prev = %v, want 2 (entry 3 belongs to another subject)", rs[3].Entry.Prev)
	}
	for _, r := range rs {
		if got := truce.BodyHash(r.Salt, r.Body); got != r.Entry.BodyHash {
			t.Errorf("entry %d: body hash %s, recomputed %s", r.Index, r.Entry.BodyHash, got)
		}
		leaf, _ := r.Entry.Leaf()
		if string(leaf) != string(r.Leaf) {
			t.Errorf("entry %d: stored leaf %s differs from the entry's canonical form %s", r.Index, r.Leaf, leaf)
		}
	}
	all, err := s.Journal(ctx, 1, 3)
	if err != nil || len(all) != 2 || all[0].Index != 1 {
		t.Fatalf("Journal(1,3) = %d entries, %v", len(all), err)
	}
}

func testUnjournalled(t *testing.T, s Store) {
	p := &truce.Party{ID: id(), Slug: "sneaky", Name: "x", Kind: truce.PartyMonitor, PublicKey: "k", CreatedAt: time.Now(), Version: 1}
	err := s.Accounts().Update(ctx, func(tx accounts.Tx) error { return tx.InsertParty(ctx, p) })
	if truce.ErrorCode(err) != truce.EINTERNAL {
		t.Fatalf("unjournalled insert: err = %v, want an internal error", err)
	}
	if _, err := s.Accounts().Party(ctx, "sneaky"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("unjournalled party was kept: %v", err)
	}
	// A failed call leaves no journal entry either.
	err = s.Update(ctx, func(tx truce.Tx) error {
		if _, err := tx.Append(ctx, change("x", "y", 1)); err != nil {
			return err
		}
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("want the callback's error")
	}
	if n, _ := s.JournalSize(ctx); n != 0 {
		t.Fatalf("journal size after rolled-back append = %d, want 0", n)
	}
}

func testConcurrent(t *testing.T, s Store) {
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c := change("load", fmt.Sprint(w), map[string]int{"w": w, "i": i})
				errs <- s.Update(ctx, func(tx truce.Tx) error { _, err := tx.Append(ctx, c); return err })
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, _ := s.JournalSize(ctx)
	if n != writers*each {
		t.Fatalf("size %d, want %d", n, writers*each)
	}
	rs, err := s.Journal(ctx, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute the tree from the leaves and compare with the stored hashes.
	mem := memHashes{}
	for i, r := range rs {
		if r.Index != int64(i) {
			t.Fatalf("entry %d has index %d", i, r.Index)
		}
		hs, err := tlog.StoredHashes(int64(i), r.Leaf, mem)
		if err != nil {
			t.Fatal(err)
		}
		base := tlog.StoredHashIndex(0, int64(i))
		for j, h := range hs {
			mem[base+int64(j)] = h
		}
	}
	want, _ := tlog.TreeHash(n, mem)
	hs, ok := s.(HashStore)
	if !ok {
		t.Fatal("store does not expose its stored hashes")
	}
	hr := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) { return hs.ReadHashes(ctx, ix) })
	got, err := tlog.TreeHash(n, hr)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("stored tree hash %v, recomputed %v", got, want)
	}
	// Every entry's inclusion proof checks against the root.
	for _, i := range []int64{0, 1, n / 2, n - 1} {
		p, err := tlog.ProveRecord(n, i, hr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(p, n, want, i, tlog.RecordHash(rs[i].Leaf)); err != nil {
			t.Fatalf("inclusion of %d: %v", i, err)
		}
	}
}

type memHashes map[int64]tlog.Hash

func (m memHashes) ReadHashes(ix []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ix))
	for i, x := range ix {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("missing %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// testBatchIsolation runs failing and succeeding updates concurrently, so
// the group committer puts them in shared transactions.
func testBatchIsolation(t *testing.T, s Store) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := s.Update(ctx, func(tx truce.Tx) error {
				if _, err := tx.Append(ctx, change("iso", fmt.Sprint(i), i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return truce.Errorf(truce.EINVALID, "no")
				}
				return nil
			})
			if (err == nil) != (i%3 != 0) {
				t.Errorf("call %d: err = %v", i, err)
			}
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	n, _ := s.JournalSize(ctx)
	if n != int64(ok) {
		t.Fatalf("journal size %d, successful calls %d", n, ok)
	}
	rs, _ := s.Journal(ctx, 0, n)
	for i, r := range rs {
		if r.Index != int64(i) {
			t.Fatalf("gap at %d", i)
		}
	}
}

func testIdempotency(t *testing.T, s Store) {
	r := &truce.IdempotentResponse{Scope: "u1", Key: "k1", RequestHash: "h", Status: 201, Header: "application/json", Body: []byte(`{"a":1}`), CreatedAt: time.Now().Add(-25 * time.Hour)}
	if err := s.PutIdempotency(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIdempotency(ctx, r); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("duplicate key: %v", err)
	}
	got, err := s.Idempotency(ctx, "u1", "k1")
	if err != nil || got.Status != 201 || string(got.Body) != `{"a":1}` {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.Idempotency(ctx, "u2", "k1"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("other scope: %v", err)
	}
	if err := s.PurgeIdempotency(ctx, time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Idempotency(ctx, "u1", "k1"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("after purge: %v", err)
	}
}

// testIdempotencyClaim: a write claims its request's key in its own
// transaction; a second claim fails and takes its write down with it; the
// saved response completes the claim and keeps the write's index.
func testIdempotencyClaim(t *testing.T, s Store) {
	c := &truce.IdempotencyClaim{Scope: "u1", Key: "k1", RequestHash: "h"}
	write := func(subject string) (int64, error) {
		var idx int64
		err := s.Update(ctx, func(tx truce.Tx) error {
			var err error
			if idx, err = tx.Append(ctx, change("claim", subject, 1)); err != nil {
				return err
			}
			return tx.Claim(ctx, c, idx)
		})
		return idx, err
	}
	idx, err := write("first")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Idempotency(ctx, "u1", "k1")
	if err != nil || got.Status != 0 || got.JournalIndex == nil || *got.JournalIndex != idx || got.RequestHash != "h" {
		t.Fatalf("claimed: %+v, %v", got, err)
	}
	size, _ := s.JournalSize(ctx)
	if _, err := write("second"); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second claim: %v, want %s", err, truce.ECONFLICT)
	}
	if n, _ := s.JournalSize(ctx); n != size {
		t.Fatalf("the refused claim's write was journalled (%d -> %d)", size, n)
	}
	r := &truce.IdempotentResponse{Scope: "u1", Key: "k1", RequestHash: "h", Status: 201, Header: "application/json", Body: []byte(`{}`), CreatedAt: time.Now()}
	if err := s.PutIdempotency(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err = s.Idempotency(ctx, "u1", "k1")
	if err != nil || got.Status != 201 || string(got.Body) != `{}` || got.JournalIndex == nil || *got.JournalIndex != idx {
		t.Fatalf("completed: %+v, %v", got, err)
	}
	if err := s.PutIdempotency(ctx, r); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("a second response: %v", err)
	}
}

// testLeases: a lease is held by one holder until it expires, renewed by
// its holder, taken by another only once expired or released; of holders
// racing for a free lease exactly one wins.
func testLeases(t *testing.T, s Store) {
	t0 := time.Now()
	take := func(holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, "monitor", holder, now, now.Add(15*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("a", t0) {
		t.Fatal("a free lease was refused")
	}
	if take("b", t0.Add(5*time.Second)) {
		t.Fatal("b took a's lease before it expired")
	}
	if !take("a", t0.Add(10*time.Second)) {
		t.Fatal("a could not renew its lease")
	}
	if take("b", t0.Add(20*time.Second)) {
		t.Fatal("b took a's renewed lease (valid until +25 s) at +20 s")
	}
	if !take("b", t0.Add(26*time.Second)) {
		t.Fatal("b could not take a's expired lease")
	}
	if err := s.ReleaseLease(ctx, "monitor", "a"); err != nil {
		t.Fatal(err)
	}
	if take("a", t0.Add(27*time.Second)) {
		t.Fatal("a's release (of a lease it no longer held) freed b's lease")
	}
	if err := s.ReleaseLease(ctx, "monitor", "b"); err != nil {
		t.Fatal(err)
	}
	if !take("a", t0.Add(28*time.Second)) {
		t.Fatal("a could not take a released lease")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Go(func() {
			ok, err := s.AcquireLease(ctx, "race", fmt.Sprint(i), t0, t0.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d holders won a free lease, want 1", wins)
	}
}

func testTooLarge(t *testing.T, s Store) {
	big := make([]byte, truce.MaxEntrySize)
	for i := range big {
		big[i] = 'a'
	}
	c := change("big", string(big), 1)
	err := s.Update(ctx, func(tx truce.Tx) error { _, err := tx.Append(ctx, c); return err })
	if truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("oversized entry: %v", err)
	}
	if n, _ := s.JournalSize(ctx); n != 0 {
		t.Fatalf("size %d", n)
	}
}

// testConflictsInBatch inserts parties concurrently, two per slug, so that
// batches hold inserts that violate a unique constraint: exactly one of
// each pair succeeds, the other gets ECONFLICT, and nothing else is lost.
func testConflictsInBatch(t *testing.T, s Store) {
	const pairs = 20
	var wg sync.WaitGroup
	results := make([]error, 2*pairs)
	for i := 0; i < 2*pairs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := &truce.Party{ID: id(), Slug: fmt.Sprintf("pair-%d", i/2), Name: "P", Kind: truce.PartyMonitor, PublicKey: "k", CreatedAt: time.Now().UTC(), Version: 1}
			results[i] = s.Accounts().Update(ctx, func(tx accounts.Tx) error {
				if _, err := tx.Append(ctx, change("party", p.ID, p)); err != nil {
					return err
				}
				return tx.InsertParty(ctx, p)
			})
		}(i)
	}
	wg.Wait()
	ok := 0
	for i := 0; i < pairs; i++ {
		a, b := results[2*i], results[2*i+1]
		if (a == nil) == (b == nil) {
			t.Fatalf("pair %d: %v and %v; want exactly one success", i, a, b)
		}
		for _, err := range []error{a, b} {
			if err != nil && truce.ErrorCode(err) != truce.ECONFLICT {
				t.Fatalf("pair %d: %v, want a conflict", i, err)
			}
		}
		ok++
	}
	if n, _ := s.JournalSize(ctx); n != int64(ok) {
		t.Fatalf("journal size %d, want %d", n, ok)
	}
	if ps, _ := s.Accounts().Parties(ctx, truce.PartyFilter{}); len(ps) != ok {
		t.Fatalf("%d parties stored, want %d", len(ps), ok)
	}
}
