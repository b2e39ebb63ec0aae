// humanitarian.go holds sites, their versions and their transmissions, and
// the Store's humanitarian.Store view.

package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/truce-project/truce/humanitarian"
)

// Humanitarian returns the store as humanitarian sees it: its reads, and
// Update with the transaction as a humanitarian.Tx.
func (s *Store) Humanitarian() humanitarian.Store { return humanitarianStore{s} }

type humanitarianStore struct{ *Store }

func (h humanitarianStore) Update(ctx context.Context, fn func(humanitarian.Tx) error) error {
	return h.update(ctx, func(t *tx) error { return fn(t) })
}

func (s *Store) site(ctx context.Context, q queryer, id string) (*humanitarian.Site, error) {
	v, err := scanDoc[humanitarian.Site](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM sites WHERE id = ?`), id))
	return one(s, v, err, "Site", id)
}

// Site returns a site's latest version.
func (s *Store) Site(ctx context.Context, id string) (*humanitarian.Site, error) {
	return s.site(ctx, s.reader(ctx), id)
}

// RecordVersion returns one version of a site.
func (s *Store) SiteVersion(ctx context.Context, id string, version int64) (*humanitarian.Site, error) {
	v, err := scanDoc[humanitarian.Site](s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT doc FROM site_versions WHERE site_id = ? AND version = ?`), id, version))
	return one(s, v, err, "Site version", id)
}

// SiteVersions returns every version of a site, oldest first (ENOTFOUND
// when there is no such site).
func (s *Store) SiteVersions(ctx context.Context, id string) ([]*humanitarian.Site, error) {
	out, err := docs[humanitarian.Site](ctx, s, s.reader(ctx), `SELECT doc FROM site_versions WHERE site_id = ? ORDER BY version`, id)
	if err == nil && len(out) == 0 {
		return nil, notFound("Site", id)
	}
	return out, err
}

// Sites lists sites' latest versions ordered by id.
func (s *Store) Sites(ctx context.Context, f humanitarian.SiteFilter) ([]*humanitarian.Site, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Agreement != "" {
		where, args = append(where, "agreement_id = ?"), append(args, f.Agreement)
	}
	if f.Party != "" {
		where, args = append(where, "party_id = ?"), append(args, f.Party)
	}
	if b := f.BBox; b != nil {
		where = append(where, "max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?")
		args = append(args, b[0], b[2], b[1], b[3])
	}
	return docs[humanitarian.Site](ctx, s, s.reader(ctx), `SELECT doc FROM sites WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
}

// Transmission returns one transmission.
func (s *Store) Transmission(ctx context.Context, id string) (*humanitarian.Transmission, error) {
	return s.transmission(ctx, s.reader(ctx), id)
}

func (s *Store) transmission(ctx context.Context, q queryer, id string) (*humanitarian.Transmission, error) {
	v, err := scanDoc[humanitarian.Transmission](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM transmissions WHERE id = ?`), id))
	return one(s, v, err, "Transmission", id)
}

// Transmissions lists transmissions ordered by id.
func (s *Store) Transmissions(ctx context.Context, f humanitarian.TransmissionFilter) ([]*humanitarian.Transmission, error) {
	from := `transmissions t`
	where, args := []string{"t.id > ?"}, []any{f.Cursor}
	if f.To != "" {
		where, args = append(where, "t.to_party = ?"), append(args, f.To)
	}
	if f.RecordID != "" {
		where, args = append(where, "t.record_id = ?"), append(args, f.RecordID)
	}
	if f.RecordVersion != 0 {
		where, args = append(where, "t.record_version = ?"), append(args, f.RecordVersion)
	}
	if f.Pending {
		// Of the records' latest versions only: a superseded version's
		// transmission awaits no answer.
		from += ` LEFT JOIN sites s ON t.record_kind = 'site' AND s.id = t.record_id AND s.version = t.record_version` +
			` LEFT JOIN movements m ON t.record_kind = 'movement' AND m.id = t.record_id AND m.notified = t.record_version`
		where = append(where, "(s.id IS NOT NULL OR m.id IS NOT NULL)")
		where, args = append(where, "t.state = ?"), append(args, string(humanitarian.Pending))
		if f.NoticeDue != nil {
			where, args = append(where, "t.next_notice_us <= ?"), append(args, f.NoticeDue.UnixMicro())
		}
	}
	return docs[humanitarian.Transmission](ctx, s, s.reader(ctx), `SELECT t.doc FROM `+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY t.id LIMIT ?`, append(args, limit(f.Limit))...)
}

func (t *tx) Site(_ context.Context, id string) (*humanitarian.Site, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.site(t.ctx, t.tx, id)
}

func (t *tx) PutSite(_ context.Context, v *humanitarian.Site) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b := v.BBox
	if v.Version == 1 {
		if err := t.insert(`INSERT INTO sites (id, agreement_id, party_id, status, version, min_lon, min_lat, max_lon, max_lat, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.AgreementID, v.PartyID, string(v.Status), v.Version, b[0], b[1], b[2], b[3], string(doc)); err != nil {
			return err
		}
	} else {
		res, err := t.exec(`UPDATE sites SET status = ?, version = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?, doc = ? WHERE id = ? AND version = ?`,
			string(v.Status), v.Version, b[0], b[1], b[2], b[3], string(doc), v.ID, v.Version-1)
		if err := checkOne(res, err, "Site", v.ID); err != nil {
			return err
		}
	}
	return t.insert(`INSERT INTO site_versions (site_id, version, doc) VALUES (?, ?, ?)`, v.ID, v.Version, string(doc))
}

