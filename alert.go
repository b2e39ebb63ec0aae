package truce

import (
	"context"
	"encoding/json"
	"time"
)

// AlertKind says what an engine detected.
type AlertKind string

// Alert kinds raised by the airspace monitor. Later engines add theirs
// (convoy deviation, acknowledgement overdue, operation conflict,
// violation, guarantee breach).
const (
	AlertZoneEntry      AlertKind = "zone_entry"
	AlertZoneExit       AlertKind = "zone_exit"
	AlertPredictedEntry AlertKind = "predicted_entry"
	AlertProximity      AlertKind = "proximity"
	AlertSquawk         AlertKind = "emergency_squawk"
	// AlertTrackTableFull tells the coordinator that the monitor's track
	// table is full: positions of new aircraft are being refused or tracks
	// evicted. One alert opens the episode and one closes it.
	AlertTrackTableFull AlertKind = "track_table_full"
	// AlertNonConformance: an aircraft taking part in an active
	// operation flew outside the operation's volumes. Its episode ends
	// when it is back inside, the operation ends or the track is lost.
	AlertNonConformance AlertKind = "non_conformance"
	// AlertIntrusion: an aircraft of a party entered the volume of an
	// active operation of other parties. Its episode ends when the
	// aircraft leaves, the operation ends or the track is lost.
	AlertIntrusion AlertKind = "operation_intrusion"
)

// The kinds of the alerts about a humanitarian convoy under way (raised
// by package humanitarian, which names them too): off its route, stopped,
// silent, behind its schedule, in a zone of concern.
const (
	AlertConvoyDeviation AlertKind = "convoy_deviation"
	AlertConvoyStopped   AlertKind = "convoy_stopped"
	AlertConvoySilent    AlertKind = "convoy_silent"
	AlertConvoyBehind    AlertKind = "convoy_behind"
	AlertConvoyZoneEntry AlertKind = "convoy_zone_entry"
)

// AlertVisibility is who may read alert a. Most alerts are for every
// member. A conformance alert tells where an active operation is, which
// only its parties and the parties it is notified to may know: a
// non-conformance alert is for the parties concerned (the operation's,
// and its aircraft's), an intrusion alert for them, the intruding
// aircraft's party among them; that party learns the place, the kind and
// whom to contact, not the operation's plan. A convoy alert tells where
// the convoy is, which only those who may see its positions may know: its
// Parties are the movement's own party, the parties the movement was
// notified to and the coordinators.
func AlertVisibility(a *Alert) Visibility {
	switch a.Kind {
	case AlertNonConformance, AlertIntrusion,
		AlertConvoyDeviation, AlertConvoyStopped, AlertConvoySilent, AlertConvoyBehind, AlertConvoyZoneEntry:
		return Visibility{Scope: ScopeParties, Parties: a.Parties}
	}
	return Visibility{Scope: ScopeAll}
}

// AlertState is where an alert is in its lifecycle.
type AlertState string

// Alert states: open → acknowledged (every party concerned has
// acknowledged it, each for itself) → closed (by the monitoring mission or
// the coordinator). Closing does not wait for the acknowledgements, and an
// acknowledgement never closes.
const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertClosed       AlertState = "closed"
)

// AlertAircraft is an aircraft an alert is about.
type AlertAircraft struct {
	ICAO     string `json:"icao"`
	Callsign string `json:"callsign,omitempty"`
	Party    string `json:"party,omitempty"` // attributed party id
	Squawk   string `json:"squawk,omitempty"`
}

