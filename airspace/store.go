package airspace

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Store is what the air picture's records are read from and written to:
// alerts, the aircraft registry and the feeds. internal/sqlstore
// implements it (its Airspace view) and storetest checks it on both
// databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	// Alert returns an alert, or ENOTFOUND.
	Alert(ctx context.Context, id string) (*truce.Alert, error)
	// Alerts lists alerts newest first; the cursor is the last id seen.
	Alerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, error)
	// AircraftList lists a party's registry entries ("" for every party),
	// without removed ones.
	AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error)
	// Feeds lists the configured feeds, without removed ones.
	Feeds(ctx context.Context) ([]*truce.FeedSource, error)
}

// Tx is the transaction the air picture's records are written in: the
// journal's, and the writes and reads of its records.
type Tx interface {
	journal.Tx
	// PutAlert, PutAircraft and PutFeed insert a record at Version 1 and
	// otherwise update it if the stored version is Version-1
	// (EPRECONDITION if not).
	PutAlert(ctx context.Context, a *truce.Alert) error
	PutAircraft(ctx context.Context, a *truce.Aircraft) error
	PutFeed(ctx context.Context, f *truce.FeedSource) error
	Alert(ctx context.Context, id string) (*truce.Alert, error)
	// AlertsByID returns the alerts of ids, by id, in one read (the
	// journal writer's ends of stored episodes); ENOTFOUND if one is
	// missing.
	AlertsByID(ctx context.Context, ids []string) (map[string]*truce.Alert, error)
	Aircraft(ctx context.Context, id string) (*truce.Aircraft, error)
	Feed(ctx context.Context, id string) (*truce.FeedSource, error)
}
