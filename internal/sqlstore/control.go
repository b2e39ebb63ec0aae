// control.go holds actors, control areas, guarantees and breaches: their
// reads, their writes, and the Store's control.Store view. Each is stored
// as its JSON body beside the columns its reads select on.

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// Control returns the store as control sees it: its reads, and Update
// with the transaction as a control.Tx.
func (s *Store) Control() control.Store { return controlStore{s} }

type controlStore struct{ *Store }

func (c controlStore) Update(ctx context.Context, fn func(control.Tx) error) error {
	return c.update(ctx, func(t *tx) error { return fn(t) })
}

func (c controlStore) Actor(ctx context.Context, idOrSlug string) (*control.Actor, error) {
	a, err := scanDoc[control.Actor](c.reader(ctx).QueryRowContext(ctx, c.rb.q(`SELECT body FROM control_actors WHERE id = ? OR slug = ?`), idOrSlug, idOrSlug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Actor", idOrSlug)
	}
	return a, c.wrap(err)
}

func (c controlStore) Actors(ctx context.Context) ([]*control.Actor, error) {
	return docs[control.Actor](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_actors ORDER BY slug`)
}

func (c controlStore) ControlArea(ctx context.Context, id string) (*control.ControlArea, error) {
	a, err := scanDoc[control.ControlArea](c.reader(ctx).QueryRowContext(ctx, c.rb.q(`SELECT body FROM control_areas WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Control area", id)
	}
	return a, c.wrap(err)
}

func (c controlStore) ControlAreas(ctx context.Context, fn func(*control.ControlArea) error) error {
	rows, err := c.reader(ctx).QueryContext(ctx, `SELECT body FROM control_areas ORDER BY id`)
	if err != nil {
		return c.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanDoc[control.ControlArea](rows)
		if err != nil {
			return c.wrap(err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return c.wrap(rows.Err())
}

func (c controlStore) ControlAreaDocs(ctx context.Context, fn func(id string, doc []byte) error) error {
	rows, err := c.reader(ctx).QueryContext(ctx, `SELECT id, body FROM control_areas ORDER BY id`)
	if err != nil {
		return c.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return c.wrap(err)
		}
		if err := fn(id, doc); err != nil {
			return err
		}
	}
	return c.wrap(rows.Err())
}

func (c controlStore) Guarantee(ctx context.Context, id string) (*control.Guarantee, error) {
	g, err := scanDoc[control.Guarantee](c.reader(ctx).QueryRowContext(ctx, c.rb.q(`SELECT body FROM control_guarantees WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Guarantee", id)
	}
	return g, c.wrap(err)
}

func (c controlStore) Guarantees(ctx context.Context) ([]*control.Guarantee, error) {
	return docs[control.Guarantee](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_guarantees ORDER BY id`)
}

func (c controlStore) Breach(ctx context.Context, id string) (*control.Breach, error) {
	b, err := scanDoc[control.Breach](c.reader(ctx).QueryRowContext(ctx, c.rb.q(`SELECT body FROM control_breaches WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Breach", id)
	}
	return b, c.wrap(err)
}

func (c controlStore) Breaches(ctx context.Context, open bool) ([]*control.Breach, error) {
	if open {
		return docs[control.Breach](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_breaches WHERE status <> ? AND status <> ? ORDER BY id`, string(control.BreachAnswered), string(control.BreachWithdrawn))
	}
	return docs[control.Breach](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_breaches ORDER BY id`)
}

func (c controlStore) BreachesOfIncident(ctx context.Context, incidentID string) ([]*control.Breach, error) {
	return docs[control.Breach](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_breaches WHERE incident_id = ? ORDER BY id`, incidentID)
}

func (c controlStore) BreachesOfArea(ctx context.Context, controlAreaID string) ([]*control.Breach, error) {
	return docs[control.Breach](ctx, c.Store, c.reader(ctx), `SELECT body FROM control_breaches WHERE control_area_id = ? ORDER BY id`, controlAreaID)
}

// dueText is a time as the due column holds it: fixed-width UTC, so that
// text order is time order on both databases.
func dueText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// body returns a control record's stored document: its JSON in RFC 8785
// form, which is its journal entry's body (Change.Seal) byte for byte, so
// that a load checks a row against its entry by comparing the two
// (journal.VouchDocs) rather than decoding the row.
func body(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	c, err := truce.AppendCanonical(make([]byte, 0, len(b)), b)
	return string(c), err
}

func (t *tx) InsertActor(_ context.Context, a *control.Actor) error {
	b, err := body(a)
	if err != nil {
		return err
	}
	return t.insert(`INSERT INTO control_actors (id, slug, body, version, journal_index) VALUES (?, ?, ?, ?, ?)`, a.ID, a.Slug, b, a.Version, a.JournalIndex)
}

func (t *tx) InsertControlArea(_ context.Context, c *control.ControlArea) error {
	b, err := body(c)
	if err != nil {
		return err
	}
	return t.insert(`INSERT INTO control_areas (id, actor_id, body, version, journal_index) VALUES (?, ?, ?, ?, ?)`, c.ID, c.ActorID, b, c.Version, c.JournalIndex)
}

func (t *tx) UpdateControlArea(_ context.Context, c *control.ControlArea) error {
	b, err := body(c)
	if err != nil {
		return err
	}
	return t.updateVersioned("Control area", `UPDATE control_areas SET body = ?, version = ?, journal_index = ? WHERE id = ? AND version = ?`, b, c.Version, c.JournalIndex, c.ID, c.Version-1)
}

func (t *tx) InsertGuarantee(_ context.Context, g *control.Guarantee) error {
	b, err := body(g)
	if err != nil {
		return err
	}
	return t.insert(`INSERT INTO control_guarantees (id, agreement_id, body, version, journal_index) VALUES (?, ?, ?, ?, ?)`, g.ID, g.AgreementID, b, g.Version, g.JournalIndex)
}

func (t *tx) InsertBreach(_ context.Context, br *control.Breach) error {
	b, err := body(br)
	if err != nil {
		return err
	}
	// A breach of a control change has no incident, one of an incident
	// no control area: NULL, which the unique indexes on (incident_id,
	// guarantee_id) and (control_area_id, guarantee_id) do not compare.
	var incident, area any
	if br.IncidentID != "" {
		incident = br.IncidentID
	}
	if br.ControlAreaID != "" {
		area = br.ControlAreaID
	}
	return t.insert(`INSERT INTO control_breaches (id, guarantee_id, status, due, body, version, journal_index, incident_id, control_area_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		br.ID, br.GuaranteeID, string(br.Status), dueText(br.Due), b, br.Version, br.JournalIndex, incident, area)
}

func (t *tx) UpdateBreach(_ context.Context, br *control.Breach) error {
	b, err := body(br)
	if err != nil {
		return err
	}
	return t.updateVersioned("Breach", `UPDATE control_breaches SET status = ?, body = ?, version = ?, journal_index = ? WHERE id = ? AND version = ?`,
		string(br.Status), b, br.Version, br.JournalIndex, br.ID, br.Version-1)
}

func (t *tx) OverdueBreaches(_ context.Context, at time.Time) ([]*control.Breach, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return docs[control.Breach](t.ctx, t.s, t.tx, `SELECT body FROM control_breaches WHERE status = ? AND due < ? ORDER BY id`, string(control.BreachOpen), dueText(at))
}

func (t *tx) updateVersioned(what, q string, args ...any) error {
	res, err := t.exec(q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.EPRECONDITION, "%s %q was changed by someone else; reload and retry.", what, args[len(args)-2])
	}
	return nil
}

// checkControlColumns calls fn for every control row whose columns (what
// the queries select on: an area's actor, a breach's status, due time and
// incident) differ from its document: part of CheckStateColumns.
func (s *Store) checkControlColumns(ctx context.Context, fn func(record, problem string)) error {
	differ := func(kind, id string) {
		fn(kind+" "+id, fmt.Sprintf("The %s %s: the stored columns differ from its document", strings.ReplaceAll(kind, "_", " "), id))
	}
	err := s.scanRows(ctx, `SELECT id, slug, version, journal_index, body FROM control_actors`, func(rows *sql.Rows) error {
		var id, slug, doc string
		var version, idx int64
		if err := rows.Scan(&id, &slug, &version, &idx, &doc); err != nil {
			return err
		}
		var a control.Actor
		if json.Unmarshal([]byte(doc), &a) != nil || a.ID != id || a.Slug != slug || a.Version != version || a.JournalIndex != idx {
			differ(control.KindActor, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, `SELECT id, actor_id, version, journal_index, body FROM control_areas`, func(rows *sql.Rows) error {
		var id, actor, doc string
		var version, idx int64
		if err := rows.Scan(&id, &actor, &version, &idx, &doc); err != nil {
			return err
		}
		var c control.ControlArea
		if json.Unmarshal([]byte(doc), &c) != nil || c.ID != id || c.ActorID != actor || c.Version != version || c.JournalIndex != idx {
			differ(control.KindControlArea, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.scanRows(ctx, `SELECT id, agreement_id, version, journal_index, body FROM control_guarantees`, func(rows *sql.Rows) error {
		var id, ag, doc string
		var version, idx int64
		if err := rows.Scan(&id, &ag, &version, &idx, &doc); err != nil {
			return err
		}
		var g control.Guarantee
		if json.Unmarshal([]byte(doc), &g) != nil || g.ID != id || g.AgreementID != ag || g.Version != version || g.JournalIndex != idx {
			differ(control.KindGuarantee, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.scanRows(ctx, `SELECT id, guarantee_id, status, due, incident_id, control_area_id, version, journal_index, body FROM control_breaches`, func(rows *sql.Rows) error {
		var id, g, status, due, doc string
		var incident, area sql.NullString
		var version, idx int64
		if err := rows.Scan(&id, &g, &status, &due, &incident, &area, &version, &idx, &doc); err != nil {
			return err
		}
		var b control.Breach
		if json.Unmarshal([]byte(doc), &b) != nil || b.ID != id || b.GuaranteeID != g || string(b.Status) != status || dueText(b.Due) != due ||
			b.IncidentID != incident.String || b.ControlAreaID != area.String || b.Version != version || b.JournalIndex != idx {
			differ(control.KindBreach, id)
		}
		return nil
	})
}
