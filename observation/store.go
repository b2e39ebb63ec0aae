package observation

import (
	"context"
	"time"

	"github.com/truce-project/truce"

	"github.com/truce-project/truce/journal"
)

// Store is what observation reads and writes: observations and incidents.
// internal/sqlstore implements it (its Observation view) and storetest
// checks it on both databases.
type Store interface {
	// Update runs fn in one transaction; a change that was not
	// journalled is rolled back (see journal.Write).
	journal.Store[Tx]

	// Observation returns an observation (ENOTFOUND).
	Observation(ctx context.Context, id string) (*Observation, error)
	// Observations lists observations by id, after f.Cursor.
	Observations(ctx context.Context, f Filter) ([]*Observation, error)
	// Incident returns an incident (ENOTFOUND).
	Incident(ctx context.Context, id string) (*Incident, error)
	// Incidents lists incidents by id, after f.Cursor.
	Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error)
	// IncidentDocs lists the same incidents as their stored documents
	// (journal.VouchDocs checks them against their entries undecoded).
	IncidentDocs(ctx context.Context, f IncidentFilter) ([]journal.Doc, error)
	// Evidence returns an evidence record by its SHA-256 (ENOTFOUND).
	Evidence(ctx context.Context, sha256 string) (*Evidence, error)
	// EvidenceFile returns a stored file by its SHA-256 (ENOTFOUND).
	EvidenceFile(ctx context.Context, sha256 string) ([]byte, error)
	// Publication returns a day's report publication and the report's
	// bytes (ENOTFOUND).
	Publication(ctx context.Context, day string) (*Publication, []byte, error)
}

// Filter selects observations.
type Filter struct {
	IncidentID string
	Cursor     string
	Limit      int
}

// IncidentFilter selects incidents; From and Until, when set, bound
// their start (From ≤ start < Until).
type IncidentFilter struct {
	Status      Status
	From, Until time.Time
	Cursor      string
	Limit       int
	// ByStart lists them by start, then id, after (AfterStart, Cursor):
	// a day's incidents read a page at a time by the start index, each
	// row once (the daily report), where by id each page would read
	// through the other days' incidents.
	ByStart    bool
	AfterStart time.Time
}

// Tx is the transaction observation writes in: the journal's, and the
// writes and reads of its records.
type Tx interface {
	journal.Tx
	// PutObservation inserts (Version 1) or updates (the stored version is
	// Version-1, EPRECONDITION otherwise) an observation.
	PutObservation(ctx context.Context, o *Observation) error
	// PutIncident does the same for an incident.
	PutIncident(ctx context.Context, inc *Incident) error
	Incident(ctx context.Context, id string) (*Incident, error)
	// IncidentObservations returns an incident's observations by id.
	IncidentObservations(ctx context.Context, incidentID string) ([]*Observation, error)
	// PutEvidence inserts an evidence record (Version 1).
	PutEvidence(ctx context.Context, e *Evidence) error
	// PutEvidenceFile stores a file under its SHA-256, once (a file
	// stored already is left as it is).
	PutEvidenceFile(ctx context.Context, sha256 string, data []byte) error
	// Publication returns a day's report publication (ENOTFOUND).
	Publication(ctx context.Context, day string) (*Publication, error)
	// PutPublication inserts (Version 1) or updates a publication with
	// the report's bytes.
	PutPublication(ctx context.Context, p *Publication, report []byte) error
	// PutAlert inserts an alert (a violation's) at Version 1.
	PutAlert(ctx context.Context, a *truce.Alert) error
}
