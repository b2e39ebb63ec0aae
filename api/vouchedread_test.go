package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/sqlstore"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
)

// interleaving is the server's store, which runs a write of one record
// just before that record's journal entries are read: the moment a
// request's row and its entries were read apart.
type interleaving struct {
	*sqlstore.Store
	mu      sync.Mutex
	kind    string
	subject string
	write   func()
	wrote   int
}

// before runs the write waiting for kind and subject, once.
func (s *interleaving) before(kind string, subjects ...string) {
	s.mu.Lock()
	w := s.write
	if w == nil || kind != s.kind || !slices.Contains(subjects, s.subject) {
		s.mu.Unlock()
		return
	}
	s.write = nil
	s.wrote++
	s.mu.Unlock()
	w()
}

func (s *interleaving) SubjectJournal(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error) {
	s.before(kind, subject)
	return s.Store.SubjectJournal(ctx, kind, subject)
}

func (s *interleaving) SubjectsJournal(ctx context.Context, kind string, ids []string) (map[string][]*truce.JournalRecord, error) {
	s.before(kind, ids...)
	return s.Store.SubjectsJournal(ctx, kind, ids)
}

// TestVouchedReads_WriteBetweenRowAndEntries: a read of a record over the
// API meets a change of that record committed after its row was read and
// before its journal entries were. Read apart, the row was older than its
// newest entry and the check answered a false 500 "integrity", counted for
// /readyz. Read in one snapshot, the request answers 200 with the record
// as it was when read, and nothing is counted: for a zone, an agreement
// (one and the list), an alert and a party's list, on both stores.
func TestVouchedReads_WriteBetweenRowAndEntries(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			st := &interleaving{}
			cfg := node.Config{WrapStore: func(s node.Store) node.Store {
				switch s := s.(type) {
				case *sqlite.Store:
					st.Store = s.Store
				case *postgres.Store:
					st.Store = s.Store
				default:
					t.Fatalf("store %T", s)
				}
				return st
			}}
			if db == "postgres" {
				cfg.DB = pgtest.DSN(t)
			}
			e := newEnvWith(t, cfg)
			ag := e.agreement.ID
			cases := []struct {
				name, path, kind, subject string
				user, method, write, body string
				was                       func(b []byte) bool
			}{
				{"Agreement", "/api/v1/agreements/" + ag, "agreement", ag, "admin", "PATCH", "/api/v1/agreements/" + ag, `{"title":"Renamed"}`,
					func(b []byte) bool {
						var a truce.Agreement
						return json.Unmarshal(b, &a) == nil && a.Title == "Memorandum"
					}},
				{"Agreements", "/api/v1/agreements", "agreement", ag, "admin", "PATCH", "/api/v1/agreements/" + ag, `{"title":"Memorandum"}`,
					nil},
				{"Zone", "/api/v1/zones/" + e.zone.ID, "zone", e.zone.ID, "ru-op", "POST", "/api/v1/zones/" + e.zone.ID + "/versions/1/decision",
					`{"approve":false,"reason":"not agreed"}`, nil},
				{"Alert", "/api/v1/alerts/" + e.alert.ID, "alert", e.alert.ID, "us-op", "POST", "/api/v1/alerts/" + e.alert.ID + "/acknowledge", `{"note":"seen"}`,
					nil},
			}
			for _, c := range cases {
				st.mu.Lock()
				st.kind, st.subject, st.wrote = c.kind, c.subject, 0
				st.write = func() {
					token := e.admin
					if c.user != "admin" {
						token = e.tokens[c.user]
					}
					if status, _, b := e.do(c.method, c.write, token, c.body); status/100 != 2 {
						t.Errorf("%s: the write between: %d %s", c.name, status, b)
					}
				}
				st.mu.Unlock()
				status, h, b := e.do("GET", c.path, e.tokens["ru-viewer"], "")
				st.mu.Lock()
				wrote := st.wrote
				st.write = nil
				st.mu.Unlock()
				if wrote != 1 {
					t.Fatalf("%s: the write ran %d times between the row and its entries, want 1", c.name, wrote)
				}
				if status != 200 {
					t.Errorf("%s: read with a write between its row and entries: %d %s %s", c.name, status, problemCode(t, h, b), b)
				} else if c.was != nil && !c.was(b) {
					t.Errorf("%s: %s; want the record as it was when read", c.name, b)
				}
			}
			if n := e.node.Journal.Integrity.Mismatches.Load(); n != 0 {
				t.Errorf("%d integrity mismatches counted", n)
			}
		})
	}
}