// Alert is a journalled record of something an engine detected, with the
// evidence it was detected on.
type Alert struct {
	ID       string          `json:"id"`
	Kind     AlertKind       `json:"kind"`
	State    AlertState      `json:"state"`
	Time     time.Time       `json:"time"`
	Lon      float64         `json:"lon"`
	Lat      float64         `json:"lat"`
	AltM     *float64        `json:"alt_m,omitempty"`
	Aircraft []AlertAircraft `json:"aircraft"`
	ZoneID   string          `json:"zone_id,omitempty"`
	ZoneName string          `json:"zone_name,omitempty"`
	// Summary is one human line ("RRR123 entered no-fly zone X at FL180").
	Summary string `json:"summary"`
	// Episode groups the alerts of one episode (an entry and its exit).
	Episode string `json:"episode,omitempty"`
	// Evidence is the engine's evidence: triggering positions and recent
	// track history.
	Evidence  json.RawMessage `json:"evidence,omitempty"`
	Relocated bool            `json:"relocated,omitempty"` // raised on a relocated (replayed) track
	// Parties are the parties concerned, each asked to acknowledge the
	// alert for itself (party ids): the signatories of the zone's
	// agreement for a zone alert, the aircraft's parties for a proximity
	// or an emergency.
	Parties []string `json:"parties,omitempty"`
	// Acks are the acknowledgements given, each a party's own, signed,
	// in the order given.
	Acks []AlertAck `json:"acks,omitempty"`
	// History is every step of the alert after it was raised, with its
	// note: acknowledgements, the end of its episode, closure.
	History []AlertStep `json:"history,omitempty"`
	// EndedAt and EndReason: when and why the episode the alert reports
	// ended (an entry by its exit, a predicted entry by the entry or by
	// expiry); nil while it goes on.
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
	// EndedBy is the alert that ended the episode (the entry that
	// fulfilled a predicted entry), when there is one.
	EndedBy string `json:"ended_by,omitempty"`
	// EndEvidence is the evidence of the episode's end: for an entry, its
	// exit's triggering positions and the track between entry and exit.
	EndEvidence json.RawMessage `json:"end_evidence,omitempty"`
	// AcknowledgedBy and AcknowledgedAt are kept for alerts acknowledged
	// before acknowledgements were per party; Acks holds them since.
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ClosedBy       string     `json:"closed_by,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	// Note is the note of alerts closed before notes were kept in
	// History; never written since.
	Note         string `json:"note,omitempty"`
	Version      int64  `json:"version"`
	JournalIndex int64  `json:"journal_index"`
}

// AlertAck is one party's acknowledgement of an alert: receipt, signed
// with the party's key over AlertAckStatement.
type AlertAck struct {
	Party     string    `json:"party"` // party id
	User      string    `json:"user"`  // user id
	Time      time.Time `json:"time"`
	Note      string    `json:"note,omitempty"`
	Signature string    `json:"signature"` // C2SP signed note
}

// AlertStep is one step of an alert's history.
type AlertStep struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"` // see the AlertStep actions
	Party  string    `json:"party,omitempty"`
	User   string    `json:"user,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// Actions of an AlertStep.
const (
	StepAcknowledged = "acknowledged"
	StepClosed       = "closed"
	StepEnded        = "ended" // the episode ended (EndReason says why)
)

// AlertAckInput is the input to AcknowledgeAlert: a note, and the signed
// note over AlertAckStatement for a party holding its own key (empty for a
// custodial party, whose key the server signs with).
type AlertAckInput struct {
	Note      string `json:"note,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// AlertFilter selects alerts; BBox is min lon, min lat, max lon, max lat.
type AlertFilter struct {
	Kind  AlertKind
	State AlertState
	// Ongoing selects the alerts whose episode has not ended and which
	// are not closed: what a duty officer still has to watch.
	Ongoing bool
	// Episode selects the alerts of one episode.
	Episode string
	// EpisodePrefix, lowercase hexadecimal digits as episode ids are,
	// selects the alerts whose episode begins with it (and may select
	// others beside: check). The journal writer finds by it an episode
	// named by an earlier release's rule (see airspace's legacyEpisodePrefix).
	EpisodePrefix string
	BBox          *BBox
	Since         time.Time
	Cursor        string
	Limit         int
}

// AlertService manages alerts.
type AlertService interface {
	// RaiseAlert records an alert from an engine (system actor only).
	RaiseAlert(ctx context.Context, a *Alert) (*Alert, error)
	FindAlert(ctx context.Context, id string) (*Alert, error)
	ListAlerts(ctx context.Context, f AlertFilter) ([]*Alert, string, error)
	// AcknowledgeAlert records the caller's party's acknowledgement,
	// signed (CanAcknowledge); CloseAlert closes it (CanClose). ECONFLICT
	// for a move not allowed, EFORBIDDEN for a caller who may not.
	AcknowledgeAlert(ctx context.Context, id string, in AlertAckInput) (*Alert, error)
	CloseAlert(ctx context.Context, id, note string) (*Alert, error)
}

// Aircraft is a registry entry by which a party claims an aircraft: by
// ICAO 24-bit address, or by callsign prefix for a fleet.
type Aircraft struct {
	ID             string    `json:"id"`
	PartyID        string    `json:"party_id"`
	ICAO           string    `json:"icao,omitempty"`            // 6 hex digits, upper case
	CallsignPrefix string    `json:"callsign_prefix,omitempty"` // e.g. "RFF"
	Note           string    `json:"note,omitempty"`
	Removed        bool      `json:"removed,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	Version        int64     `json:"version"`
	JournalIndex   int64     `json:"journal_index"`
}

// AircraftService manages each party's aircraft registry.
type AircraftService interface {
	// RegisterAircraft adds an entry for the caller's party (admins may
	// name another party). Returns EINVALID, ECONFLICT (claimed already).
	RegisterAircraft(ctx context.Context, a Aircraft) (*Aircraft, error)
	ListAircraft(ctx context.Context, party string) ([]*Aircraft, error)
	RemoveAircraft(ctx context.Context, id string) (*Aircraft, error)
}

// FeedSource is a configured position feed: an SBS-1 (BaseStation) TCP
// source the server connects to.
type FeedSource struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"` // "sbs"
	Addr         string    `json:"addr"` // host:port
	Name         string    `json:"name"`
	Removed      bool      `json:"removed,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Version      int64     `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// FeedService manages position feeds (admins and operators).
type FeedService interface {
	AddFeed(ctx context.Context, f FeedSource) (*FeedSource, error)
	ListFeeds(ctx context.Context) ([]*FeedSource, error)
	RemoveFeed(ctx context.Context, id string) (*FeedSource, error)
}
