package humanitarian

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Movement is one version of a humanitarian movement (a convoy); the
// latest is the movement. Each step of its life is a version, journalled;
// a version whose step is a notification is transmitted to every party
// the agreement names.
type Movement struct {
	ID          string `json:"id"`
	AgreementID string `json:"agreement_id"`
	PartyID     string `json:"party_id"` // the notifying party
	MovementFields
	Status MovementStatus `json:"status"`
	// Notified is the version last notified (0 while a draft): the one
	// the parties answer, whatever steps followed it.
	Notified int64          `json:"notified"`
	PCodes   []string       `json:"pcodes"`
	BBox     truce.BBox     `json:"bbox"`
	LeadTime truce.Duration `json:"lead_time"`
	Late     bool           `json:"late"` // notified with less notice than the lead time
	// Hazards are the hazards on its route found when this version was
	// recorded (RouteHazards): notice, never a refusal.
	Hazards      []Hazard  `json:"hazards,omitempty"`
	Hash         string    `json:"hash"`
	ChangedAt    time.Time `json:"changed_at"`
	ChangedBy    string    `json:"changed_by"` // user id
	Version      int64     `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// MovementCreate is the input to Service.CreateMovement: a draft, or,
// with Notify, a movement notified at once.
type MovementCreate struct {
	AgreementID string `json:"agreement_id" required:"true"`
	MovementFields
	Notify bool `json:"notify,omitempty"`
}

// MovementStep is the input to Service.MoveMovement: the status the
// movement moves to and, when it is notified again after a postponement,
// what it now is (its new windows).
type MovementStep struct {
	Status MovementStatus  `json:"status" required:"true"`
	Fields *MovementFields `json:"fields,omitempty"`
}

// MovementBoard is who acknowledged a movement's notification, who raised
// a concern and who is silent.
type MovementBoard struct {
	Movement *Movement  `json:"movement"`
	Rows     []BoardRow `json:"rows"`
	Current  bool       `json:"current"` // the version is the latest notified
	Note     string     `json:"note"`
}

// MovementHash is the hex SHA-256 of the canonical JSON (RFC 8785) of a
// movement version, but for its hash and journal index.
func MovementHash(m *Movement) (string, error) {
	c := *m
	c.Hash, c.JournalIndex = "", 0
	raw, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	b, err := jcs.Transform(raw)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

func cleanMovement(f *MovementFields) (orb.LineString, error) {
	f.Name, f.Organisation = strings.TrimSpace(f.Name), strings.TrimSpace(f.Organisation)
	f.Cargo, f.Contacts = strings.TrimSpace(f.Cargo), strings.TrimSpace(f.Contacts)
	l, err := CheckMovement(f)
	if err != nil {
		return nil, err
	}
	if f.Route, err = json.Marshal(struct {
		Type        string         `json:"type"`
		Coordinates orb.LineString `json:"coordinates"`
	}{"LineString", l}); err != nil {
		return nil, err
	}
	return l, nil
}

// CreateMovement records a movement, version 1: a draft, or notified at
// once (c.Notify) with its transmissions in the same write. A late
// notification (less notice before departure than the agreement's lead
// time, the emergency one for an emergency movement) is flagged, never
// refused. Returns EINVALID, ENOTFOUND, EUNPROCESSABLE, EFORBIDDEN.
func (s *Service) CreateMovement(ctx context.Context, c MovementCreate) (*Movement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := canNotify(a); err != nil {
		return nil, err
	}
	route, err := cleanMovement(&c.MovementFields)
	if err != nil {
		return nil, err
	}
	hazards, err := s.hazards().RouteHazards(ctx, route, &c.MovementFields)
	if err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Movement, error) {
		now := s.Now()
		ag, to, err := s.addressees(ctx, tx, c.AgreementID, a.Party.ID, now)
		if err != nil {
			return nil, err
		}
		m := &Movement{ID: truce.NewID(), AgreementID: ag.ID, PartyID: a.Party.ID, MovementFields: c.MovementFields, Status: MovementDraft, Version: 1, Hazards: hazards}
		m.PCodes, m.BBox = s.Areas.PCodes(route), bbox(route, m.CorridorM)
		if c.Notify {
			m.Status = MovementNotified
		}
		return m, s.recordMovement(ctx, tx, w, a, ag, to, m, now)
	})
}

// MoveMovement records the next step of a movement's life (a version):
// notified (from a draft, or again after a postponement, with its new
// fields), under way, arrived, aborted or postponed. A notification is
// transmitted again. ifVersion, when not 0, is the version the caller
// read. Returns EINVALID, ECONFLICT (a move its status does not allow),
// EPRECONDITION, EFORBIDDEN.
func (s *Service) MoveMovement(ctx context.Context, id string, ifVersion int64, step MovementStep) (*Movement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := canNotify(a); err != nil {
		return nil, err
	}
	var route orb.LineString
	if step.Fields != nil {
		if step.Status != MovementNotified {
			return nil, truce.Errorf(truce.EINVALID, "A movement's fields change only when it is notified again.")
		}
		if route, err = cleanMovement(step.Fields); err != nil {
			return nil, err
		}
	}
	var hazards []Hazard
	if step.Fields != nil {
		if hazards, err = s.hazards().RouteHazards(ctx, route, step.Fields); err != nil {
			return nil, err
		}
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Movement, error) {
		prev, err := tx.Movement(ctx, id)
		if err != nil {
			return nil, err
		}
		if prev.PartyID != a.Party.ID && !a.IsAdmin() {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Movement %s was notified by another party.", id)
		}
		if ifVersion != 0 && ifVersion != prev.Version {
			return nil, truce.Errorf(truce.EPRECONDITION, "Movement %s is at version %d, not %d.", id, prev.Version, ifVersion)
		}
		if !prev.Status.CanMove(step.Status) {
			return nil, truce.Errorf(truce.ECONFLICT, "Movement %s is %s: it cannot become %s.", id, prev.Status, step.Status)
		}
		now := s.Now()
		ag, to, err := s.addressees(ctx, tx, prev.AgreementID, prev.PartyID, now)
		if err != nil {
			return nil, err
		}
		m := *prev
		m.Status, m.Version = step.Status, prev.Version+1
		if step.Fields != nil {
			m.MovementFields = *step.Fields
			m.PCodes, m.BBox = s.Areas.PCodes(route), bbox(route, m.CorridorM)
			m.Hazards = hazards
		}
		return &m, s.recordMovement(ctx, tx, w, a, ag, to, &m, now)
	})
}

// recordMovement journals and stores a movement version, and transmits it
// when it is a notification.
func (s *Service) recordMovement(ctx context.Context, tx Tx, w *journal.Writer, a *truce.Caller, ag *truce.Agreement, to []string, m *Movement, now time.Time) error {
	m.ChangedAt, m.ChangedBy = now, a.User.ID
	notify := m.Status == MovementNotified
	if notify {
		m.Notified = m.Version
		m.LeadTime = LeadTime(ag.Rules, KindMovement, string(m.Kind.Or()), m.Emergency)
		m.Late = MovementLate(ag.Rules, m.Kind, m.Emergency, m.Departure.From, now)
	}
	h, err := MovementHash(m)
	if err != nil {
		return err
	}
	m.Hash = h
	bb := m.BBox
	m.JournalIndex = w.Journal(truce.Change{Kind: KindMovement, Subject: m.ID, Body: m, New: m.Version == 1,
		Visibility: truce.Visibility{Scope: truce.ScopeAll},
		Event: &truce.Event{Data: map[string]any{"id": m.ID, "version": m.Version, "name": m.Name, "status": m.Status,
			"party_id": m.PartyID, "hash": m.Hash, "late": m.Late, "emergency": m.Emergency}, BBox: &bb}})
	if err := tx.PutMovement(ctx, m); err != nil {
		return err
	}
	if !notify {
		return nil
	}
	return s.transmit(ctx, tx, w, ag, to, KindMovement, m.ID, m.Version, m.Hash, m.PartyID, m.Late, bb, now)
}

// FindMovement returns a movement's latest version; movements are visible
// to every member party.
func (s *Service) FindMovement(ctx context.Context, id string) (*Movement, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, KindMovement, func(ctx context.Context) (*Movement, error) {
		return s.Store.Movement(ctx, id)
	}, movementID)
}

func movementID(m *Movement) string { return m.ID }

// MovementVersions returns every version of a movement, oldest first.
func (s *Service) MovementVersions(ctx context.Context, id string) ([]*Movement, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return vouchedVersions(ctx, s.Journal, KindMovement, id, func(ctx context.Context) ([]*Movement, error) {
		return s.Store.MovementVersions(ctx, id)
	}, func(v *Movement) int64 { return v.Version })
}

// ListMovements returns a page of movements and the next page's cursor.
func (s *Service) ListMovements(ctx context.Context, f MovementFilter) ([]*Movement, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	limit := truce.PageLimit(f.Limit)
	f.Limit = limit + 1
	out, err := journal.VouchedRead(ctx, s.Journal, KindMovement, func(ctx context.Context) ([]*Movement, error) {
		return s.Store.Movements(ctx, f)
	}, movementID)
	if err != nil {
		return nil, "", err
	}
	return page(out, limit, movementID)
}

// MovementBoard returns, for one notified version of a movement (0: the
// latest notified), who acknowledged it, who raised a concern and who is
// silent.
func (s *Service) MovementBoard(ctx context.Context, id string, version int64) (*MovementBoard, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	latest, err := s.FindMovement(ctx, id)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = latest.Notified
	}
	vs, err := s.MovementVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	m := versionOf(vs, version, func(v *Movement) int64 { return v.Version })
	if m == nil {
		return nil, truce.Errorf(truce.ENOTFOUND, "Movement %s has no version %d.", id, version)
	}
	rows, err := s.boardRows(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return &MovementBoard{Movement: m, Rows: rows, Current: version == latest.Notified, Note: ReceiptNotPermission}, nil
}
