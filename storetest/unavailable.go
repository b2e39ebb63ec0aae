package storetest

import (
	"testing"

	"github.com/truce-project/truce"
)

// testUnavailable checks that a store that can no longer reach its
// database says so with EUNAVAILABLE (a 503 with Retry-After, retry is
// the answer), for reads, writes and the readiness probe, instead of an
// internal error.
func testUnavailable(t *testing.T, s Store) {
	NewParty(t, s, "us")
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.Close()
	if err := s.Ping(ctx); truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("Ping of a closed store: %v", err)
	}
	if _, err := s.Accounts().Party(ctx, "us"); truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("a read from a closed store: %v", err)
	}
	if _, err := s.Accounts().Parties(ctx, truce.PartyFilter{}); truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("a list from a closed store: %v", err)
	}
	err := s.Update(ctx, func(tx truce.Tx) error {
		_, err := tx.Append(ctx, change("thing", id(), 1))
		return err
	})
	if truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("a write to a closed store: %v", err)
	}
}
