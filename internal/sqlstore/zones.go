package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/zones"
)

// ZoneStore returns the store as package zones sees it: its reads, and Update with
// the transaction as a zones.Tx.
func (s *Store) ZoneStore() zones.Store { return zonesStore{s} }

type zonesStore struct{ *Store }

func (z zonesStore) Update(ctx context.Context, fn func(zones.Tx) error) error {
	return z.update(ctx, func(t *tx) error { return fn(t) })
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func scanDoc[T any](row interface{ Scan(...any) error }) (*T, error) {
	var doc string
	if err := row.Scan(&doc); err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, err
	}
	return v, nil
}

func docs[T any](ctx context.Context, s *Store, q queryer, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, s.rb.q(query), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scanDoc[T](rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

func one[T any](s *Store, v *T, err error, what, id string) (*T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(what, id)
	}
	return v, s.wrap(err)
}

// --- agreements ---

func (s *Store) agreement(ctx context.Context, q queryer, id string) (*truce.Agreement, error) {
	v, err := scanDoc[truce.Agreement](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM agreements WHERE id = ?`), id))
	return one(s, v, err, "Agreement", id)
}

// Agreement returns an agreement.
func (s *Store) Agreement(ctx context.Context, id string) (*truce.Agreement, error) {
	return s.agreement(ctx, s.reader(ctx), id)
}

// Agreements lists agreements ordered by id.
func (s *Store) Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Party != "" {
		where, args = append(where, "signatories LIKE ?"), append(args, "%"+f.Party+"%")
	}
	return docs[truce.Agreement](ctx, s, s.reader(ctx), `SELECT doc FROM agreements WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
}

// PutAgreement inserts (Version 1) or updates (if the stored version is
// Version-1) an agreement.
func (t *tx) PutAgreement(_ context.Context, a *truce.Agreement) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if a.Version == 1 {
		return t.insert(`INSERT INTO agreements (id, status, signatories, doc, version) VALUES (?, ?, ?, ?, ?)`,
			a.ID, string(a.Status), strings.Join(a.Signatories, ","), string(doc), a.Version)
	}
	res, err := t.exec(`UPDATE agreements SET status = ?, signatories = ?, doc = ?, version = ? WHERE id = ? AND version = ?`,
		string(a.Status), strings.Join(a.Signatories, ","), string(doc), a.Version, a.ID, a.Version-1)
	return checkOne(res, err, "Agreement", a.ID)
}

func checkOne(res sql.Result, err error, what, id string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.EPRECONDITION, "%s %q was changed by someone else; reload and retry.", what, id)
	}
	return nil
}

func (t *tx) Agreement(_ context.Context, id string) (*truce.Agreement, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.agreement(t.ctx, t.tx, id)
}

// --- zones ---

func (s *Store) zone(ctx context.Context, q queryer, id string) (*truce.Zone, error) {
	v, err := scanDoc[truce.Zone](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM zones WHERE id = ?`), id))
	return one(s, v, err, "Zone", id)
}

// Zone returns a zone.
func (s *Store) Zone(ctx context.Context, id string) (*truce.Zone, error) {
	return s.zone(ctx, s.reader(ctx), id)
}

// Zones lists zones ordered by id.
func (s *Store) Zones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Agreement != "" {
		where, args = append(where, "agreement_id = ?"), append(args, f.Agreement)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.Pending {
		where, args = append(where, "id IN (SELECT zone_id FROM zone_versions WHERE status = ?)"), append(args, string(truce.VersionProposed))
	}
	return docs[truce.Zone](ctx, s, s.reader(ctx), `SELECT doc FROM zones WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
}

// ZoneVersions returns a zone's versions, oldest first.
func (s *Store) ZoneVersions(ctx context.Context, zoneID string) ([]*truce.ZoneVersion, error) {
	return docs[truce.ZoneVersion](ctx, s, s.reader(ctx), `SELECT doc FROM zone_versions WHERE zone_id = ? ORDER BY version`, zoneID)
}

// ZoneVersionsInForce returns the approved versions whose in-force
// interval contains t.
func (s *Store) ZoneVersionsInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	return docs[truce.ZoneVersion](ctx, s, s.reader(ctx), `SELECT doc FROM zone_versions WHERE action IN ('propose', 'change') AND in_force_from <= ? AND (in_force_until IS NULL OR in_force_until > ?) ORDER BY zone_id`, micros(t), micros(t))
}

// ZoneVersionsInForceAfter returns the approved versions in force at some
// time at or after t: what the live zone index holds.
func (s *Store) ZoneVersionsInForceAfter(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	return docs[truce.ZoneVersion](ctx, s, s.reader(ctx), `SELECT doc FROM zone_versions WHERE action IN ('propose', 'change') AND in_force_from IS NOT NULL AND (in_force_until IS NULL OR in_force_until > ?) ORDER BY zone_id`, micros(t))
}

// PutZone inserts (Version 1) or updates a zone.
func (t *tx) PutZone(_ context.Context, z *truce.Zone) error {
	doc, err := json.Marshal(z)
	if err != nil {
		return err
	}
	if z.Version == 1 {
		return t.insert(`INSERT INTO zones (id, agreement_id, kind, state, doc, version) VALUES (?, ?, ?, ?, ?, ?)`,
			z.ID, z.AgreementID, string(z.Kind), string(z.State), string(doc), z.Version)
	}
	res, err := t.exec(`UPDATE zones SET kind = ?, state = ?, doc = ?, version = ? WHERE id = ? AND version = ?`,
		string(z.Kind), string(z.State), string(doc), z.Version, z.ID, z.Version-1)
	return checkOne(res, err, "Zone", z.ID)
}

// PutZoneVersion inserts or replaces a zone version.
func (t *tx) PutZoneVersion(_ context.Context, v *truce.ZoneVersion) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	args := []any{string(v.Action), string(v.Status), nullMicros(v.InForceFrom), nullMicros(v.InForceUntil), v.BBox[0], v.BBox[1], v.BBox[2], v.BBox[3], string(doc), v.ZoneID, v.Version}
	res, err := t.exec(`UPDATE zone_versions SET action = ?, status = ?, in_force_from = ?, in_force_until = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?, doc = ? WHERE zone_id = ? AND version = ?`, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	_, err = t.exec(`INSERT INTO zone_versions (action, status, in_force_from, in_force_until, min_lon, min_lat, max_lon, max_lat, doc, zone_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return err
}

func (t *tx) Zone(_ context.Context, id string) (*truce.Zone, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.zone(t.ctx, t.tx, id)
}

func (t *tx) ZoneVersion(_ context.Context, zoneID string, version int) (*truce.ZoneVersion, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.zoneVersion(t.ctx, t.tx, zoneID, version)
}

// ZoneVersion returns one version of a zone.
func (s *Store) ZoneVersion(ctx context.Context, zoneID string, version int) (*truce.ZoneVersion, error) {
	return s.zoneVersion(ctx, s.reader(ctx), zoneID, version)
}

func (s *Store) zoneVersion(ctx context.Context, q queryer, zoneID string, version int) (*truce.ZoneVersion, error) {
	v, err := scanDoc[truce.ZoneVersion](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM zone_versions WHERE zone_id = ? AND version = ?`), zoneID, version))
	return one(s, v, err, "Zone version", zoneID)
}
