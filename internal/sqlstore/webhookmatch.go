package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/truce-project/truce/events"
)

// QueueDeliveries matches the events logged after the webhook cursor
// against the webhooks and queues their deliveries.
//
// It runs after the commits that logged the events, so the write path
// holds the journal's lock only to log them. A crash between a commit and
// the matching loses nothing: the cursor has not moved, and the next pass
// (of this server after a restart, or of another) matches the events. The
// queueing and the move of the cursor commit together under the cursor
// row's lock (SELECT ... FOR UPDATE; SQLite's BEGIN IMMEDIATE), so two
// servers never match the same events, and the unique (webhook, event)
// pair makes a repeated queueing a no-op besides.
func (s *Store) QueueDeliveries(ctx context.Context, n int) (int, bool, error) {
	if n <= 0 {
		n = 1000
	}
	// Unlocked first: most passes find nothing to do and write nothing.
	from, err := s.matchFrom(ctx, s.db)
	if err != nil || from < 0 {
		return 0, false, s.wrap(err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, s.wrap(err)
	}
	defer tx.Rollback()
	var cursor int64
	if err := tx.QueryRowContext(ctx, `SELECT matched FROM webhook_cursor WHERE id = 1`+s.d.LockHead).Scan(&cursor); err != nil {
		return 0, false, s.wrap(err)
	}
	if from, err = s.matchFrom(ctx, tx); err != nil || from < 0 {
		return 0, false, s.wrap(err)
	}
	// The newest id is read before the events: every event up to it has
	// committed (ids are given in commit order, under the log head's
	// lock), so the events read next hold all of them.
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT event_seq FROM log_head WHERE id = 1`).Scan(&seq); err != nil {
		return 0, false, s.wrap(err)
	}
	hooks, after, err := s.matchHooks(ctx, tx)
	if err != nil {
		return 0, false, s.wrap(err)
	}
	rows, err := tx.QueryContext(ctx, s.rb.q(`SELECT `+eventMatchCols+` FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`), from, seq, n)
	if err != nil {
		return 0, false, s.wrap(err)
	}
	var recs []*events.Record
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			return 0, false, s.wrap(err)
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, s.wrap(err)
	}
	now := micros(time.Now())
	var args []any
	for _, r := range recs {
		for _, id := range events.MatchHooks(hooks, &r.Event) {
			if r.ID > after[id] {
				args = append(args, id, r.ID, 0, now, now)
			}
		}
	}
	const cols = 5
	queued := len(args) / cols
	for len(args) > 0 {
		k := min(len(args), cols*maxRowsPerInsert)
		q := `INSERT INTO webhook_deliveries (webhook_id, event_id, attempts, next_attempt_at, created_at) VALUES ` +
			strings.Repeat("(?, ?, ?, ?, ?), ", k/cols-1) + `(?, ?, ?, ?, ?) ON CONFLICT (webhook_id, event_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, s.rb.q(q), args[:k]...); err != nil {
			return 0, false, s.wrap(err)
		}
		args = args[k:]
	}
	more := len(recs) == n
	matched := seq
	if more {
		matched = recs[len(recs)-1].ID
	}
	if _, err := tx.ExecContext(ctx, s.rb.q(`UPDATE webhook_cursor SET matched = ? WHERE id = 1`), matched); err != nil {
		return 0, false, s.wrap(err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, s.wrap(err)
	}
	return queued, more, nil
}

// maxRowsPerInsert keeps a multi-row insert's placeholders under SQLite's
// and PostgreSQL's limits.
const maxRowsPerInsert = 1000

// matchFrom returns the id after which events are still to be matched, or
// -1 when there are none: none logged after the cursor, or no webhook
// created before the newest of them. Events logged before every webhook
// was created need no matching, so with no webhooks the cursor is left
// where it is and the pass writes nothing.
func (s *Store) matchFrom(ctx context.Context, q queryer) (int64, error) {
	var cursor, seq int64
	var minAfter sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT c.matched, h.event_seq, (SELECT MIN(after_event) FROM webhooks) FROM webhook_cursor c, log_head h WHERE c.id = 1 AND h.id = 1`).
		Scan(&cursor, &seq, &minAfter)
	if err != nil {
		return 0, err
	}
	from := max(cursor, minAfter.Int64)
	if !minAfter.Valid || from >= seq {
		return -1, nil
	}
	return from, nil
}

// matchHooks returns every webhook, with the newest event id when each
// was created.
func (s *Store) matchHooks(ctx context.Context, q queryer) ([]*events.Webhook, map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, party_id, kinds, bbox, after_event FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var hooks []*events.Webhook
	after := map[string]int64{}
	for rows.Next() {
		w := new(events.Webhook)
		var kinds, bbox string
		var a int64
		if err := rows.Scan(&w.ID, &w.Party, &kinds, &bbox, &a); err != nil {
			return nil, nil, err
		}
		if kinds != "" {
			w.Kinds = strings.Split(kinds, ",")
		}
		if bbox != "" {
			w.BBox = new(events.BBox)
			if err := json.Unmarshal([]byte(bbox), w.BBox); err != nil {
				return nil, nil, err
			}
		}
		hooks, after[w.ID] = append(hooks, w), a
	}
	return hooks, after, rows.Err()
}
