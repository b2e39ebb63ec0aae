package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

var _ events.Store = (*Store)(nil)

// eventDoc is how an event's body is kept: Data stays raw JSON on the way
// back, so it is served as it was published.
type eventDoc struct {
	Kind    string          `json:"kind"`
	Subject string          `json:"subject"`
	Index   int64           `json:"index"`
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data,omitempty"`
	Point   *[2]float64     `json:"point,omitempty"`
	BBox    *truce.BBox     `json:"bbox,omitempty"`
}

// AppendEvents logs events in one transaction of the group committer,
// which may share it with other writers.
func (s *Store) AppendEvents(ctx context.Context, evs []*events.Record) error {
	if len(evs) == 0 {
		return nil
	}
	return s.Update(ctx, func(t truce.Tx) error {
		t.(*tx).b.events = append(t.(*tx).b.events, evs...)
		return nil
	})
}

// OnEvents sets the function told of each commit's events.
func (s *Store) OnEvents(f func(recs []*events.Record)) {
	if f == nil {
		s.onEvents.Store(nil)
		return
	}
	s.onEvents.Store(&f)
}

// Publish logs an event in the transaction.
func (t *tx) Publish(_ context.Context, e *truce.Event) error {
	t.b.events = append(t.b.events, &events.Record{Event: *e})
	return nil
}

// flushEvents writes the batch's events, with ids from the counter the
// transaction locked with the log head. Their webhook deliveries are
// queued after the commit, by QueueDeliveries: matching them here would
// lengthen the transaction that holds the journal's lock.
//
// An event whose data is the sealed body of a change journalled in this
// batch, at the event's journal index, is logged without it (data_entry):
// its data is read back from the journal entry (eventSelect), so the
// record is stored once, not twice.
func (b *batch) flushEvents(ctx context.Context) error {
	eargs := make([]any, 0, 14*len(b.events))
	// The documents are written into one buffer and made one string, so
	// that a batch's events cost one allocation for their text.
	var buf []byte
	ends := make([]int, len(b.events))
	entry := make([]bool, len(b.events))
	for i, r := range b.events {
		e := &r.Event
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		e.Time = e.Time.UTC()
		entry[i] = b.entryBody(e)
		var err error
		if buf, err = appendEventDoc(buf, e, !entry[i]); err != nil {
			return truce.Errorf(truce.EINVALID, "Event %s %s cannot be encoded: %s", e.Kind, e.Subject, err.Error())
		}
		ends[i] = len(buf)
	}
	docs := string(buf)
	start := 0
	for i, r := range b.events {
		e := &r.Event
		var box [4]any
		if ext, ok := events.Extent(e); ok {
			box = [4]any{ext[0], ext[1], ext[2], ext[3]}
		}
		r.ID = b.eventSeq + int64(i) + 1
		v := e.Visibility
		dataEntry := int64(0)
		if entry[i] {
			dataEntry = 1
		}
		eargs = append(eargs, r.ID, e.Kind, e.Subject, e.Index, micros(e.Time), box[0], box[1], box[2], box[3],
			string(v.Scope), v.Owner, strings.Join(v.Parties, ","), docs[start:ends[i]], dataEntry)
		start = ends[i]
	}
	return b.insertRows(ctx, `INSERT INTO events (id, kind, subject, journal_index, time, min_lon, min_lat, max_lon, max_lat, vis_scope, vis_owner, vis_parties, data, data_entry) VALUES `, 14, eargs)
}

// entryBody says whether e's data is the body of the entry this batch
// journals at e.Index (journal.Write logs a change's event so, with the
// sealed body as a truce.CanonicalJSON).
func (b *batch) entryBody(e *truce.Event) bool {
	d, ok := e.Data.(truce.CanonicalJSON)
	if !ok {
		return false
	}
	i := e.Index - b.start
	if i < 0 || i >= int64(len(b.entries)) {
		return false
	}
	return bytes.Equal(b.entries[i].Body, d) // the same bytes: compared by address first
}

