package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/truce-project/truce"
)

// The self-check's state pass (journal.Journal.CheckState) checks each record's
// document against the journal. Queries select records by columns kept
// beside the document (in force, kind, status), so a column changed
// behind the server's back would hide a record from the engines as surely
// as an edited document would mislead them: CheckStateColumns checks that
// every such column says what its row's document says, and
// JournalSubjects lets the check find records whose rows were deleted.

// CheckStateColumns calls fn for every row of agreements, the aircraft
// registry, zones and zone_versions whose columns differ from its
// document, in one pass over each table.
func (s *Store) CheckStateColumns(ctx context.Context, fn func(record, problem string)) error {
	err := s.scanRows(ctx, `SELECT id, status, signatories, version, doc FROM agreements`, func(rows *sql.Rows) error {
		var id, status, sigs, doc string
		var version int64
		if err := rows.Scan(&id, &status, &sigs, &version, &doc); err != nil {
			return err
		}
		var a truce.Agreement
		if err := json.Unmarshal([]byte(doc), &a); err != nil || a.ID != id || string(a.Status) != status || strings.Join(a.Signatories, ",") != sigs || a.Version != version {
			fn("agreement "+id, fmt.Sprintf("Agreement %s: the stored columns differ from its document", id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, `SELECT id, party_id, removed, version, doc FROM aircraft`, func(rows *sql.Rows) error {
		var id, party, doc string
		var removed bool
		var version int64
		if err := rows.Scan(&id, &party, &removed, &version, &doc); err != nil {
			return err
		}
		var a truce.Aircraft
		if err := json.Unmarshal([]byte(doc), &a); err != nil || a.ID != id || a.PartyID != party || a.Removed != removed || a.Version != version {
			fn("aircraft "+id, fmt.Sprintf("Aircraft registry entry %s: the stored columns differ from its document", id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, `SELECT id, agreement_id, kind, state, version, doc FROM zones`, func(rows *sql.Rows) error {
		var id, ag, kind, state, doc string
		var version int64
		if err := rows.Scan(&id, &ag, &kind, &state, &version, &doc); err != nil {
			return err
		}
		var z truce.Zone
		if err := json.Unmarshal([]byte(doc), &z); err != nil || z.ID != id || z.AgreementID != ag || string(z.Kind) != kind || string(z.State) != state || z.Version != version {
			fn("zone "+id, fmt.Sprintf("Zone %s: the stored columns differ from its document", id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.checkControlColumns(ctx, fn); err != nil {
		return err
	}
	if err := s.checkOperationColumns(ctx, fn); err != nil {
		return err
	}
	return s.scanRows(ctx, `SELECT zone_id, version, action, status, in_force_from, in_force_until, min_lon, min_lat, max_lon, max_lat, doc FROM zone_versions`, func(rows *sql.Rows) error {
		var zoneID, action, status, doc string
		var version int
		var from, until sql.NullInt64
		var bbox truce.BBox
		if err := rows.Scan(&zoneID, &version, &action, &status, &from, &until, &bbox[0], &bbox[1], &bbox[2], &bbox[3], &doc); err != nil {
			return err
		}
		var v truce.ZoneVersion
		same := json.Unmarshal([]byte(doc), &v) == nil && v.ZoneID == zoneID && v.Version == version &&
			string(v.Action) == action && string(v.Status) == status && v.BBox == bbox &&
			sameMicros(v.InForceFrom == nil, from, func() int64 { return micros(*v.InForceFrom) }) &&
			sameMicros(v.InForceUntil == nil, until, func() int64 { return micros(*v.InForceUntil) })
		if !same {
			fn(fmt.Sprintf("zone %s version %d", zoneID, version), fmt.Sprintf("Zone %s version %d: the stored columns differ from its document", zoneID, version))
		}
		return nil
	})
}

func sameMicros(null bool, col sql.NullInt64, v func() int64) bool {
	if null || !col.Valid {
		return null == !col.Valid
	}
	return col.Int64 == v()
}

// JournalSubjects calls fn with every subject that has entries of kind.
func (s *Store) JournalSubjects(ctx context.Context, kind string, fn func(subject string) error) error {
	var subjects []string
	err := s.scanRows(ctx, s.rb.q(`SELECT DISTINCT subject FROM journal WHERE kind = ?`), func(rows *sql.Rows) error {
		var subject string
		if err := rows.Scan(&subject); err != nil {
			return err
		}
		subjects = append(subjects, subject)
		return nil
	}, kind)
	if err != nil {
		return err
	}
	// fn may query the store: call it after the rows are closed, so a
	// store with one connection is not deadlocked.
	for _, subject := range subjects {
		if err := fn(subject); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanRows(ctx context.Context, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := s.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return s.wrap(err)
		}
	}
	return s.wrap(rows.Err())
}

// ZoneVersionsOf returns the versions of the given zones, by zone, oldest
// first, in one query.
func (s *Store) ZoneVersionsOf(ctx context.Context, ids []string) (map[string][]*truce.ZoneVersion, error) {
	vs, err := docs[truce.ZoneVersion](ctx, s, s.reader(ctx), `SELECT doc FROM zone_versions WHERE zone_id IN (`+placeholders(len(ids))+`) ORDER BY zone_id, version`, anys(ids)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*truce.ZoneVersion, len(ids))
	for _, v := range vs {
		out[v.ZoneID] = append(out[v.ZoneID], v)
	}
	return out, nil
}

// SubjectsJournal returns the entries of the given subjects of one kind,
// by subject, oldest first, in one query.
func (s *Store) SubjectsJournal(ctx context.Context, kind string, ids []string) (map[string][]*truce.JournalRecord, error) {
	rs, err := s.records(ctx, `SELECT `+journalCols+` FROM journal WHERE kind = ? AND subject IN (`+placeholders(len(ids))+`) ORDER BY subject, idx`, append([]any{kind}, anys(ids)...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*truce.JournalRecord, len(ids))
	for _, r := range rs {
		out[r.Entry.Subject] = append(out[r.Entry.Subject], r)
	}
	return out, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ZonesOf returns the given zones by id, in one query.
func (s *Store) ZonesOf(ctx context.Context, ids []string) (map[string]*truce.Zone, error) {
	zs, err := docs[truce.Zone](ctx, s, s.reader(ctx), `SELECT doc FROM zones WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*truce.Zone, len(zs))
	for _, z := range zs {
		out[z.ID] = z
	}
	return out, nil
}
