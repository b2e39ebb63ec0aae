package accounts

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Store is what accounts reads and writes: parties, users, tokens and the
// custodial parties' sealed keys. internal/sqlstore implements it (its
// Accounts view) and storetest checks it on both databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	Parties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, error)
	User(ctx context.Context, idOrUsername string) (*truce.User, error)
	Users(ctx context.Context, f truce.UserFilter) ([]*truce.User, error)
	// PasswordHash returns the stored password hash of a user ("" if none).
	PasswordHash(ctx context.Context, userID string) (string, error)
	Token(ctx context.Context, id string) (*truce.Token, error)
	TokenByHash(ctx context.Context, hash []byte) (*truce.Token, error)
	Tokens(ctx context.Context, userID string) ([]*truce.Token, error)

	KeyStore
}

// KeyStore is where the custodial parties' sealed keys are kept. Keys are
// secrets, not records: they are not journalled.
type KeyStore interface {
	// Party returns a party by id or slug (ENOTFOUND).
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	// PartyKey returns a custodial party's sealed private key, or
	// ENOTFOUND. AnyPartyKey returns one stored key with its party's id
	// (ENOTFOUND if none), to check the deployment's key secret.
	PartyKey(ctx context.Context, partyID string) ([]byte, error)
	AnyPartyKey(ctx context.Context) (partyID string, sealed []byte, err error)
	// ImportPartyKey stores the sealed key of an existing party unless it
	// has one, and reports whether it stored it: for keys kept elsewhere
	// by earlier versions.
	ImportPartyKey(ctx context.Context, partyID string, sealed []byte) (bool, error)
}

// Tx is the transaction accounts writes in: the journal's, and the
// writes of its records.
type Tx interface {
	journal.Tx
	InsertParty(ctx context.Context, p *truce.Party) error
	// InsertPartyKey stores a custodial party's sealed private key, in the
	// transaction that inserts the party.
	InsertPartyKey(ctx context.Context, partyID string, sealed []byte) error
	// UpdatePartyKey writes p's public key, version and journal index if
	// the stored version is p.Version-1; EPRECONDITION otherwise (a key
	// rotation).
	UpdatePartyKey(ctx context.Context, p *truce.Party) error
	InsertUser(ctx context.Context, u *truce.User, passwordHash string) error
	// UpdateUser writes u if the stored version is u.Version-1;
	// EPRECONDITION otherwise.
	UpdateUser(ctx context.Context, u *truce.User) error
	InsertToken(ctx context.Context, t *truce.Token, hash []byte) error
	RevokeToken(ctx context.Context, id string, at time.Time, journalIndex int64) error
}
