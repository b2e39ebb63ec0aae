package truce

import (
	"context"
	"time"
)

// Store is the persistence contract that the sqlite and postgres packages
// implement and storetest checks. It is lower level than the services: it
// does no authorisation. Every state change goes through Update, whose Tx
// refuses to commit a change that was not journalled.
type Store interface {
	// Update runs fn in one database transaction. If fn changed state
	// without appending a journal entry, Update rolls back and returns an
	// EINTERNAL error. Journal appends are serialised, so indexes are
	// gap-free from 0.
	Update(ctx context.Context, fn func(tx Tx) error) error

	Party(ctx context.Context, idOrSlug string) (*Party, error)
	Parties(ctx context.Context, f PartyFilter) ([]*Party, error)
	User(ctx context.Context, idOrUsername string) (*User, error)
	Users(ctx context.Context, f UserFilter) ([]*User, error)
	// PasswordHash returns the stored password hash of a user ("" if none).
	PasswordHash(ctx context.Context, userID string) (string, error)
	Token(ctx context.Context, id string) (*Token, error)
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	Tokens(ctx context.Context, userID string) ([]*Token, error)

	// JournalSize returns the number of journal entries.
	JournalSize(ctx context.Context) (int64, error)
	// Journal returns entries [start, end) with bodies and salts.
	Journal(ctx context.Context, start, end int64) ([]*JournalRecord, error)
	// SubjectJournal returns every entry of one record, oldest first.
	SubjectJournal(ctx context.Context, kind, subject string) ([]*JournalRecord, error)

	// Idempotency returns the saved response for a key, or ENOTFOUND.
	Idempotency(ctx context.Context, scope, key string) (*IdempotentResponse, error)
	// PutIdempotency saves a response; ECONFLICT if the key exists.
	PutIdempotency(ctx context.Context, r *IdempotentResponse) error
	// PurgeIdempotency deletes responses created before t.
	PurgeIdempotency(ctx context.Context, before time.Time) error

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is a store transaction. Its writes are visible to later reads in the
// same Tx and to everyone after commit.
type Tx interface {
	// Append journals a change and returns its index. Prev is filled in
	// from the subject's latest entry.
	Append(ctx context.Context, c *SealedChange) (int64, error)

	InsertParty(ctx context.Context, p *Party) error
	InsertUser(ctx context.Context, u *User, passwordHash string) error
	// UpdateUser writes u if the stored version is u.Version-1; EPRECONDITION otherwise.
	UpdateUser(ctx context.Context, u *User) error
	InsertToken(ctx context.Context, t *Token, hash []byte) error
	RevokeToken(ctx context.Context, id string, at time.Time, journalIndex int64) error

	Party(ctx context.Context, idOrSlug string) (*Party, error)
	User(ctx context.Context, idOrUsername string) (*User, error)
	Token(ctx context.Context, id string) (*Token, error)
}

// IdempotentResponse is the first response to a POST with an
// Idempotency-Key, replayed for retries of the same request.
type IdempotentResponse struct {
	Scope       string // who sent it (user id)
	Key         string
	RequestHash string
	Status      int
	Header      string // Content-Type and Location, as saved
	Body        []byte
	CreatedAt   time.Time
}
