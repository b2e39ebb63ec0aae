// tx.go holds tx, the truce.Tx handed to each call of Store.Update, and its
// primitives: deferred inserts, reads that flush them, and updates.

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/truce-project/truce"
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
	docs map[any]encodedDoc
	// once holds, by record (pointer), the rows inserted in this call
	// whose document may be left to their journal entry (putDocOnce);
	// sealing is the one Encoded last handed a document for such a row, to
	// the Append that follows it.
	once    map[any]*docOnce
	sealing *docOnce
}

// docOnce is a pending insert whose document the journal may hold
// instead: the row of subject, whose doc and doc_entry values are
// b.pendArgs[docSlot] and [entrySlot] while b.pendGen is gen (or, for a
// tail table's row, b.tailArgs while b.tailGen is gen).
type docOnce struct {
	kind, subject      string
	gen                int
	tail               bool
	docSlot, entrySlot int
}

// onceRow remembers the pending row of record as one whose document its
// journal entry may hold.
func (t *tx) onceRow(record any, d *docOnce) {
	if t.once == nil {
		t.once = map[any]*docOnce{}
	}
	t.once[record] = d
}

// sealed is told of an entry appended at idx: when its body was sealed
// from the document of a row still pending (Encoded handed it out just
// before, for the same kind and subject), the row is written without its
// document and with doc_entry idx.
func (t *tx) sealed(c *truce.SealedChange, idx int64) {
	d := t.sealing
	t.sealing = nil
	args, gen := t.b.pendArgs, t.b.pendGen
	if d != nil && d.tail {
		args, gen = t.b.tailArgs, t.b.tailGen
	}
	if d == nil || d.kind != c.Entry.Kind || d.subject != c.Entry.Subject || d.gen != gen {
		return
	}
	args[d.docSlot] = ""
	args[d.entrySlot] = idx
}

// encodedDoc is the JSON written for a record, and whether it is in RFC
// 8785 canonical form.
type encodedDoc struct {
	doc       []byte
	canonical bool
}

// canonicalEncoder is a record that writes its own canonical JSON
// (truce.Alert): its document is then encoded once, and sealed as it is.
type canonicalEncoder interface {
	AppendCanonicalJSON(b []byte) ([]byte, error)
}

// encodeDoc encodes a record's document: with its own canonical encoder
// when it has one, else with json.Marshal.
func encodeDoc(doc any) ([]byte, bool, error) {
	if c, ok := doc.(canonicalEncoder); ok {
		b, err := c.AppendCanonicalJSON(make([]byte, 0, 1024))
		return b, err == nil, err
	}
	b, err := json.Marshal(doc)
	return b, false, err
}

// encoded remembers doc, the JSON written for record.
func (t *tx) encoded(record any, doc []byte, canonical bool) {
	if reflect.ValueOf(record).Kind() != reflect.Pointer {
		return
	}
	if t.docs == nil {
		t.docs = map[any]encodedDoc{}
	}
	t.docs[record] = encodedDoc{doc, canonical}
}

// Encoded returns the JSON this call last wrote for record (a pointer),
// and whether it is canonical, so that the journal seals the change's
// body from the document as stored instead of encoding the record again.
func (t *tx) Encoded(record any) ([]byte, bool, bool) {
	if t.docs == nil || reflect.ValueOf(record).Kind() != reflect.Pointer {
		return nil, false, false
	}
	d, ok := t.docs[record]
	t.sealing = nil
	if ok {
		t.sealing = t.once[record]
	}
	return d.doc, d.canonical, ok
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

// stmt returns the transaction's statement for q, prepared once for the
// store: a read the writer makes in every call of a kind (an incident
// read by each observation that joins it) is not parsed again each time.
func (t *tx) stmt(q string) (*sql.Stmt, error) {
	st, err := t.s.prepared(t.ctx, q)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	return t.tx.StmtContext(t.ctx, st), nil
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
