package operations

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
)

// Store is what operations reads and writes: operations and their
// conflicts, and the agreements and parties they name. internal/sqlstore
// implements it (its Operations view) and storetest checks it on both
// databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	// Operation returns an operation's latest version (ENOTFOUND).
	Operation(ctx context.Context, id string) (*Operation, error)
	// Operations calls fn with every operation, oldest first, until fn
	// returns an error (which it returns).
	Operations(ctx context.Context, fn func(*Operation) error) error
	// OperationsIn is Operations over the operations of one status only
	// (the monitor's active ones, re-read at every change of status),
	// so that the others are not read.
	OperationsIn(ctx context.Context, status Status, fn func(*Operation) error) error
	// Conflicts lists an operation's conflicts, oldest first.
	Conflicts(ctx context.Context, operationID string) ([]*Conflict, error)
	// OperationsAfter and ConflictsAfter return at most limit records
	// whose ids sort after after, in id order: a page of a pass over
	// them all (the self-check's).
	OperationsAfter(ctx context.Context, after string, limit int) ([]*Operation, error)
	ConflictsAfter(ctx context.Context, after string, limit int) ([]*Conflict, error)

	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
}

// Tx is the transaction operations writes in: the journal's, and the
// writes of its records.
type Tx interface {
	journal.Tx
	Operation(ctx context.Context, id string) (*Operation, error)
	// PutOperation stores a version of an operation: it inserts it at
	// Version 1, and otherwise replaces it if the stored version is
	// Version-1 (EPRECONDITION if not).
	PutOperation(ctx context.Context, o *Operation) error
	InsertConflict(ctx context.Context, c *Conflict) error
	// UpdateConflict replaces a conflict's document (its withdrawal).
	UpdateConflict(ctx context.Context, c *Conflict) error
	// Conflicts lists an operation's conflicts as the transaction sees
	// them, oldest first.
	Conflicts(ctx context.Context, operationID string) ([]*Conflict, error)
}

// Notified is what operations reads of humanitarian notification: the
// sites and movements an operation may conflict with. humanitarian.Store
// implements it.
type Notified interface {
	Sites(ctx context.Context, f humanitarian.SiteFilter) ([]*humanitarian.Site, error)
	Movements(ctx context.Context, f humanitarian.MovementFilter) ([]*humanitarian.Movement, error)
}
