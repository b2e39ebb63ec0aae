package control

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Store is what control reads and writes: actors, control areas,
// guarantees and breaches, and the agreements, zones and parties they
// name. internal/sqlstore implements it (its Control view) and storetest
// checks it on both databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	// Actor returns an actor by id or slug (ENOTFOUND).
	Actor(ctx context.Context, idOrSlug string) (*Actor, error)
	// Actors lists the actors by slug.
	Actors(ctx context.Context) ([]*Actor, error)
	// ControlArea returns a control area (ENOTFOUND).
	ControlArea(ctx context.Context, id string) (*ControlArea, error)
	// ControlAreas calls fn with every control area, oldest first, until
	// fn returns an error (which it returns).
	ControlAreas(ctx context.Context, fn func(*ControlArea) error) error
	// ControlAreaDocs calls fn with every control area's id and stored
	// JSON document, undecoded, oldest first, until fn returns an error
	// (which it returns): what a load checks against the journal
	// (journal.VouchDocs) before it decodes anything.
	ControlAreaDocs(ctx context.Context, fn func(id string, doc []byte) error) error
	// Guarantee returns a guarantee (ENOTFOUND).
	Guarantee(ctx context.Context, id string) (*Guarantee, error)
	// Guarantees lists the guarantees, oldest first.
	Guarantees(ctx context.Context) ([]*Guarantee, error)
	// Breach returns a breach (ENOTFOUND).
	Breach(ctx context.Context, id string) (*Breach, error)
	// Breaches lists the breaches, oldest first; with open, only those
	// not answered.
	Breaches(ctx context.Context, open bool) ([]*Breach, error)
	// BreachesOfArea lists the breaches a control area raised, oldest
	// first.
	BreachesOfArea(ctx context.Context, controlAreaID string) ([]*Breach, error)
	// JournalHeads returns the index of the newest journal entry of each
	// of kinds that has one.
	JournalHeads(ctx context.Context, kinds ...string) (map[string]int64, error)
	// KindJournal returns the journal entries of kind after index after,
	// oldest first, at most limit of them (as stored: CatchUp checks
	// them against the log).
	KindJournal(ctx context.Context, kind string, after int64, limit int) ([]*truce.JournalRecord, error)
	// BreachesOfIncident lists the breaches a verified incident raised,
	// oldest first.
	BreachesOfIncident(ctx context.Context, incidentID string) ([]*Breach, error)

	Agreement(ctx context.Context, id string) (*truce.Agreement, error)
	Zone(ctx context.Context, id string) (*truce.Zone, error)
	ZoneVersion(ctx context.Context, zoneID string, version int) (*truce.ZoneVersion, error)
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
}

// Tx is the transaction control writes in: the journal's, and the writes
// of its records. The updates write the record if the stored version is
// its Version-1, and return EPRECONDITION otherwise.
type Tx interface {
	journal.Tx
	InsertActor(ctx context.Context, a *Actor) error
	InsertControlArea(ctx context.Context, c *ControlArea) error
	UpdateControlArea(ctx context.Context, c *ControlArea) error
	InsertGuarantee(ctx context.Context, g *Guarantee) error
	// InsertBreach inserts a breach; ECONFLICT for a second breach of
	// one guarantee by one incident, or by one control area.
	InsertBreach(ctx context.Context, b *Breach) error
	UpdateBreach(ctx context.Context, b *Breach) error
	// OverdueBreaches returns the open breaches due before t.
	OverdueBreaches(ctx context.Context, t time.Time) ([]*Breach, error)
}
