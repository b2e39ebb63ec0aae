// operations.go holds planned operations and their conflicts, and the
// Store's operations.Store view. Each is stored as its JSON body, as
// journalled, with the columns its reads select on.

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// Operations returns the store as operations sees it: its reads, and
// Update with the transaction as an operations.Tx.
func (s *Store) Operations() operations.Store { return operationsStore{s} }

type operationsStore struct{ *Store }

func (o operationsStore) Update(ctx context.Context, fn func(operations.Tx) error) error {
	return o.update(ctx, func(t *tx) error { return fn(t) })
}

func (s *Store) operation(ctx context.Context, q queryer, id string) (*operations.Operation, error) {
	v, err := scanDoc[operations.Operation](q.QueryRowContext(ctx, s.rb.q(`SELECT body FROM operations WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Operation", id)
	}
	return v, s.wrap(err)
}

func (o operationsStore) Operation(ctx context.Context, id string) (*operations.Operation, error) {
	return o.operation(ctx, o.reader(ctx), id)
}

func (o operationsStore) Operations(ctx context.Context, fn func(*operations.Operation) error) error {
	return o.scanOperations(ctx, fn, `SELECT body FROM operations ORDER BY id`)
}

func (o operationsStore) OperationsIn(ctx context.Context, status operations.Status, fn func(*operations.Operation) error) error {
	return o.scanOperations(ctx, fn, o.rb.q(`SELECT body FROM operations WHERE status = ? ORDER BY id`), string(status))
}

func (o operationsStore) scanOperations(ctx context.Context, fn func(*operations.Operation) error, query string, args ...any) error {
	rows, err := o.reader(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return o.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanDoc[operations.Operation](rows)
		if err != nil {
			return o.wrap(err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return o.wrap(rows.Err())
}

func (o operationsStore) Conflicts(ctx context.Context, operationID string) ([]*operations.Conflict, error) {
	if operationID == "" {
		return docs[operations.Conflict](ctx, o.Store, o.reader(ctx), `SELECT body FROM operation_conflicts ORDER BY id`)
	}
	return docs[operations.Conflict](ctx, o.Store, o.reader(ctx), `SELECT body FROM operation_conflicts WHERE operation_id = ? ORDER BY id`, operationID)
}

func (o operationsStore) OperationsAfter(ctx context.Context, after string, limit int) ([]*operations.Operation, error) {
	return docs[operations.Operation](ctx, o.Store, o.reader(ctx), `SELECT body FROM operations WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

func (o operationsStore) ConflictsAfter(ctx context.Context, after string, limit int) ([]*operations.Conflict, error) {
	return docs[operations.Conflict](ctx, o.Store, o.reader(ctx), `SELECT body FROM operation_conflicts WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

func (t *tx) Operation(_ context.Context, id string) (*operations.Operation, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.operation(t.ctx, t.tx, id)
}

func (t *tx) PutOperation(_ context.Context, o *operations.Operation) error {
	b, err := body(o)
	if err != nil {
		return err
	}
	if o.Revision == 1 {
		return t.insert(`INSERT INTO operations (id, agreement_id, party_id, status, body, revision, journal_index) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.AgreementID, o.PartyID, string(o.Status), b, o.Revision, o.JournalIndex)
	}
	return t.updateVersioned("Operation", `UPDATE operations SET status = ?, body = ?, revision = ?, journal_index = ? WHERE id = ? AND revision = ?`,
		string(o.Status), b, o.Revision, o.JournalIndex, o.ID, o.Revision-1)
}

func (t *tx) Conflicts(_ context.Context, operationID string) ([]*operations.Conflict, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return docs[operations.Conflict](t.ctx, t.s, t.tx, `SELECT body FROM operation_conflicts WHERE operation_id = ? ORDER BY id`, operationID)
}

func (t *tx) InsertConflict(_ context.Context, c *operations.Conflict) error {
	b, err := body(c)
	if err != nil {
		return err
	}
	return t.insert(`INSERT INTO operation_conflicts (id, operation_id, body, journal_index) VALUES (?, ?, ?, ?)`, c.ID, c.OperationID, b, c.JournalIndex)
}

func (t *tx) UpdateConflict(_ context.Context, c *operations.Conflict) error {
	b, err := body(c)
	if err != nil {
		return err
	}
	res, err := t.exec(`UPDATE operation_conflicts SET body = ?, journal_index = ? WHERE id = ? AND operation_id = ?`, b, c.JournalIndex, c.ID, c.OperationID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.ENOTFOUND, "Conflict %q not found.", c.ID)
	}
	return nil
}

// checkOperationColumns calls fn for every operation and conflict row
// whose columns (what the queries select on: an operation's agreement,
// party and status, a conflict's operation) differ from its document:
// part of CheckStateColumns.
func (s *Store) checkOperationColumns(ctx context.Context, fn func(record, problem string)) error {
	err := s.scanRows(ctx, `SELECT id, agreement_id, party_id, status, revision, journal_index, body FROM operations`, func(rows *sql.Rows) error {
		var id, ag, party, status, doc string
		var revision, idx int64
		if err := rows.Scan(&id, &ag, &party, &status, &revision, &idx, &doc); err != nil {
			return err
		}
		var o operations.Operation
		if json.Unmarshal([]byte(doc), &o) != nil || o.ID != id || o.AgreementID != ag || o.PartyID != party || string(o.Status) != status || o.Revision != revision || o.JournalIndex != idx {
			fn(operations.KindOperation+" "+id, fmt.Sprintf("Operation %s: the stored columns differ from its document", id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.scanRows(ctx, `SELECT id, operation_id, journal_index, body FROM operation_conflicts`, func(rows *sql.Rows) error {
		var id, op, doc string
		var idx int64
		if err := rows.Scan(&id, &op, &idx, &doc); err != nil {
			return err
		}
		var c operations.Conflict
		if json.Unmarshal([]byte(doc), &c) != nil || c.ID != id || c.OperationID != op || c.JournalIndex != idx {
			fn(operations.KindConflict+" "+id, fmt.Sprintf("Operation conflict %s: the stored columns differ from its document", id))
		}
		return nil
	})
}
