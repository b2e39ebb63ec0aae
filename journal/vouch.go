package journal

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// The log vouches for state (DESIGN.md, "Security model"): a record the
// engines or the API use is checked against the journal entries of its
// subject. Each entry's body is the record as stored (Write stores the
// record with its entry's index before sealing), so the state a subject's
// entries describe, replayed oldest first, is what the rows must hold.
// Each entry is checked on the way: its leaf against the Merkle tree's
// stored leaf hash, its columns against its leaf, and its body and salt
// against the leaf's body_hash. A row that differs was changed behind the
// server's back: it is refused (the engines use the journalled state
// instead, the API answers EINTEGRITY), logged, counted, and reported by
// /readyz until it matches again.
//
// This file holds what is the same for every kind of record; replaying a
// kind whose state is more than its latest entry's body (a zone and its
// versions) is its capability's.

// Integrity collects the records found not to match the journal.
type Integrity struct {
	// Mismatches counts every refusal (a record found changed, each time
	// it is found).
	Mismatches atomic.Uint64

	mu       sync.Mutex
	problems map[string]string // record key -> what is wrong
	// seen holds the encoding's hash of each record read on every request
	// (the caller's token, user and party) when it last matched the
	// journal: until its row changes, it is not read from the journal
	// again.
	seen sync.Map
}

// report records that the record known by key does not match the journal.
func (g *Integrity) report(log *slog.Logger, key, problem string) {
	g.Mismatches.Add(1)
	g.mu.Lock()
	_, known := g.problems[key]
	if g.problems == nil {
		g.problems = map[string]string{}
	}
	g.problems[key] = problem
	g.mu.Unlock()
	if !known && log != nil {
		log.Error("integrity: a stored record does not match the journal; refused", "record", key, "problem", problem)
	}
}

// Clear forgets the problem of the record known by key ("kind id"), which
// matches its journal again.
func (g *Integrity) Clear(key string) {
	g.mu.Lock()
	delete(g.problems, key)
	g.mu.Unlock()
}

// Problems lists the records that do not match the journal, for /readyz.
func (g *Integrity) Problems() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.problems))
	for _, p := range g.problems {
		out = append(out, "integrity: "+p)
	}
	slices.Sort(out)
	return out
}

// Refuse reports that the record known by key ("kind id") does not match
// the journal, and returns the error the API answers (EINTEGRITY).
func (j *Journal) Refuse(key, problem string) error {
	j.Integrity.report(j.Log, key, problem)
	return truce.Errorf(truce.EINTEGRITY, "%s. The stored record was changed outside Truce; it is not served. Tell the operator.", problem)
}

// SubjectEntries returns a subject's entries, each checked against its
// leaf and the tree: the entries whose bodies are the subject's history.
func (j *Journal) SubjectEntries(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error) {
	rs, err := j.Entries.SubjectJournal(ctx, kind, subject)
	if err != nil {
		return nil, err
	}
	if err := j.CheckEntries(ctx, rs, false); err != nil {
		return nil, err
	}
	return rs, nil
}

// CheckEntries checks journal records as stored: each leaf is the tree's
// (when the journal has the log), the columns say what the leaf says, and
// the body and salt hash to the leaf's body_hash. A record whose body is
// redacted is checked all the same: the check runs before redaction.
// Columns that differ from the leaf are refused when strict (the entry is
// served as it is stored); otherwise they are reported and replaced by
// the leaf's (the engines need only the leaf and the body).
func (j *Journal) CheckEntries(ctx context.Context, rs []*truce.JournalRecord, strict bool) error {
	if j.Ledger != nil && len(rs) > 0 {
		idx := make([]int64, len(rs))
		for i, r := range rs {
			idx[i] = tlog.StoredHashIndex(0, r.Index)
		}
		hs, err := j.Ledger.ReadHashes(ctx, idx)
		if err != nil && !errors.Is(err, ledger.ErrNotFound) {
			return err // out of reach (the store says so), not changed
		}
		if err != nil {
			return j.Refuse(fmt.Sprintf("journal entry %d", rs[0].Index), fmt.Sprintf("Journal entries from %d: the Merkle tree's leaf hashes cannot be read", rs[0].Index))
		}
		for i, r := range rs {
			if tlog.RecordHash(r.Leaf) != hs[i] {
				return j.Refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d does not match the Merkle tree", r.Index))
			}
		}
	}
	for _, r := range rs {
		var e truce.Entry
		if err := json.Unmarshal(r.Leaf, &e); err != nil {
			return j.Refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d has an unreadable leaf", r.Index))
		}
		if !sameEntry(e, r.Entry) {
			err := j.Refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d: the stored columns differ from the entry's leaf", r.Index))
			if strict {
				return err
			}
			r.Entry = e
		}
		if truce.BodyHash(r.Salt, r.Body) != e.BodyHash {
			return j.Refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d: the stored body does not hash to the entry's body_hash", r.Index))
		}
	}
	return nil
}

