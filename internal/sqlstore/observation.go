// observation.go holds observations and incidents (package observation):
// their reads, their writes, and the Store's observation.Store view.

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/truce-project/truce/observation"
)

// Observation returns the store as package observation sees it.
func (s *Store) Observation() observation.Store { return observationStore{s} }

type observationStore struct{ *Store }

func (o observationStore) Update(ctx context.Context, fn func(observation.Tx) error) error {
	return o.update(ctx, func(t *tx) error { return fn(t) })
}

// observationSelect reads an observation's document: the row's, or the
// body of the observation's own journal entry at doc_entry when the row
// left it there (putDocOnce). Lists choose their page of rows first and
// join only those with their entries.
func observationSelect(rows string) string {
	return `SELECT o.id, o.doc, j.body FROM ` + rows + ` o LEFT JOIN journal j ON j.idx = o.doc_entry AND j.kind = 'observation' AND j.subject = o.id`
}

// scanObservation reads a row of observationSelect. A row that leaves its
// document to an entry that is not its observation's reads as an
// observation with nothing but its id, which no entry vouches for: it is
// refused as changed (EINTEGRITY) where it is read.
func scanObservation(row interface{ Scan(...any) error }) (*observation.Observation, error) {
	var id, doc string
	var body []byte
	if err := row.Scan(&id, &doc, &body); err != nil {
		return nil, err
	}
	o := new(observation.Observation)
	src := []byte(doc)
	if doc == "" {
		if body == nil {
			o.ID = id
			return o, nil
		}
		src = body
	}
	if err := json.Unmarshal(src, o); err != nil {
		return nil, err
	}
	return o, nil
}

func scanObservations(ctx context.Context, s *Store, q queryer, query string, args ...any) ([]*observation.Observation, error) {
	rows, err := q.QueryContext(ctx, s.rb.q(query), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*observation.Observation
	for rows.Next() {
		v, err := scanObservation(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

func (o observationStore) Observation(ctx context.Context, id string) (*observation.Observation, error) {
	v, err := scanObservation(o.reader(ctx).QueryRowContext(ctx, o.rb.q(observationSelect(`observations`)+` WHERE o.id = ?`), id))
	return one(o.Store, v, err, "Observation", id)
}

func (o observationStore) Observations(ctx context.Context, f observation.Filter) ([]*observation.Observation, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.IncidentID != "" {
		where, args = append(where, "incident_id = ?"), append(args, f.IncidentID)
	}
	return scanObservations(ctx, o.Store, o.reader(ctx), observationSelect(`(SELECT id, doc, doc_entry FROM observations WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?)`)+` ORDER BY o.id`, append(args, limit(f.Limit))...)
}

func (o observationStore) Incident(ctx context.Context, id string) (*observation.Incident, error) {
	v, err := scanDoc[observation.Incident](o.reader(ctx).QueryRowContext(ctx, o.rb.q(`SELECT doc FROM incidents WHERE id = ?`), id))
	return one(o.Store, v, err, "Incident", id)
}

func (o observationStore) Incidents(ctx context.Context, f observation.IncidentFilter) ([]*observation.Incident, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if !f.From.IsZero() {
		where, args = append(where, "start_at >= ?"), append(args, micros(f.From))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "start_at < ?"), append(args, micros(f.Until))
	}
	return docs[observation.Incident](ctx, o.Store, o.reader(ctx), `SELECT doc FROM incidents WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, append(args, limit(f.Limit))...)
}

// PutObservation writes an observation. A new observation's document is
// left to its journal entry (putDocOnce): it is stored once, in the
// journal.
func (t *tx) PutObservation(_ context.Context, o *observation.Observation) error {
	return t.putDocOnce("observations", "observation", o.ID, int64(o.Version), o, []string{"incident_id", "party_id", "observer_id", "start_at", "doc_entry"},
		[]any{o.IncidentID, o.PartyID, o.ObserverID, micros(o.Start), nil})
}

func (t *tx) PutIncident(_ context.Context, inc *observation.Incident) error {
	return t.putDoc("incidents", inc.ID, int64(inc.Version), inc, []string{"category", "status", "start_at", "lon", "lat"},
		[]any{string(inc.Category), string(inc.Status), micros(inc.Start), inc.Center.Lon, inc.Center.Lat})
}

func (t *tx) Incident(_ context.Context, id string) (*observation.Incident, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	v, err := scanDoc[observation.Incident](t.tx.QueryRowContext(t.ctx, t.s.rb.q(`SELECT doc FROM incidents WHERE id = ?`), id))
	return one(t.s, v, err, "Incident", id)
}

func (t *tx) IncidentObservations(_ context.Context, incidentID string) ([]*observation.Observation, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return scanObservations(t.ctx, t.s, t.tx, observationSelect(`observations`)+` WHERE o.incident_id = ? ORDER BY o.id`, incidentID)
}

func (o observationStore) Evidence(ctx context.Context, sha256 string) (*observation.Evidence, error) {
	v, err := scanDoc[observation.Evidence](o.reader(ctx).QueryRowContext(ctx, o.rb.q(`SELECT doc FROM evidence WHERE id = ?`), sha256))
	return one(o.Store, v, err, "Evidence", sha256)
}

func (o observationStore) EvidenceFile(ctx context.Context, sha256 string) ([]byte, error) {
	var b []byte
	err := o.reader(ctx).QueryRowContext(ctx, o.rb.q(`SELECT data FROM evidence_files WHERE sha256 = ?`), sha256).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Evidence file", sha256)
	}
	return b, o.wrap(err)
}

func (t *tx) PutEvidence(_ context.Context, e *observation.Evidence) error {
	return t.putDoc("evidence", e.SHA256, int64(e.Version), e, []string{"party_id"}, []any{e.PartyID})
}

func (t *tx) PutEvidenceFile(_ context.Context, sha256 string, data []byte) error {
	_, err := t.exec(`INSERT INTO evidence_files (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING`, sha256, data)
	return err
}

func (o observationStore) Publication(ctx context.Context, day string) (*observation.Publication, []byte, error) {
	var doc, report string
	err := o.reader(ctx).QueryRowContext(ctx, o.rb.q(`SELECT doc, report FROM report_publications WHERE id = ?`), day).Scan(&doc, &report)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("Report publication", day)
	}
	if err != nil {
		return nil, nil, o.wrap(err)
	}
	p := new(observation.Publication)
	if err := json.Unmarshal([]byte(doc), p); err != nil {
		return nil, nil, err
	}
	return p, []byte(report), nil
}

func (t *tx) Publication(_ context.Context, day string) (*observation.Publication, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	v, err := scanDoc[observation.Publication](t.tx.QueryRowContext(t.ctx, t.s.rb.q(`SELECT doc FROM report_publications WHERE id = ?`), day))
	return one(t.s, v, err, "Report publication", day)
}

func (t *tx) PutPublication(_ context.Context, p *observation.Publication, report []byte) error {
	return t.putDoc("report_publications", p.ID, int64(p.Version), p, []string{"report"}, []any{string(report)})
}
