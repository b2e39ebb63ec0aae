package monitor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"

	"github.com/truce-project/truce/feed"
)

// Kind is what an alert reports.
type Kind string

// The kinds of alert the engine raises.
const (
	KindZoneEntry       Kind = "zone_entry"
	KindZoneExit        Kind = "zone_exit"
	KindPredictedEntry  Kind = "predicted_entry"
	KindProximity       Kind = "proximity"
	KindEmergencySquawk Kind = "emergency_squawk"
	// KindPredictionEnded ends a predicted entry's episode: the aircraft
	// entered the zone (ReasonEntered, EndedBy naming the entry's
	// episode), was no longer predicted to (ReasonNoEntry) or was lost.
	KindPredictionEnded Kind = "predicted_entry_end"
	// KindProximityEnded ends a proximity episode: the aircraft separated
	// beyond the minima and margin (ReasonSeparated) or one was lost.
	KindProximityEnded Kind = "proximity_end"
)

// The Reason of an alert.
const (
	ReasonLeft         = "left"          // zone_exit: the aircraft flew out of the area or band
	ReasonZoneInactive = "zone_inactive" // zone_exit: the zone left force or stopped being watched
	ReasonTrackLost    = "track_lost"    // zone_exit: the track went stale inside the zone
	ReasonZoneChange   = "zone_change"   // zone_entry: a zone came into force around the aircraft
	ReasonEntered      = "entered"       // predicted_entry_end: the aircraft entered the zone
	// ReasonNoEntry (predicted_entry_end): the aircraft was no longer
	// predicted to enter within the look-ahead for PredictHold.
	ReasonNoEntry    = "no entry within look-ahead"
	ReasonSeparated  = "separated"  // proximity_end: the aircraft are apart beyond the minima
	ReasonAttributed = "attributed" // proximity_end: an aircraft's party changed
)

// Point is one position of a track as kept for evidence. AltFt is NaN when
// no altitude was known; GroundSpeedKt and TrackDeg are NaN when no velocity
// was known.
type Point struct {
	Time          time.Time
	Lat, Lon      float64
	AltFt         float64
	GroundSpeedKt float64
	TrackDeg      float64
}

// Aircraft is an alert's account of one aircraft.
type Aircraft struct {
	ICAO      uint32
	Callsign  string
	Party     string // "" when the aircraft is not attributed to a party
	Squawk    feed.Squawk
	HasSquawk bool
	// Relocated is true when the track's positions were relocated (a
	// recording replayed elsewhere, feed.Position.Relocated): what it
	// reports did not happen there.
	Relocated bool

	// Position is the position that triggered the alert.
	Position Point
	// Trigger holds the positions that decided the alert, oldest first,
	// ending with Position: the Config.Confirm positions of a zone entry or
	// exit, the single current position otherwise.
	Trigger []Point
	// History is the track's downsampled recent history, oldest first.
	History []Point
}

// Alert is one thing the engine detected. Entry and exit alerts of the same
// episode share Episode; the id is derived from the episode's kind, aircraft,
// zone or other aircraft, and start time, so a replay of the same positions
// gives the same ids (a journal can use it as an idempotency key).
type Alert struct {
	Kind    Kind
	Episode string
	Time    time.Time // time of the triggering position, or of the change or expiry
	Reason  string    // see the Reason constants; "" when there is nothing to add

	Aircraft Aircraft
	ZoneID   string // zone alerts and predicted entries
	// OperationID is the operation whose volumes a conformance alert is
	// about.
	OperationID string
	Other       *Aircraft // proximity: the other aircraft

	// HorizontalM and VerticalFt are the separation between the two
	// aircraft (proximity; VerticalFt is NaN when an altitude is unknown).
	HorizontalM, VerticalFt float64
	// MinHorizontalM and MinVerticalFt are the minima that were infringed.
	MinHorizontalM, MinVerticalFt float64

	// PredictedAt and PredictedPoint are when and where the projected path
	// first enters the zone (predicted_entry).
	PredictedAt    time.Time
	PredictedPoint Point

	Squawk feed.Squawk // emergency_squawk: the code

	// EndedBy is the episode that ended this one (predicted_entry_end
	// with ReasonEntered: the zone entry's).
	EndedBy string
}

// episodeID makes an episode's identifier, 32 hex digits: the start's
// Unix milliseconds (12 digits), then a hash of what identifies the
// episode (20 digits, 80 bits). Every server computes the same one for the
// same episode; and episodes started later sort later, so that the store's
// index of alerts by episode grows at its end, as the alerts are written,
// instead of taking a write at a random page of it for every alert (a
// hash alone tripled the bytes written per alert at 40,000 alerts).
func episodeID(kind string, a, b uint32, key string, start time.Time) string {
	h := sha256.New()
	var buf [20]byte
	binary.BigEndian.PutUint32(buf[0:], a)
	binary.BigEndian.PutUint32(buf[4:], b)
	binary.BigEndian.PutUint64(buf[8:], uint64(start.UnixNano()))
	binary.BigEndian.PutUint32(buf[16:], uint32(len(key)))
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(buf[:])
	h.Write([]byte(key))
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], uint64(max(start.UnixMilli(), 0))<<16)
	sum := h.Sum(nil)
	copy(id[6:], sum[:10])
	return hex.EncodeToString(id[:])
}

var nan = math.NaN()