func sameEntry(a, b truce.Entry) bool {
	return a.Kind == b.Kind && a.Subject == b.Subject && a.Party == b.Party && a.User == b.User && a.Time.Equal(b.Time) &&
		a.BodyHash == b.BodyHash && (a.Prev == nil) == (b.Prev == nil) && (a.Prev == nil || *a.Prev == *b.Prev)
}

// Canonical returns the RFC 8785 form of v's JSON, so that a record read
// from its row and one read from a body compare equal when they hold the
// same values.
func Canonical(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	c, err := truce.AppendCanonical(nil, b)
	if err != nil {
		return nil
	}
	return c
}

// Same reports whether two records of one type hold the same values. Both
// are encoded from the same Go type, so equal encodings are the common,
// cheap case; otherwise their RFC 8785 forms decide (a body's embedded
// GeoJSON was canonicalised when sealed, a row's was not).
func Same(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	if string(ja) == string(jb) {
		return true
	}
	ca, cb := Canonical(a), Canonical(b)
	return ca != nil && string(ca) == string(cb)
}

// EntryIndex sets a record's journal index (its JournalIndex field, if it
// has one) to its latest entry's: what the write path set after sealing
// when a legacy body held the previous one, and what a body written since
// holds already.
func EntryIndex(record any, idx int64) {
	f := reflect.ValueOf(record).Elem().FieldByName("JournalIndex")
	if f.IsValid() && f.CanSet() && f.Kind() == reflect.Int64 {
		f.SetInt(idx)
	}
}

// bulkReader is implemented by the SQL stores (internal/sqlstore/vouch.go):
// a page of subjects' entries in one query.
type bulkReader interface {
	SubjectsJournal(ctx context.Context, kind string, ids []string) (map[string][]*truce.JournalRecord, error)
}

// VouchRecords checks records of one kind, read from their rows, against
// their subjects' latest journal entries (whose bodies are the records as
// stored). It returns the records as the journal holds them (leaving out
// those whose journal fails its checks), the EINTEGRITY error of the
// first that did not match (each is reported), and the store's error.
// A page of records costs one query when the store can.
func VouchRecords[T any](ctx context.Context, j *Journal, kind string, rows []*T, idOf func(*T) string) ([]*T, error, error) {
	out := make([]*T, 0, len(rows))
	var first error
	for start := 0; start < len(rows); start += 1000 {
		page := rows[start:min(start+1000, len(rows))]
		var es map[string][]*truce.JournalRecord
		if b, ok := j.Entries.(bulkReader); ok {
			ids := make([]string, len(page))
			for i, r := range page {
				ids[i] = idOf(r)
			}
			var err error
			if es, err = b.SubjectsJournal(ctx, kind, ids); err != nil {
				return nil, nil, err
			}
			var all []*truce.JournalRecord
			for _, rs := range es {
				all = append(all, rs...)
			}
			if err := j.CheckEntries(ctx, all, false); truce.ErrorCode(err) == truce.EINTEGRITY {
				es = nil // read each on its own to name the one at fault
			} else if err != nil {
				return nil, nil, err
			}
		}
		for _, r := range page {
			id := idOf(r)
			key := kind + " " + id
			rs, ok := es[id]
			if es == nil || !ok {
				var err error
				if rs, err = j.SubjectEntries(ctx, kind, id); truce.ErrorCode(err) == truce.EINTEGRITY {
					first = cmp.Or(first, err)
					continue
				} else if err != nil {
					return nil, nil, err
				}
			}
			jr := new(T)
			if len(rs) == 0 || json.Unmarshal(rs[len(rs)-1].Body, jr) != nil || idOf(jr) != id {
				first = cmp.Or(first, j.Refuse(key, fmt.Sprintf("The %s record %s has no journal entry holding it", kind, id)))
				continue
			}
			EntryIndex(jr, rs[len(rs)-1].Index)
			if !Same(r, jr) {
				first = cmp.Or(first, j.Refuse(key, fmt.Sprintf("The %s record %s does not match its journal entry %d", kind, id, rs[len(rs)-1].Index)))
			} else {
				j.Integrity.Clear(key)
			}
			out = append(out, jr)
		}
	}
	return out, first, nil
}