func (t *tx) Transmission(_ context.Context, id string) (*humanitarian.Transmission, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.transmission(t.ctx, t.tx, id)
}

func (t *tx) PutTransmission(_ context.Context, v *humanitarian.Transmission) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if v.Version == 1 {
		var next any
		if !v.NextNotice.IsZero() {
			next = v.NextNotice.UnixMicro()
		}
		return t.insert(`INSERT INTO transmissions (id, record_kind, record_id, record_version, to_party, state, version, next_notice_us, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Kind, v.RecordID, v.RecordVersion, v.To, string(v.State), v.Version, next, string(doc))
	}
	res, err := t.exec(`UPDATE transmissions SET state = ?, version = ?, doc = ? WHERE id = ? AND version = ?`,
		string(v.State), v.Version, string(doc), v.ID, v.Version-1)
	return checkOne(res, err, "Transmission", v.ID)
}

// --- movements ---

func (s *Store) movement(ctx context.Context, q queryer, id string) (*humanitarian.Movement, error) {
	v, err := scanDoc[humanitarian.Movement](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM movements WHERE id = ?`), id))
	return one(s, v, err, "Movement", id)
}

// Movement returns a movement's latest version.
func (s *Store) Movement(ctx context.Context, id string) (*humanitarian.Movement, error) {
	return s.movement(ctx, s.reader(ctx), id)
}

// MovementVersion returns one version of a movement.
func (s *Store) MovementVersion(ctx context.Context, id string, version int64) (*humanitarian.Movement, error) {
	v, err := scanDoc[humanitarian.Movement](s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT doc FROM movement_versions WHERE movement_id = ? AND version = ?`), id, version))
	return one(s, v, err, "Movement version", id)
}

// MovementVersions returns every version of a movement, oldest first
// (ENOTFOUND when there is no such movement).
func (s *Store) MovementVersions(ctx context.Context, id string) ([]*humanitarian.Movement, error) {
	out, err := docs[humanitarian.Movement](ctx, s, s.reader(ctx), `SELECT doc FROM movement_versions WHERE movement_id = ? ORDER BY version`, id)
	if err == nil && len(out) == 0 {
		return nil, notFound("Movement", id)
	}
	return out, err
}

// Movements lists movements' latest versions ordered by id.
func (s *Store) Movements(ctx context.Context, f humanitarian.MovementFilter) ([]*humanitarian.Movement, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Agreement != "" {
		where, args = append(where, "agreement_id = ?"), append(args, f.Agreement)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	return docs[humanitarian.Movement](ctx, s, s.reader(ctx), `SELECT doc FROM movements WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
}

func (t *tx) Movement(_ context.Context, id string) (*humanitarian.Movement, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.movement(t.ctx, t.tx, id)
}

func (t *tx) PutMovement(_ context.Context, v *humanitarian.Movement) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b := v.BBox
	if v.Version == 1 {
		if err := t.insert(`INSERT INTO movements (id, agreement_id, party_id, status, version, notified, min_lon, min_lat, max_lon, max_lat, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.AgreementID, v.PartyID, string(v.Status), v.Version, v.Notified, b[0], b[1], b[2], b[3], string(doc)); err != nil {
			return err
		}
	} else {
		res, err := t.exec(`UPDATE movements SET status = ?, version = ?, notified = ?, min_lon = ?, min_lat = ?, max_lon = ?, max_lat = ?, doc = ? WHERE id = ? AND version = ?`,
			string(v.Status), v.Version, v.Notified, b[0], b[1], b[2], b[3], string(doc), v.ID, v.Version-1)
		if err := checkOne(res, err, "Movement", v.ID); err != nil {
			return err
		}
	}
	return t.insert(`INSERT INTO movement_versions (movement_id, version, doc) VALUES (?, ?, ?)`, v.ID, v.Version, string(doc))
}

// --- notices: reminders and overdue alerts of transmissions ---

func (s *Store) notices(ctx context.Context, q queryer, transmission string) ([]humanitarian.Notice, error) {
	ns, err := docs[humanitarian.Notice](ctx, s, q, `SELECT doc FROM transmission_notices WHERE transmission_id = ? ORDER BY kind DESC, seq`, transmission)
	out := make([]humanitarian.Notice, len(ns))
	for i, n := range ns {
		out[i] = *n
	}
	return out, err
}

// Notices returns the notices sent about a transmission: its reminders,
// then its overdue alert.
func (s *Store) Notices(ctx context.Context, transmission string) ([]humanitarian.Notice, error) {
	return s.notices(ctx, s.reader(ctx), transmission)
}

func (t *tx) Notices(_ context.Context, transmission string) ([]humanitarian.Notice, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.notices(t.ctx, t.tx, transmission)
}

func (t *tx) PutNotice(_ context.Context, n *humanitarian.Notice) error {
	doc, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return t.insert(`INSERT INTO transmission_notices (transmission_id, kind, seq, doc) VALUES (?, ?, ?, ?)`, n.Transmission, string(n.Kind), n.Seq, string(doc))
}

func (t *tx) SetNextNotice(_ context.Context, transmission string, at *time.Time) error {
	var next any
	if at != nil {
		next = at.UnixMicro()
	}
	res, err := t.exec(`UPDATE transmissions SET next_notice_us = ? WHERE id = ?`, next, transmission)
	return checkOne(res, err, "Transmission", transmission)
}

// --- convoy tracks: each convoy's tracking state as last reported ---

// ConvoyTrack returns a convoy's tracking state as last reported.
func (s *Store) ConvoyTrack(ctx context.Context, movementID string) (*humanitarian.ConvoyTrack, error) {
	v, err := scanDoc[humanitarian.ConvoyTrack](s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT doc FROM convoy_tracks WHERE movement_id = ?`), movementID))
	return one(s, v, err, "Convoy track", movementID)
}

