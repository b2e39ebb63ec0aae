// observation.go holds observations and incidents (package observation):
// their reads, their writes, and the Store's observation.Store view.

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// Observation returns the store as package observation sees it.
func (s *Store) Observation() observation.Store { return observationStore{s} }

type observationStore struct{ *Store }

func (o observationStore) Update(ctx context.Context, fn func(observation.Tx) error) error {
	return o.update(ctx, func(t *tx) error { return fn(t) })
}

// docOnceSelect reads the document of a record of kind from table: the
// row's, or the body of the record's own journal entry at doc_entry when
// the row left it there (putDocOnce). rows is the table, or a subquery
// of its id, doc and doc_entry (lists choose their page of rows first and
// join only those with their entries); it is named r.
func docOnceSelect(kind, rows string) string {
	return `SELECT r.id, r.doc, j.body FROM ` + rows + ` r LEFT JOIN journal j ON j.idx = r.doc_entry AND j.kind = '` + kind + `' AND j.subject = r.id`
}

// scanDocOnce reads a row of docOnceSelect. A row that leaves its document
// to an entry that is not its record's reads as a record with nothing but
// its id (setID), which no entry vouches for: it is refused as changed
// (EINTEGRITY) where it is read.
func scanDocOnce[T any](row interface{ Scan(...any) error }, setID func(*T, string)) (*T, error) {
	var id, doc string
	var body []byte
	if err := row.Scan(&id, &doc, &body); err != nil {
		return nil, err
	}
	v := new(T)
	src := []byte(doc)
	if doc == "" {
		if body == nil {
			setID(v, id)
			return v, nil
		}
		src = body
	}
	if err := json.Unmarshal(src, v); err != nil {
		return nil, err
	}
	return v, nil
}

func docsOnce[T any](ctx context.Context, s *Store, q queryer, setID func(*T, string), query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, s.rb.q(query), args...)
	return scanDocsOnce(s, rows, err, setID)
}

func scanDocsOnce[T any](s *Store, rows *sql.Rows, err error, setID func(*T, string)) ([]*T, error) {
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scanDocOnce(rows, setID)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, v)
	}
	return out, s.wrap(rows.Err())
}

func setObservationID(o *observation.Observation, id string) { o.ID = id }
func setIncidentID(i *observation.Incident, id string)       { i.ID = id }

func (o observationStore) Observation(ctx context.Context, id string) (*observation.Observation, error) {
	v, err := scanDocOnce(o.reader(ctx).QueryRowContext(ctx, o.rb.q(docOnceSelect("observation", `observations`)+` WHERE r.id = ?`), id), setObservationID)
	return one(o.Store, v, err, "Observation", id)
}

func (o observationStore) Observations(ctx context.Context, f observation.Filter) ([]*observation.Observation, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.IncidentID != "" {
		where, args = append(where, "incident_id = ?"), append(args, f.IncidentID)
	}
	return docsOnce(ctx, o.Store, o.reader(ctx), setObservationID, docOnceSelect("observation", `(SELECT id, doc, doc_entry FROM observations WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?)`)+` ORDER BY r.id`, append(args, limit(f.Limit))...)
}

func (o observationStore) Incident(ctx context.Context, id string) (*observation.Incident, error) {
	v, err := scanDocOnce(o.reader(ctx).QueryRowContext(ctx, o.rb.q(docOnceSelect("incident", `incidents`)+` WHERE r.id = ?`), id), setIncidentID)
	return one(o.Store, v, err, "Incident", id)
}

func (o observationStore) Incidents(ctx context.Context, f observation.IncidentFilter) ([]*observation.Incident, error) {
	return docsOnce(ctx, o.Store, o.reader(ctx), setIncidentID, incidentsQuery(f), incidentsArgs(f)...)
}

// IncidentDocs is Incidents as stored documents, not decoded: the row's
// document, or the body of the journal entry it was left to.
func (o observationStore) IncidentDocs(ctx context.Context, f observation.IncidentFilter) ([]journal.Doc, error) {
	rows, err := o.reader(ctx).QueryContext(ctx, o.rb.q(incidentsQuery(f)), incidentsArgs(f)...)
	if err != nil {
		return nil, o.wrap(err)
	}
	defer rows.Close()
	var out []journal.Doc
	for rows.Next() {
		var id string
		var doc sql.NullString
		var body []byte
		if err := rows.Scan(&id, &doc, &body); err != nil {
			return nil, o.wrap(err)
		}
		if doc.String != "" {
			body = []byte(doc.String)
		}
		out = append(out, journal.Doc{ID: id, JSON: body})
	}
	return out, o.wrap(rows.Err())
}

// incidentsQuery is the query of Incidents and IncidentDocs, and
// incidentsArgs its arguments.
func incidentsQuery(f observation.IncidentFilter) string {
	where, order := []string{"id > ?"}, "id"
	if f.ByStart {
		where, order = []string{"(start_at > ? OR (start_at = ? AND id > ?))"}, "start_at, id"
	}
	if f.Status != "" {
		where = append(where, "status = ?")
	}
	if !f.From.IsZero() {
		where = append(where, "start_at >= ?")
	}
	if !f.Until.IsZero() {
		where = append(where, "start_at < ?")
	}
	return docOnceSelect("incident", `(SELECT id, doc, doc_entry, start_at FROM incidents WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?)`) + ` ORDER BY r.` + strings.ReplaceAll(order, ", ", ", r.")
}

func incidentsArgs(f observation.IncidentFilter) []any {
	args := []any{f.Cursor}
	if f.ByStart {
		args = []any{micros(f.AfterStart), micros(f.AfterStart), f.Cursor}
	}
	if f.Status != "" {
		args = append(args, string(f.Status))
	}
	if !f.From.IsZero() {
		args = append(args, micros(f.From))
	}
	if !f.Until.IsZero() {
		args = append(args, micros(f.Until))
	}
	return append(args, limit(f.Limit))
}

// PutObservation writes an observation. A new observation's document is
// left to its journal entry (putDocOnce): it is stored once, in the
// journal.
func (t *tx) PutObservation(_ context.Context, o *observation.Observation) error {
	return t.putDocOnce("observations", "observation", o.ID, int64(o.Version), o, []string{"incident_id", "party_id", "observer_id", "start_at", "doc_entry"},
		[]any{o.IncidentID, o.PartyID, o.ObserverID, micros(o.Start), nil})
}

// PutIncident writes an incident, a new one with its document left to
// its journal entry as PutObservation does.
func (t *tx) PutIncident(_ context.Context, inc *observation.Incident) error {
	return t.putDocOnce("incidents", "incident", inc.ID, int64(inc.Version), inc, []string{"category", "status", "start_at", "lon", "lat", "doc_entry"},
		[]any{string(inc.Category), string(inc.Status), micros(inc.Start), inc.Center.Lon, inc.Center.Lat, nil})
}

func (t *tx) Incident(_ context.Context, id string) (*observation.Incident, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	st, err := t.stmt(docOnceSelect("incident", `incidents`) + ` WHERE r.id = ?`)
	if err != nil {
		return nil, err
	}
	v, err := scanDocOnce(st.QueryRowContext(t.ctx, id), setIncidentID)
	return one(t.s, v, err, "Incident", id)
}

func (t *tx) IncidentObservations(_ context.Context, incidentID string) ([]*observation.Observation, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	st, err := t.stmt(docOnceSelect("observation", `observations`) + ` WHERE r.incident_id = ? ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(t.ctx, incidentID)
	return scanDocsOnce(t.s, rows, err, setObservationID)
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