// VouchPages reads every row of a kind a page of size at a time (read is
// given the id of the previous page's last row, "" first) and returns
// those that match their journal entries (VouchRecords: the others are
// left out and reported). Called inside Snapshot, the pages and their
// entries are one read.
func VouchPages[T any](ctx context.Context, j *Journal, kind string, size int, read func(ctx context.Context, cursor string) ([]*T, error), idOf func(*T) string) ([]*T, error) {
	var out []*T
	for cursor := ""; ; {
		page, err := read(ctx, cursor)
		if err != nil {
			return nil, err
		}
		ok, _, err := VouchRecords(ctx, j, kind, page, idOf)
		if err != nil {
			return nil, err
		}
		out = append(out, ok...)
		if len(page) < size {
			return out, nil
		}
		cursor = idOf(page[len(page)-1])
	}
}

// Vouched returns rows checked against the journal for the API: the rows
// themselves, or EINTEGRITY if one does not match.
func Vouched[T any](ctx context.Context, j *Journal, kind string, rows []*T, idOf func(*T) string) ([]*T, error) {
	_, first, err := VouchRecords(ctx, j, kind, rows, idOf)
	if err != nil {
		return nil, err
	}
	if first != nil {
		return nil, first
	}
	return rows, nil
}

// snapshotter is implemented by the SQL stores (internal/sqlstore/snapshot.go):
// reads made with the context fn is given see one snapshot of the database.
type snapshotter interface {
	Snapshot(ctx context.Context, fn func(ctx context.Context) error) error
}

// Snapshot runs fn with a context in which reads of the journal's store
// (rows and journal entries alike) see one snapshot of the database, when
// the store can give one. A record read from its row is checked against
// its entries, read by another query: read apart, a write committing
// between the two leaves the row older than its newest entry, and the
// check would call a record only read early changed outside Truce (a false
// EINTEGRITY, counted and listed by /readyz). In one snapshot the row and
// its entries are of the same commits, so a row that differs was changed.
// fn only reads: a write inside it could wait for the connection the
// snapshot holds.
func (j *Journal) Snapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if s, ok := j.Entries.(snapshotter); ok {
		return s.Snapshot(ctx, fn)
	}
	return fn(ctx)
}

