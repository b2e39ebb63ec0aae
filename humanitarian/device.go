package humanitarian

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Device tokens: a convoy's tracker is often a phone running OsmAnd (or a
// Traccar unit), whose online tracking calls a URL template and can send
// no header. A device token, issued by the movement's party for one
// movement, goes in that URL (?id=TOKEN&lat={0}&lon={1}&timestamp={2}…):
// it reports that movement's positions and does nothing else, expires
// with the movement's arrival window, and is revoked by its party. Only
// its SHA-256 is stored; issue and revocation are journalled.

// KindConvoyDevice is the journal kind of a device token's record.
const KindConvoyDevice = "convoy_device"

// DeviceTokenPrefix starts every device token, so that one is told from an
// API token (and from a movement id) at a glance.
const DeviceTokenPrefix = "tcd_"

// MaxDevicesPerMovement bounds the live device tokens of one movement (a
// convoy's vehicles, and a spare).
const MaxDevicesPerMovement = 20

// DeviceGrace is how long after the end of its movement's arrival window a
// device token still reports (a convoy held up on the road).
const DeviceGrace = 24 * time.Hour

// ConvoyDevice is a device token's record (never the token itself).
type ConvoyDevice struct {
	ID         string    `json:"id"`
	MovementID string    `json:"movement_id"`
	PartyID    string    `json:"party_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"` // user id
	// ExpiresAt is when the token stops reporting: at the latest, the
	// end of the movement's arrival window plus DeviceGrace.
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Version      int64      `json:"version"`
	JournalIndex int64      `json:"journal_index"`
}

// DeviceIssue is the input to Service.IssueDevice.
type DeviceIssue struct {
	Name string `json:"name"`
	// ExpiresAt, when set, ends the token sooner than the movement's
	// arrival window does.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// IssuedDevice is a device token as issued: the record and the token,
// shown once.
type IssuedDevice struct {
	Device *ConvoyDevice `json:"device"`
	Token  string        `json:"token"`
}

// DeviceTokenHash is the hex SHA-256 of a device token: what is stored.
func DeviceTokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func deviceID(d *ConvoyDevice) string { return d.ID }

// ownMovement returns a movement its party (or an administrator) acts on.
func (s *Service) ownMovement(ctx context.Context, a *truce.Caller, movementID string) (*Movement, error) {
	if err := canNotify(a); err != nil {
		return nil, err
	}
	m, err := s.FindMovement(ctx, movementID)
	if err != nil {
		return nil, err
	}
	if m.PartyID != a.Party.ID && !a.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Movement %s is another party's: only its own party manages its trackers.", movementID)
	}
	return m, nil
}

// IssueDevice issues a device token for one movement, notified or under
// way: the caller acts for the movement's party. The token is returned
// once. Returns EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT (a movement not
// on the road, or MaxDevicesPerMovement live tokens already).
func (s *Service) IssueDevice(ctx context.Context, movementID string, in DeviceIssue) (*IssuedDevice, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return nil, truce.Errorf(truce.EINVALID, "A tracker has a name of 1 to 200 characters (the vehicle or phone it is on).")
	}
	m, err := s.ownMovement(ctx, a, movementID)
	if err != nil {
		return nil, err
	}
	if m.Status != MovementNotified && m.Status != MovementUnderWay {
		return nil, truce.Errorf(truce.ECONFLICT, "Movement %s is %s: trackers report while it is notified or under way.", m.ID, m.Status)
	}
	now := s.Now()
	until := m.Arrival.To.Add(DeviceGrace)
	if in.ExpiresAt != nil {
		e := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return nil, truce.Errorf(truce.EINVALID, "A tracker's expiry (%s) is in the past.", e.Format(time.RFC3339))
		}
		if e.Before(until) {
			until = e
		}
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	token := DeviceTokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	d := &ConvoyDevice{ID: truce.NewID(), MovementID: m.ID, PartyID: m.PartyID, Name: in.Name, CreatedAt: now, CreatedBy: a.User.ID,
		ExpiresAt: until, Version: 1}
	_, err = journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*ConvoyDevice, error) {
		live, err := tx.ConvoyDevices(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, o := range live {
			if o.RevokedAt == nil && o.ExpiresAt.After(now) {
				n++
			}
		}
		if n >= MaxDevicesPerMovement {
			return nil, truce.Errorf(truce.ECONFLICT, "Movement %s has %d live trackers already: revoke one first.", m.ID, n)
		}
		d.JournalIndex = w.Journal(truce.Change{Kind: KindConvoyDevice, Subject: d.ID, Body: d, New: true,
			Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: d.PartyID}})
		return d, tx.PutConvoyDevice(ctx, d, DeviceTokenHash(token))
	})
	if err != nil {
		return nil, err
	}
	return &IssuedDevice{Device: d, Token: token}, nil
}

// RevokeDevice revokes a movement's device token: its positions are
// refused from then on. Returns ENOTFOUND, EFORBIDDEN, ECONFLICT (revoked
// already).
func (s *Service) RevokeDevice(ctx context.Context, movementID, id string) (*ConvoyDevice, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.ownMovement(ctx, a, movementID); err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*ConvoyDevice, error) {
		d, err := tx.ConvoyDevice(ctx, id)
		if err != nil {
			return nil, err
		}
		if d.MovementID != movementID {
			return nil, truce.Errorf(truce.ENOTFOUND, "Movement %s has no tracker %s.", movementID, id)
		}
		if d.RevokedAt != nil {
			return nil, truce.Errorf(truce.ECONFLICT, "Tracker %s was revoked at %s.", id, d.RevokedAt.Format(time.RFC3339))
		}
		now := s.Now()
		next := *d
		next.RevokedAt, next.Version = &now, d.Version+1
		next.JournalIndex = w.Journal(truce.Change{Kind: KindConvoyDevice, Subject: d.ID, Body: &next,
			Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: d.PartyID}})
		return &next, tx.PutConvoyDevice(ctx, &next, "")
	})
}

// Devices lists a movement's device tokens (never the tokens), for its
// party.
func (s *Service) Devices(ctx context.Context, movementID string) ([]*ConvoyDevice, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.ownMovement(ctx, a, movementID); err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, KindConvoyDevice, func(ctx context.Context) ([]*ConvoyDevice, error) {
		return s.Store.ConvoyDevices(ctx, movementID)
	}, deviceID)
}

// ReportDevicePosition takes one position from a tracker holding a device
// token: the movement it was issued for, as its party would report it
// (ReportPosition). A token unknown, expired or revoked is EUNAUTHORIZED,
// whichever it is, so that a guess learns nothing.
func (s *Service) ReportDevicePosition(ctx context.Context, token string, p ConvoyPosition) (*PositionResult, error) {
	refused := truce.Errorf(truce.EUNAUTHORIZED, "The tracker's token is not valid: ask the movement's organisation for a new one.")
	if !strings.HasPrefix(token, DeviceTokenPrefix) || len(token) > 100 {
		return nil, refused
	}
	d, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (*ConvoyDevice, error) {
		d, err := s.Store.ConvoyDeviceByToken(ctx, DeviceTokenHash(token))
		if err != nil {
			return nil, err
		}
		return d, journal.VouchOne(ctx, s.Journal, KindConvoyDevice, d.ID, d, nil)
	})
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	if d.RevokedAt != nil || !s.Now().Before(d.ExpiresAt) {
		return nil, refused
	}
	return s.reportPosition(ctx, d.MovementID, p, func(*Movement) error { return nil })
}
