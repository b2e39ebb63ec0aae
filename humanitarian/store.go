package humanitarian

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Store is what humanitarian reads and writes: sites and their versions,
// transmissions, and the agreements and parties it reads to address
// them. internal/sqlstore implements it (its Humanitarian view) and
// storetest checks it on both databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	// Site returns a site's latest version (ENOTFOUND); RecordVersion one
	// version of it; SiteVersions every version, oldest first.
	Site(ctx context.Context, id string) (*Site, error)
	SiteVersion(ctx context.Context, id string, version int64) (*Site, error)
	SiteVersions(ctx context.Context, id string) ([]*Site, error)
	// Sites lists sites' latest versions ordered by id.
	Sites(ctx context.Context, f SiteFilter) ([]*Site, error)
	// Transmission returns one transmission (ENOTFOUND); Transmissions
	// lists them ordered by id.
	Transmission(ctx context.Context, id string) (*Transmission, error)
	Transmissions(ctx context.Context, f TransmissionFilter) ([]*Transmission, error)

	// Movement returns a movement's latest version (ENOTFOUND);
	// MovementVersions every version, oldest first; Movements lists
	// movements' latest versions ordered by id.
	Movement(ctx context.Context, id string) (*Movement, error)
	MovementVersion(ctx context.Context, id string, version int64) (*Movement, error)
	MovementVersions(ctx context.Context, id string) ([]*Movement, error)
	Movements(ctx context.Context, f MovementFilter) ([]*Movement, error)

	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	// Parties lists parties ordered by id (the coordinators a convoy
	// alert is for).
	Parties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, error)

	// Notices returns the reminders sent and the overdue alert raised
	// about a transmission, oldest first.
	Notices(ctx context.Context, transmission string) ([]Notice, error)

	// ConvoyTrack returns a convoy's tracking state as last reported
	// (ENOTFOUND when it has reported nothing); PutConvoyTrack stores it
	// unless a newer one (by its last position's time) is stored already.
	// Positions are not journalled (the live path): the state is what a
	// restarted server, or another one, goes on from.
	ConvoyTrack(ctx context.Context, movementID string) (*ConvoyTrack, error)
	PutConvoyTrack(ctx context.Context, movementID string, t *ConvoyTrack) error

	// ConvoyDeviceByToken returns the device token whose SHA-256 is
	// tokenHash (ENOTFOUND); ConvoyDevices a movement's, ordered by id.
	ConvoyDeviceByToken(ctx context.Context, tokenHash string) (*ConvoyDevice, error)
	ConvoyDevices(ctx context.Context, movementID string) ([]*ConvoyDevice, error)
}

// Tx is the transaction humanitarian writes in: the journal's, and the
// writes and reads of its records.
type Tx interface {
	journal.Tx
	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	Site(ctx context.Context, id string) (*Site, error)
	// PutSite stores a new version of a site: it inserts the site at
	// Version 1, and otherwise replaces it if the stored version is
	// Version-1 (EPRECONDITION if not); every version is kept.
	PutSite(ctx context.Context, s *Site) error
	Movement(ctx context.Context, id string) (*Movement, error)
	// PutMovement stores a new version of a movement, as PutSite a site's.
	PutMovement(ctx context.Context, m *Movement) error
	Transmission(ctx context.Context, id string) (*Transmission, error)
	// PutTransmission inserts a transmission at Version 1, and otherwise
	// replaces it if the stored version is Version-1 (EPRECONDITION).
	PutTransmission(ctx context.Context, t *Transmission) error
	// Notices returns the notices sent about a transmission.
	Notices(ctx context.Context, transmission string) ([]Notice, error)
	// PutNotice records a notice about a transmission: once per
	// transmission, kind and seq (ECONFLICT the second time).
	PutNotice(ctx context.Context, n *Notice) error
	// SetNextNotice sets when the next notice about a pending
	// transmission falls due (nil: none).
	SetNextNotice(ctx context.Context, transmission string, at *time.Time) error
	// PutAlert inserts an alert (an overdue acknowledgement's) at Version 1.
	PutAlert(ctx context.Context, a *truce.Alert) error
	// ConvoyDevice returns a device token's record (ENOTFOUND);
	// ConvoyDevices a movement's, ordered by id.
	ConvoyDevice(ctx context.Context, id string) (*ConvoyDevice, error)
	ConvoyDevices(ctx context.Context, movementID string) ([]*ConvoyDevice, error)
	// PutConvoyDevice inserts a device token's record at Version 1 with
	// its token's hash, and otherwise replaces it if the stored version is
	// Version-1 (EPRECONDITION; tokenHash is then unused).
	PutConvoyDevice(ctx context.Context, d *ConvoyDevice, tokenHash string) error
}

// SiteFilter selects sites. Cursor and Limit page through results.
type SiteFilter struct {
	Agreement string
	Party     string // the notifying party's id
	// BBox (minLon, minLat, maxLon, maxLat) keeps the sites whose buffered
	// bounding box meets it.
	BBox   *truce.BBox
	Cursor string
	Limit  int
}

// MovementFilter selects movements. Cursor and Limit page through results.
type MovementFilter struct {
	Agreement string
	Status    MovementStatus
	Cursor    string
	Limit     int
}

// TransmissionFilter selects transmissions. Cursor and Limit page through
// results.
type TransmissionFilter struct {
	To            string // the receiving party's id
	RecordID      string
	RecordVersion int64
	// Pending keeps the unanswered transmissions of sites' and
	// movements' latest versions: a party's inbox.
	Pending bool
	// NoticeDue, with Pending, keeps the transmissions whose next
	// reminder or overdue alert falls due at or before it.
	NoticeDue *time.Time
	Cursor    string
	Limit     int
}