// Read returns what fn reads, and checks against the journal, in one
// snapshot (Journal.Snapshot): every capability's read of a vouched record
// goes through it.
func Read[T any](ctx context.Context, j *Journal, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := j.Snapshot(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	return out, err
}

// VouchedRead reads rows with read and checks them against the journal
// for the API, as Vouched does, in one snapshot (Journal.Snapshot): a row
// read just before a write committed its next version is checked against
// the entries of its own time, not the new one's.
func VouchedRead[T any](ctx context.Context, j *Journal, kind string, read func(ctx context.Context) ([]*T, error), idOf func(*T) string) ([]*T, error) {
	return Read(ctx, j, func(ctx context.Context) ([]*T, error) {
		rows, err := read(ctx)
		if err != nil {
			return nil, err
		}
		return Vouched(ctx, j, kind, rows, idOf)
	})
}

// VouchedFind is VouchedRead for one record: read returns it, and it is
// checked against the journal in the same snapshot.
func VouchedFind[T any](ctx context.Context, j *Journal, kind string, read func(ctx context.Context) (*T, error), idOf func(*T) string) (*T, error) {
	return Read(ctx, j, func(ctx context.Context) (*T, error) {
		r, err := read(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := Vouched(ctx, j, kind, []*T{r}, idOf); err != nil {
			return nil, err
		}
		return r, nil
	})
}

// EntriesPage reads the entries of a page of records of one kind in one
// query, and checks them all at once, for the self-check. When the store
// cannot, or an entry fails its checks (so that the record at fault is
// found by reading each on its own), bulk is false.
func (j *Journal) EntriesPage(ctx context.Context, kind string, ids []string) (entries map[string][]*truce.JournalRecord, bulk bool, err error) {
	b, ok := j.Entries.(bulkReader)
	if !ok || len(ids) == 0 {
		return nil, false, nil
	}
	if entries, err = b.SubjectsJournal(ctx, kind, ids); err != nil {
		return nil, false, err
	}
	var all []*truce.JournalRecord
	for _, rs := range entries {
		all = append(all, rs...)
	}
	if err := j.CheckEntries(ctx, all, false); truce.ErrorCode(err) == truce.EINTEGRITY {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return entries, true, nil
}

// VouchOne checks one record read from its row against its subject's
// latest journal entry, remembering a match until the row changes (a
// write forgets it): the records read on every request (the caller's
// token, user and party) are not read from the journal again while they
// stay as they were. norm, when set, evens out encodings that differ
// without differing in value (a nil and an empty list).
func VouchOne[T any](ctx context.Context, j *Journal, kind, id string, row *T, norm func(*T)) error {
	enc, err := json.Marshal(row)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(enc)
	key := kind + " " + id
	if v, ok := j.Integrity.seen.Load(key); ok && v.([32]byte) == sum {
		return nil
	}
	rs, err := j.SubjectEntries(ctx, kind, id)
	if err != nil {
		return err
	}
	jr := new(T)
	if len(rs) == 0 || json.Unmarshal(rs[len(rs)-1].Body, jr) != nil {
		return j.Refuse(key, fmt.Sprintf("The %s record %s has no journal entry holding it", kind, id))
	}
	EntryIndex(jr, rs[len(rs)-1].Index)
	a, b := *row, *jr
	if norm != nil {
		norm(&a)
		norm(&b)
	}
	if !Same(&a, &b) {
		return j.Refuse(key, fmt.Sprintf("The %s record %s does not match its journal entry %d", kind, id, rs[len(rs)-1].Index))
	}
	j.Integrity.Clear(key)
	j.Integrity.seen.Store(key, sum)
	return nil
}

// Doc is a record's row as stored: its subject and its JSON document.
type Doc struct {
	ID   string
	JSON []byte
}

// VouchDocs is VouchRecords for rows read as their documents, for a load
// of many records (a server reading 100,000 control areas at start): a
// row whose document is, in RFC 8785 form, its latest entry's body (which
// is the record as stored) matches it without being decoded, so each
// record is decoded once, from the journal, and encoded not at all. A row
// that differs is decoded and compared as VouchRecords does (a legacy
// body that holds its previous entry's index still matches); one that
// does not match is reported, and the journal's record returned instead.
// A page of entries is read in one query (EntriesPage) when the store can.
func VouchDocs[T any](ctx context.Context, j *Journal, kind string, docs []Doc, idOf func(*T) string) ([]*T, error, error) {
	out := make([]*T, 0, len(docs))
	var first error
	var canon []byte
	for start := 0; start < len(docs); start += 1000 {
		page := docs[start:min(start+1000, len(docs))]
		ids := make([]string, len(page))
		for i, d := range page {
			ids[i] = d.ID
		}
		es, bulk, err := j.EntriesPage(ctx, kind, ids)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range page {
			key := kind + " " + d.ID
			rs := es[d.ID]
			if !bulk {
				if rs, err = j.SubjectEntries(ctx, kind, d.ID); truce.ErrorCode(err) == truce.EINTEGRITY {
					first = cmp.Or(first, err)
					continue
				} else if err != nil {
					return nil, nil, err
				}
			}
			jr := new(T)
			if len(rs) == 0 || json.Unmarshal(rs[len(rs)-1].Body, jr) != nil || idOf(jr) != d.ID {
				first = cmp.Or(first, j.Refuse(key, fmt.Sprintf("The %s record %s has no journal entry holding it", kind, d.ID)))
				continue
			}
			last := rs[len(rs)-1]
			EntryIndex(jr, last.Index)
			same := bytes.Equal(d.JSON, last.Body)
			if !same {
				// A row written before rows were stored in RFC 8785 form.
				canon, err = truce.AppendCanonical(canon[:0], d.JSON)
				same = err == nil && bytes.Equal(canon, last.Body)
			}
			if !same {
				r := new(T)
				same = json.Unmarshal(d.JSON, r) == nil && Same(r, jr)
			}
			if !same {
				first = cmp.Or(first, j.Refuse(key, fmt.Sprintf("The %s record %s does not match its journal entry %d", kind, d.ID, last.Index)))
			} else {
				j.Integrity.Clear(key)
			}
			out = append(out, jr)
		}
	}
	return out, first, nil
}