// appendEventDoc appends e as the events table keeps it: eventDoc's JSON.
// It is written by hand, since it is written for every event of every
// write. Data that is already JSON is copied as it is, not encoded again:
// a json.RawMessage once checked, a truce.CanonicalJSON (the sealed body of
// the change the event reports) as it is. TestAppendEventDoc holds it to
// json.Marshal's reading.
//
// Without withData the document has no "data": the event's data is its
// journal entry's body (data_entry).
func appendEventDoc(b []byte, e *truce.Event, withData bool) ([]byte, error) {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, e.Kind)
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, e.Subject)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, e.Index, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	data := e.Data
	if !withData {
		data = nil
	}
	switch d := data.(type) {
	case nil:
	case truce.CanonicalJSON: // a sealed body: valid, and canonical
		b = append(b, `,"data":`...)
		b = append(b, d...)
	case json.RawMessage:
		if !json.Valid(d) {
			return nil, fmt.Errorf("event data is not JSON")
		}
		b = append(b, `,"data":`...)
		b = append(b, d...)
	default:
		raw, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		if string(raw) != "null" {
			b = append(b, `,"data":`...)
			b = append(b, raw...)
		}
	}
	var err error
	if e.Point != nil {
		b = append(b, `,"point":`...)
		if b, err = appendFloats(b, e.Point[:]); err != nil {
			return nil, err
		}
	}
	if e.BBox != nil {
		b = append(b, `,"bbox":`...)
		if b, err = appendFloats(b, e.BBox[:]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendFloats(b []byte, fs []float64) ([]byte, error) {
	b = append(b, '[')
	for i, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("unsupported value: %v", f)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// appendJSONString appends s as a JSON string: as it is when it has no
// character JSON escapes (ids and kinds), else as json.Marshal writes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			raw, _ := json.Marshal(s)
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// eventSelect reads an event with the body of its journal entry when its
// data is that (data_entry). Conditions on the events' own columns name
// them with "e.".
const eventSelect = `SELECT e.id, e.vis_scope, e.vis_owner, e.vis_parties, e.data, j.body FROM events e LEFT JOIN journal j ON e.data_entry = 1 AND j.idx = e.journal_index`

// eventMatchCols reads an event without its entry's body (NULL), for what
// needs only its kind, place and visibility (matching webhooks).
const eventMatchCols = `id, vis_scope, vis_owner, vis_parties, data, NULL`

// scanEvent reads the columns of eventSelect (or eventMatchCols). The
// journal body, when there is one, is the event's data, spliced in as it
// was published: the sealed body that the event was logged with.
func scanEvent(row interface{ Scan(...any) error }) (*events.Record, error) {
	var r events.Record
	var scope, owner, parties, doc string
	var body []byte
	if err := row.Scan(&r.ID, &scope, &owner, &parties, &doc, &body); err != nil {
		return nil, err
	}
	var d eventDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, err
	}
	r.Event = truce.Event{Kind: d.Kind, Subject: d.Subject, Index: d.Index, Time: d.Time, Point: d.Point, BBox: d.BBox,
		Visibility: truce.Visibility{Scope: truce.Scope(scope), Owner: owner}}
	if d.Data != nil {
		r.Data = d.Data
	} else if body != nil {
		r.Data = json.RawMessage(body)
	}
	if parties != "" {
		r.Visibility.Parties = strings.Split(parties, ",")
	}
	return &r, nil
}

// Events returns logged events after q.After, prefiltered by kind and (for
// boxes that do not cross the antimeridian) by place.
func (s *Store) Events(ctx context.Context, q events.Query) ([]*events.Record, error) {
	where, args := []string{"e.id > ?"}, []any{q.After}
	if len(q.Kinds) > 0 {
		where = append(where, "e.kind IN (?"+strings.Repeat(", ?", len(q.Kinds)-1)+")")
		for _, k := range q.Kinds {
			args = append(args, k)
		}
	}
	if b := q.BBox; b != nil && !b.Crosses() {
		where = append(where, "e.max_lon >= ? AND e.min_lon <= ? AND e.max_lat >= ? AND e.min_lat <= ?")
		args = append(args, b[0], b[2], b[1], b[3])
	}
	args = append(args, limit(q.Limit))
	rows, err := s.db.QueryContext(ctx, s.rb.q(eventSelect+` WHERE `+strings.Join(where, " AND ")+` ORDER BY e.id LIMIT ?`), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*events.Record
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// EventBounds returns the oldest and newest event ids.
func (s *Store) EventBounds(ctx context.Context) (first, last int64, err error) {
	var f, l sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM events`).Scan(&f, &l)
	return f.Int64, l.Int64, s.wrap(err)
}

// PurgeEvents deletes old events and their deliveries: the oldest events
// up to the first dated before or later, and all but the newest keep. The
// log is cut at one id, so it stays whole after it (an event dated earlier
// than one logged before it goes with it), and the cut is found by
// reading the events it deletes, oldest first: no index of the events by
// time is kept (migration 027), which every event logged paid for.
func (s *Store) PurgeEvents(ctx context.Context, before time.Time, keep int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap(err)
	}
	defer tx.Rollback()
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM events`).Scan(&last); err != nil {
		return 0, s.wrap(err)
	}
	cut := last.Int64 // every event is older: all go, but the newest keep
	var kept int64
	switch err := tx.QueryRowContext(ctx, s.rb.q(`SELECT id FROM events WHERE time >= ? ORDER BY id LIMIT 1`), micros(before)).Scan(&kept); {
	case err == nil:
		cut = kept - 1
	case !errors.Is(err, sql.ErrNoRows):
		return 0, s.wrap(err)
	}
	cut = max(cut, last.Int64-keep)
	if _, err := tx.ExecContext(ctx, s.rb.q(`DELETE FROM webhook_deliveries WHERE event_id IN (SELECT id FROM events WHERE id <= ?)`), cut); err != nil {
		return 0, s.wrap(err)
	}
	res, err := tx.ExecContext(ctx, s.rb.q(`DELETE FROM events WHERE id <= ?`), cut)
	if err != nil {
		return 0, s.wrap(err)
	}
	n, _ := res.RowsAffected()
	return n, s.wrap(tx.Commit())
}

// --- webhooks ---

const webhookCols = `id, party_id, url, secret, kinds, bbox, created_by, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (*events.Webhook, error) {
	var w events.Webhook
	var kinds, bbox string
	var created int64
	if err := row.Scan(&w.ID, &w.Party, &w.URL, &w.Secret, &kinds, &bbox, &w.CreatedBy, &created); err != nil {
		return nil, err
	}
	if kinds != "" {
		w.Kinds = strings.Split(kinds, ",")
	}
	if bbox != "" {
		w.BBox = new(events.BBox)
		if err := json.Unmarshal([]byte(bbox), w.BBox); err != nil {
			return nil, err
		}
	}
	w.CreatedAt = time.UnixMicro(created).UTC()
	return &w, nil
}

// InsertWebhook stores a webhook.
func (s *Store) InsertWebhook(ctx context.Context, w *events.Webhook) error {
	bbox := ""
	if w.BBox != nil {
		b, _ := json.Marshal(w.BBox)
		bbox = string(b)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	// The log head is locked first (webhooksChanged), so the newest
	// event id read after it stays the newest until this commits: the
	// webhook gets every event logged after it was created, and none
	// before.
	if err := webhooksChanged(ctx, tx); err != nil {
		return s.wrap(err)
	}
	if _, err := tx.ExecContext(ctx, s.rb.q(`INSERT INTO webhooks (`+webhookCols+`, after_event) SELECT ?, ?, ?, ?, ?, ?, ?, ?, event_seq FROM log_head WHERE id = 1`),
		w.ID, w.Party, w.URL, w.Secret, strings.Join(w.Kinds, ","), bbox, w.CreatedBy, micros(w.CreatedAt)); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit())
}

// webhooksChanged counts a change of the webhooks in the log head, and so
// takes the log head's lock.
func webhooksChanged(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE log_head SET webhooks_version = webhooks_version + 1 WHERE id = 1`)
	return err
}

// Webhook returns a webhook.
func (s *Store) Webhook(ctx context.Context, id string) (*events.Webhook, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx, s.rb.q(`SELECT `+webhookCols+` FROM webhooks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Webhook", id)
	}
	return w, s.wrap(err)
}

// Webhooks lists a party's webhooks, or all.
func (s *Store) Webhooks(ctx context.Context, party string) ([]*events.Webhook, error) {
	ws, err := s.webhooks(ctx, s.db, party)
	return ws, s.wrap(err)
}

func (s *Store) webhooks(ctx context.Context, db queryer, party string) ([]*events.Webhook, error) {
	q, args := `SELECT `+webhookCols+` FROM webhooks ORDER BY id`, []any{}
	if party != "" {
		q, args = `SELECT `+webhookCols+` FROM webhooks WHERE party_id = ? ORDER BY id`, []any{party}
	}
	rows, err := db.QueryContext(ctx, s.rb.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*events.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteWebhook deletes a webhook and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.rb.q(`DELETE FROM webhook_deliveries WHERE webhook_id = ?`), id); err != nil {
		return s.wrap(err)
	}
	res, err := tx.ExecContext(ctx, s.rb.q(`DELETE FROM webhooks WHERE id = ?`), id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound("Webhook", id)
	}
	if err := webhooksChanged(ctx, tx); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit())
}

// --- deliveries ---

const deliveryCols = `d.id, d.webhook_id, d.event_id, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.delivered_at, d.failed_at`

func deliveryTargets(d *events.Delivery, created *int64) []any {
	return []any{&d.ID, &d.WebhookID, &d.EventID, &d.Attempts, &microTime{&d.NextAttemptAt}, &d.LastError, created, &microTime{&d.DeliveredAt}, &microTime{&d.FailedAt}}
}

// microTime scans a nullable Unix-microseconds column into a *time.Time.
type microTime struct{ p **time.Time }

func (m *microTime) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	if !n.Valid {
		*m.p = nil
		return nil
	}
	t := time.UnixMicro(n.Int64).UTC()
	*m.p = &t
	return nil
}

// DueDeliveries returns the pending deliveries due at now.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, n int) ([]*events.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.rb.q(`SELECT `+deliveryCols+`, `+
		`e.id, e.vis_scope, e.vis_owner, e.vis_parties, e.data, j.body, `+
		`w.id, w.party_id, w.url, w.secret, w.kinds, w.bbox, w.created_by, w.created_at
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
		LEFT JOIN journal j ON e.data_entry = 1 AND j.idx = e.journal_index
		WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`), micros(now), limit(n))
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*events.Delivery
	for rows.Next() {
		var created int64
		var ev, wh rowBuffer
		d := new(events.Delivery)
		dst := append(append(deliveryTargets(d, &created), ev.targets(6)...), wh.targets(8)...)
		if err := rows.Scan(dst...); err != nil {
			return nil, s.wrap(err)
		}
		d.CreatedAt = time.UnixMicro(created).UTC()
		if d.Event, err = scanEvent(&ev); err != nil {
			return nil, s.wrap(err)
		}
		if d.Webhook, err = scanWebhook(&wh); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, d)
	}
	return out, s.wrap(rows.Err())
}

// rowBuffer holds some columns of a joined row so the single-table
// scanners can read them.
type rowBuffer struct{ vals []any }

func (b *rowBuffer) targets(n int) []any {
	b.vals = make([]any, n)
	t := make([]any, n)
	for i := range t {
		t[i] = &b.vals[i]
	}
	return t
}

func (b *rowBuffer) Scan(dst ...any) error {
	for i, d := range dst {
		if err := convertAssign(d, b.vals[i]); err != nil {
			return err
		}
	}
	return nil
}

// convertAssign copies a raw driver value into a scan target, for the
// types the scanners above use.
func convertAssign(dst, src any) error {
	if s, ok := dst.(sql.Scanner); ok {
		return s.Scan(src)
	}
	switch d := dst.(type) {
	case *string:
		var n sql.NullString
		if err := n.Scan(src); err != nil {
			return err
		}
		*d = n.String
		return nil
	case *[]byte:
		switch v := src.(type) {
		case nil:
			*d = nil
		case []byte:
			*d = v
		case string:
			*d = []byte(v)
		default:
			return errors.New("sqlstore: a byte column holds another type")
		}
		return nil
	case *int64:
		var n sql.NullInt64
		if err := n.Scan(src); err != nil {
			return err
		}
		*d = n.Int64
		return nil
	}
	return errors.New("sqlstore: unsupported scan target")
}

// ClaimDelivery leases a due delivery.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, from, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rb.q(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ? AND next_attempt_at = ?`), micros(until), id, micros(from))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}

// RecordAttempt stores an attempt's outcome.
func (s *Store) RecordAttempt(ctx context.Context, id int64, a events.Attempt) error {
	res, err := s.db.ExecContext(ctx, s.rb.q(`UPDATE webhook_deliveries SET attempts = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, failed_at = ? WHERE id = ?`),
		a.Attempts, a.Error, nullMicros(a.NextAttemptAt), nullMicros(a.DeliveredAt), nullMicros(a.FailedAt), id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.ENOTFOUND, "Delivery %d not found; its webhook may have been deleted.", id)
	}
	return nil
}

// Deliveries lists a webhook's deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID string, before int64, n int) ([]*events.Delivery, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.db.QueryContext(ctx, s.rb.q(`SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`), webhookID, before, limit(n))
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*events.Delivery
	for rows.Next() {
		var created int64
		d := new(events.Delivery)
		if err := rows.Scan(deliveryTargets(d, &created)...); err != nil {
			return nil, s.wrap(err)
		}
		d.CreatedAt = time.UnixMicro(created).UTC()
		out = append(out, d)
	}
	return out, s.wrap(rows.Err())
}
