package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/truce-project/truce"
)

// putDoc inserts a document row at version 1 and otherwise updates it if
// the stored version is one less.
func (t *tx) putDoc(table, id string, version int64, doc any, cols []string, vals []any) error {
	return t.putDocOnce(table, "", id, version, doc, cols, vals)
}

// putDocOnce is putDoc for a table whose new rows may leave their
// document to the journal (the last of cols is "doc_entry", its value
// nil): a row inserted at version 1 whose document the journal then seals
// as the body of the entry of kind entryKind and subject id is written
// with an empty doc and doc_entry that entry's index (see tx.Append), so that
// the record is stored once. An update stores the document (doc_entry
// NULL).
func (t *tx) putDocOnce(table, entryKind, id string, version int64, doc any, cols []string, vals []any) error {
	b, canonical, err := encodeDoc(doc)
	if err != nil {
		return truce.Errorf(truce.EINVALID, "The %s record %s cannot be stored: %s", table, id, err.Error())
	}
	t.encoded(doc, b, canonical)
	if version == 1 {
		args := make([]any, 0, len(vals)+3)
		args = append(append(append(args, id), vals...), string(b), version)
		if err := t.insert(docInsert(table, cols), args...); err != nil {
			return err
		}
		if entryKind != "" {
			// The row's arguments are the last len(args) of the pending
			// ones: doc_entry (the last of vals), then doc.
			pending, gen, tail := t.b.lastInsert()
			end := len(pending)
			t.onceRow(doc, &docOnce{kind: entryKind, subject: id, gen: gen, tail: tail, entrySlot: end - 3, docSlot: end - 2})
		}
		return nil
	}
	sets := make([]string, 0, len(cols)+2)
	for _, c := range cols {
		sets = append(sets, c+" = ?")
	}
	sets = append(sets, "doc = ?", "version = ?")
	args := append(append([]any{}, vals...), string(b), version, id, version-1)
	res, err := t.exec(`UPDATE `+table+` SET `+strings.Join(sets, ", ")+` WHERE id = ? AND version = ?`, args...)
	return checkOne(res, err, table, id)
}

// docInserts holds putDoc's INSERT statements by table and columns, built
// once: they are written for every alert.
var docInserts sync.Map

func docInsert(table string, cols []string) string {
	key := table + " " + strings.Join(cols, ",")
	if q, ok := docInserts.Load(key); ok {
		return q.(string)
	}
	names := append(append([]string{"id"}, cols...), "doc", "version")
	q := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + `)`
	docInserts.Store(key, q)
	return q
}

// --- alerts ---

// alertSelect reads an alert's document: the row's, or the body of the
// alert's own journal entry at doc_entry when the row left it there
// (putDocOnce).
const alertSelect = `SELECT a.id, a.doc, j.body FROM alerts a LEFT JOIN journal j ON ` + alertEntry

// alertEntry joins an alert row a with its own entry at doc_entry.
const alertEntry = `j.idx = a.doc_entry AND j.kind = 'alert' AND j.subject = a.id`

// scanAlert reads a row of alertSelect. A row that leaves its document to
// an entry that is not its alert's reads as an alert with nothing but its
// id, which no entry vouches for: it is refused as changed (EINTEGRITY)
// where it is read.
func scanAlert(row interface{ Scan(...any) error }) (*truce.Alert, error) {
	var id, doc string
	var body []byte
	if err := row.Scan(&id, &doc, &body); err != nil {
		return nil, err
	}
	a := new(truce.Alert)
	src := []byte(doc)
	if doc == "" {
		if body == nil {
			a.ID = id
			return a, nil
		}
		src = body
	}
	if err := json.Unmarshal(src, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Alert returns an alert.
func (s *Store) Alert(ctx context.Context, id string) (*truce.Alert, error) {
	v, err := scanAlert(s.reader(ctx).QueryRowContext(ctx, s.rb.q(alertSelect+` WHERE a.id = ?`), id))
	return one(s, v, err, "Alert", id)
}

// Alerts lists alerts, newest first.
func (s *Store) Alerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, error) {
	q, args := s.alertsQuery(f)
	rows, err := s.reader(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*truce.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, a)
	}
	return out, s.wrap(rows.Err())
}