// PutConvoyTrack stores a convoy's tracking state in one statement,
// unless a newer one is stored: two servers taking positions of one
// convoy keep the latest.
func (s *Store) PutConvoyTrack(ctx context.Context, movementID string, t *humanitarian.ConvoyTrack) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.rb.q(`INSERT INTO convoy_tracks (movement_id, notified, time_us, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (movement_id) DO UPDATE SET notified = excluded.notified, time_us = excluded.time_us, doc = excluded.doc
		WHERE convoy_tracks.time_us <= excluded.time_us`), movementID, t.Notified, micros(t.Last.Time), string(doc))
	return s.wrap(err)
}

// --- convoy devices: the device tokens of trackers ---

func (s *Store) convoyDevice(ctx context.Context, q queryer, id string) (*humanitarian.ConvoyDevice, error) {
	v, err := scanDoc[humanitarian.ConvoyDevice](q.QueryRowContext(ctx, s.rb.q(`SELECT doc FROM convoy_devices WHERE id = ?`), id))
	return one(s, v, err, "Tracker", id)
}

// ConvoyDeviceByToken returns the device token whose SHA-256 is tokenHash.
func (s *Store) ConvoyDeviceByToken(ctx context.Context, tokenHash string) (*humanitarian.ConvoyDevice, error) {
	v, err := scanDoc[humanitarian.ConvoyDevice](s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT doc FROM convoy_devices WHERE token_hash = ?`), tokenHash))
	return one(s, v, err, "Tracker", "")
}

// ConvoyDevices returns a movement's device tokens ordered by id.
func (s *Store) ConvoyDevices(ctx context.Context, movementID string) ([]*humanitarian.ConvoyDevice, error) {
	return docs[humanitarian.ConvoyDevice](ctx, s, s.reader(ctx), `SELECT doc FROM convoy_devices WHERE movement_id = ? ORDER BY id`, movementID)
}

func (t *tx) ConvoyDevice(_ context.Context, id string) (*humanitarian.ConvoyDevice, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.convoyDevice(t.ctx, t.tx, id)
}

func (t *tx) ConvoyDevices(_ context.Context, movementID string) ([]*humanitarian.ConvoyDevice, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return docs[humanitarian.ConvoyDevice](t.ctx, t.s, t.tx, `SELECT doc FROM convoy_devices WHERE movement_id = ? ORDER BY id`, movementID)
}

func (t *tx) PutConvoyDevice(_ context.Context, d *humanitarian.ConvoyDevice, tokenHash string) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if d.Version == 1 {
		return t.insert(`INSERT INTO convoy_devices (id, token_hash, movement_id, version, doc) VALUES (?, ?, ?, ?, ?)`,
			d.ID, tokenHash, d.MovementID, d.Version, string(doc))
	}
	res, err := t.exec(`UPDATE convoy_devices SET version = ?, doc = ? WHERE id = ? AND version = ?`, d.Version, string(doc), d.ID, d.Version-1)
	return checkOne(res, err, "Tracker", d.ID)
}
