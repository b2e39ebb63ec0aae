// store.go holds the Store itself: opening and closing, prepared
// statements, the translation of driver errors, and the scanning helpers
// the entity files share.

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// Store implements truce.Store over database/sql.
type Store struct {
	db *sql.DB
	d  Dialect
	rb *rebinder
	gc *groupCommitter
	hc hashCache

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
	// rowStmts are the multi-row inserts of batch.insertRows, also in stmts.
	rowStmts map[rowsKey]*sql.Stmt

	onEvents atomic.Pointer[func([]*events.Record)]

	pinger pinger
}

// prepared returns a statement prepared once for the store: parsing SQL
// costs more than running it on the write path.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, s.rb.q(q))
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st, nil
}

// Options tune a Store.
type Options struct {
	// MaxBatch is the most Update calls committed in one transaction
	// (group commit). 1 disables batching.
	MaxBatch int
}

// New returns a Store over an open, migrated database.
func New(db *sql.DB, d Dialect, opt Options) *Store {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	s := &Store{db: db, d: d, rb: &rebinder{dollar: d.Dollar}}
	s.gc = newGroupCommitter(s, opt.MaxBatch)
	return s
}

// DB returns the underlying database.
func (s *Store) DB() *sql.DB { return s.db }

// Close stops the committer and closes the database.
func (s *Store) Close() error {
	s.pinger.invalidate()
	s.gc.close()
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmtMu.Unlock()
	return s.db.Close()
}

// wrap converts a driver error into a truce error; unknown errors become
// opaque internal errors that still carry the cause for logs.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var te *truce.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled or timed out.")
	}
	if t := s.d.Translate(err); t != nil {
		if truce.ErrorCode(t) == truce.EUNAVAILABLE {
			s.pinger.invalidate()
		}
		return t
	}
	if lostConnection(err) {
		s.pinger.invalidate()
		return errUnavailable()
	}
	return fmt.Errorf("%s store: %s", s.d.Name, err.Error())
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// --- scanning helpers ---

// scanTime accepts what either driver returns for a timestamp column.
type scanTime struct {
	T     time.Time
	Valid bool
}

func (t *scanTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Valid = false
		return nil
	case time.Time:
		t.T, t.Valid = x.UTC(), true
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	case int64:
		t.T, t.Valid = time.Unix(0, x).UTC(), true
		return nil
	}
	return fmt.Errorf("cannot scan %T into a time", v)
}

func (t *scanTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			t.T, t.Valid = p.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

func (t *scanTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func notFound(what, id string) error {
	return truce.Errorf(truce.ENOTFOUND, "%s %q not found.", what, id)
}

func limit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}
