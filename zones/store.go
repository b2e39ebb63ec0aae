package zones

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Store is what zones reads and writes: agreements, zones and their
// versions. internal/sqlstore implements it (its Zones view) and
// storetest checks it on both databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	// Agreements lists agreements ordered by id, from after f.Cursor.
	Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error)
	Zone(ctx context.Context, id string) (*truce.Zone, error)
	// Zones lists zones ordered by id, from after f.Cursor.
	Zones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, error)
	// ZoneVersions returns a zone's versions, oldest first.
	ZoneVersions(ctx context.Context, zoneID string) ([]*truce.ZoneVersion, error)
	// ZoneVersion returns one version of a zone, or ENOTFOUND.
	ZoneVersion(ctx context.Context, zoneID string, version int) (*truce.ZoneVersion, error)
	// ZoneVersionsInForce returns the approved proposal and change
	// versions whose in-force interval contains t.
	ZoneVersionsInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error)
	// ZoneVersionsInForceAfter returns those in force at any time at or
	// after t (the live index's content).
	ZoneVersionsInForceAfter(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error)
}

// Tx is the transaction zones writes in: the journal's, and the writes
// and reads of its records.
type Tx interface {
	journal.Tx
	// PutAgreement and PutZone insert a record at Version 1 and otherwise
	// update it if the stored version is Version-1 (EPRECONDITION if not).
	PutAgreement(ctx context.Context, a *truce.Agreement) error
	PutZone(ctx context.Context, z *truce.Zone) error
	// PutZoneVersion inserts or replaces a zone version.
	PutZoneVersion(ctx context.Context, v *truce.ZoneVersion) error
	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	Zone(ctx context.Context, id string) (*truce.Zone, error)
	ZoneVersion(ctx context.Context, zoneID string, version int) (*truce.ZoneVersion, error)
}
