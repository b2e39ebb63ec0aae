package truce

import (
	"context"
	"time"
)

// Store is the persistence contract that the sqlite and postgres packages
// implement and storetest checks. It is lower level than the services: it
// does no authorisation. Every state change goes through Update, whose Tx
// refuses to commit a change that was not journalled. It holds what the
// server shares (the journal, idempotency, leases); every capability
// declares its store in its own package (accounts.Store, zones.Store,
// airspace.Store, ...), and the SQL stores implement those too.
type Store interface {
	// Update runs fn in one database transaction. If fn changed state
	// without appending a journal entry, Update rolls back and returns an
	// EINTERNAL error. Journal appends are serialised, so indexes are
	// gap-free from 0.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// JournalSize returns the number of journal entries.
	JournalSize(ctx context.Context) (int64, error)
	// Journal returns entries [start, end) with bodies and salts.
	Journal(ctx context.Context, start, end int64) ([]*JournalRecord, error)
	// SubjectJournal returns every entry of one record, oldest first.
	SubjectJournal(ctx context.Context, kind, subject string) ([]*JournalRecord, error)

	// Idempotency returns the saved response for a key, or ENOTFOUND.
	Idempotency(ctx context.Context, scope, key string) (*IdempotentResponse, error)
	// PutIdempotency saves a response: a new key, or one a write claimed
	// (Status 0), keeping its JournalIndex; ECONFLICT if a response is
	// already saved for the key.
	PutIdempotency(ctx context.Context, r *IdempotentResponse) error
	// PurgeIdempotency deletes responses created before t.
	PurgeIdempotency(ctx context.Context, before time.Time) error

	// AcquireLease takes or renews the named lease for holder until
	// until, if it is free, expired at now, or already holder's; it
	// reports whether holder holds it. Servers sharing a database use a
	// lease for work only one of them may do. Leases are operational
	// state, not records: they are not journalled.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease gives up holder's lease, if it holds it.
	ReleaseLease(ctx context.Context, name, holder string) error

	// Ping checks the database is reachable and can be written (EUNAVAILABLE
	// if not); a success may be cached for a second.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is a store transaction. Its writes are visible to later reads in the
// same Tx and to everyone after commit.
type Tx interface {
	// Append journals a change and returns its index. Prev is filled in
	// from the subject's latest entry.
	Append(ctx context.Context, c *SealedChange) (int64, error)
	// Publish logs an event for live delivery (streams, webhooks) in the
	// same transaction as the change it reports, so a committed change
	// always has its event and a rolled-back one never does. Its Data is
	// encoded when the transaction commits, so it may still be filled in
	// by the rest of the transaction. The event's id is set on commit.
	Publish(ctx context.Context, e *Event) error
	// Claim records, in the write's transaction, that the write is the
	// one made for the request's Idempotency-Key (at journal index idx);
	// ECONFLICT if the key is already claimed or answered.
	Claim(ctx context.Context, c *IdempotencyClaim, idx int64) error
}

// IdempotentResponse is the first response to a POST with an
// Idempotency-Key, replayed for retries of the same request. A write made
// by such a request claims the key in its own transaction (Tx.Claim), with
// Status 0 until the response is saved: a key whose write committed is
// never written again, even if the response was lost.
type IdempotentResponse struct {
	Scope       string // who sent it (user id)
	Key         string
	RequestHash string
	Status      int    // 0: claimed by a committed write, response not saved
	Header      string // Content-Type and Location, as saved
	Body        []byte
	CreatedAt   time.Time
	// JournalIndex is the entry of the write that claimed the key, if any.
	JournalIndex *int64
}

// IdempotencyClaim is the Idempotency-Key of the request making a write;
// the API puts it in the request's context (WithIdempotency) and the write
// claims it in its transaction.
type IdempotencyClaim struct {
	Scope, Key, RequestHash string
	// Claimed is set once a committed write has claimed the key; later
	// writes of the same request do not claim it again.
	Claimed bool
}

type idempotencyKey struct{}

// WithIdempotency returns ctx carrying a request's idempotency claim.
func WithIdempotency(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, c)
}

// IdempotencyFrom returns the claim in ctx, or nil.
func IdempotencyFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(idempotencyKey{}).(*IdempotencyClaim)
	return c
}
