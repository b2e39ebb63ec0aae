// tx.go holds tx, the truce.Tx handed to each call of Store.Update, and its
// primitives: deferred inserts, reads that flush them, and updates.

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
)

// tx implements truce.Tx and each capability's Tx (see Store.update).
// Its methods use the batch's context, not the caller's: cancelling one
// caller must not abort a transaction it shares.
type tx struct {
	s         *Store
	tx        *sql.Tx
	ctx       context.Context
	b         *batch
	dirty     bool
	journaled bool
	// docs holds the JSON written for each record (by pointer) in this
	// call, for Encoded.
	docs map[any][]byte
}

// encoded remembers doc, the JSON written for record.
func (t *tx) encoded(record any, doc []byte) {
	if reflect.ValueOf(record).Kind() != reflect.Pointer {
		return
	}
	if t.docs == nil {
		t.docs = map[any][]byte{}
	}
	t.docs[record] = doc
}

// Encoded returns the JSON this call last wrote for record (a pointer),
// so that the journal seals the change's body from the document as
// stored instead of encoding the record again.
func (t *tx) Encoded(record any) ([]byte, bool) {
	if t.docs == nil || reflect.ValueOf(record).Kind() != reflect.Pointer {
		return nil, false
	}
	doc, ok := t.docs[record]
	return doc, ok
}

func (t *tx) run(fn func(*tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in transaction: %v", p)
		}
	}()
	return fn(t)
}

// insert defers an INSERT of a new row (see batch.deferInsert).
func (t *tx) insert(q string, args ...any) error {
	t.dirty = true
	return t.b.deferInsert(t.ctx, q, args)
}

// read flushes deferred inserts before a read in the transaction.
func (t *tx) read() error { return t.b.flushPending(t.ctx) }

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	t.dirty = true
	if err := t.read(); err != nil {
		return nil, err
	}
	stmt, err := t.s.prepared(t.ctx, q)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	res, err := t.tx.StmtContext(t.ctx, stmt).ExecContext(t.ctx, args...)
	return res, t.s.wrap(err)
}
