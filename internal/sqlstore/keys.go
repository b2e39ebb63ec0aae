package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/truce-project/truce"
)

// InsertPartyKey stores a party's sealed key with the party (migration 012).
func (t *tx) InsertPartyKey(_ context.Context, partyID string, sealed []byte) error {
	return t.insert(`INSERT INTO party_keys (party_id, sealed) VALUES (?, ?)`, partyID, sealed)
}

// PartyKey returns a party's sealed key.
func (s *Store) PartyKey(ctx context.Context, partyID string) ([]byte, error) {
	var b []byte
	err := s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT sealed FROM party_keys WHERE party_id = ?`), partyID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "Party %q has no key on this deployment.", partyID)
	}
	return b, s.wrap(err)
}

// AnyPartyKey returns the first stored key.
func (s *Store) AnyPartyKey(ctx context.Context) (string, []byte, error) {
	var id string
	var b []byte
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT party_id, sealed FROM party_keys ORDER BY party_id LIMIT 1`).Scan(&id, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, truce.Errorf(truce.ENOTFOUND, "No party keys.")
	}
	return id, b, s.wrap(err)
}

// ImportPartyKey stores a key unless the party has one.
func (s *Store) ImportPartyKey(ctx context.Context, partyID string, sealed []byte) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rb.q(`INSERT INTO party_keys (party_id, sealed) VALUES (?, ?) ON CONFLICT (party_id) DO NOTHING`), partyID, sealed)
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}