// alertsQuery is Alerts' query and its arguments. Each filter has an
// index that yields its rows newest first (kind: migration 025).
func (s *Store) alertsQuery(f truce.AlertFilter) (string, []any) {
	where, args := []string{"1 = 1"}, []any{}
	if f.Cursor != "" {
		where, args = append(where, "id < ?"), append(args, f.Cursor)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.Episode != "" {
		where, args = append(where, "episode = ?"), append(args, f.Episode)
	}
	if f.Ongoing {
		where, args = append(where, "ended = ? AND state <> ?"), append(args, false, string(truce.AlertClosed))
	}
	if f.BBox != nil {
		where, args = append(where, "lon >= ? AND lat >= ? AND lon <= ? AND lat <= ?"), append(args, f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3])
	}
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, micros(f.Since))
	}
	// The page is chosen first and only its rows are joined with their
	// journal entries.
	return s.rb.q(`SELECT a.id, a.doc, j.body FROM (SELECT id, doc, doc_entry FROM alerts WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id DESC LIMIT ?) a LEFT JOIN journal j ON ` + alertEntry + ` ORDER BY a.id DESC`), append(args, limit(f.Limit))
}

// alertCols are the alerts table's columns besides id, doc and version;
// doc_entry is last (putDocOnce).
var alertCols = []string{"kind", "state", "time", "lon", "lat", "episode", "ended", "doc_entry"}

// PutAlert writes an alert. A new alert's document is left to its journal
// entry (putDocOnce): the alert's body is stored once, in the journal.
func (t *tx) PutAlert(_ context.Context, a *truce.Alert) error {
	return t.putDocOnce("alerts", "alert", a.ID, a.Version, a, alertCols,
		[]any{string(a.Kind), string(a.State), micros(a.Time), a.Lon, a.Lat, a.Episode, a.EndedAt != nil, nil})
}

func (t *tx) Alert(_ context.Context, id string) (*truce.Alert, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	v, err := scanAlert(t.tx.QueryRowContext(t.ctx, t.s.rb.q(alertSelect+` WHERE a.id = ?`), id))
	return one(t.s, v, err, "Alert", id)
}

// --- aircraft registry ---

// AircraftList lists registry entries not removed; partyID "" lists all.
func (s *Store) AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error) {
	if partyID == "" {
		return docs[truce.Aircraft](ctx, s, s.reader(ctx), `SELECT doc FROM aircraft WHERE removed = ? ORDER BY id`, false)
	}
	return docs[truce.Aircraft](ctx, s, s.reader(ctx), `SELECT doc FROM aircraft WHERE removed = ? AND party_id = ? ORDER BY id`, false, partyID)
}

// PutAircraft writes a registry entry; ECONFLICT if another active entry
// has its ICAO address or callsign prefix (unique indexes on the active
// keys, NULL once removed: migration 011).
func (t *tx) PutAircraft(_ context.Context, a *truce.Aircraft) error {
	key := func(v string) any {
		if v == "" || a.Removed {
			return nil
		}
		return v
	}
	err := t.putDoc("aircraft", a.ID, a.Version, a, []string{"party_id", "removed", "active_icao", "active_prefix"},
		[]any{a.PartyID, a.Removed, key(a.ICAO), key(a.CallsignPrefix)})
	if truce.ErrorCode(err) == truce.ECONFLICT {
		return truce.Errorf(truce.ECONFLICT, "That aircraft or callsign prefix is already registered.")
	}
	return err
}

func (t *tx) Aircraft(_ context.Context, id string) (*truce.Aircraft, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	v, err := scanDoc[truce.Aircraft](t.tx.QueryRowContext(t.ctx, t.s.rb.q(`SELECT doc FROM aircraft WHERE id = ?`), id))
	return one(t.s, v, err, "Aircraft", id)
}

// --- feeds ---

// Feeds lists the configured feeds not removed.
func (s *Store) Feeds(ctx context.Context) ([]*truce.FeedSource, error) {
	return docs[truce.FeedSource](ctx, s, s.reader(ctx), `SELECT doc FROM feeds WHERE removed = ? ORDER BY id`, false)
}

func (t *tx) PutFeed(_ context.Context, f *truce.FeedSource) error {
	return t.putDoc("feeds", f.ID, f.Version, f, []string{"removed"}, []any{f.Removed})
}

func (t *tx) Feed(_ context.Context, id string) (*truce.FeedSource, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	v, err := scanDoc[truce.FeedSource](t.tx.QueryRowContext(t.ctx, t.s.rb.q(`SELECT doc FROM feeds WHERE id = ?`), id))
	return one(t.s, v, err, "Feed", id)
}
