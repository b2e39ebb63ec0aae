package humanitarian

import (
	"time"

	"github.com/truce-project/truce"
)

// TransmissionState is where a transmission's answer is.
type TransmissionState string

// Transmission states. A transmission of a version that a newer version
// has replaced is superseded (SupersededBy on reads), whatever its state.
const (
	Pending      TransmissionState = "pending"
	Acknowledged TransmissionState = "acknowledged"
	Concern      TransmissionState = "concern"
	// Relayed is a relay's state once the coordinator has relayed it
	// (Service.Relay).
	Relayed TransmissionState = "relayed"
)

// The kinds of record a transmission notifies (Transmission.Kind, and the
// journal kinds of the records).
const (
	KindSite     = "site"
	KindMovement = "movement"
)

// Transmission is one notification version delivered to one party's inbox,
// written in the transaction that records the notification.
type Transmission struct {
	ID string `json:"id"`
	// Kind, RecordID and RecordVersion name the version notified: of a
	// site ("site") or of a movement ("movement").
	Kind          string `json:"kind"`
	RecordID      string `json:"record_id"`
	RecordVersion int64  `json:"record_version"`
	// Hash is the notified version's VersionHash, which the answer's
	// statement names.
	Hash        string    `json:"hash"`
	AgreementID string    `json:"agreement_id"`
	From        string    `json:"from"` // the notifying party's id
	To          string    `json:"to"`   // the receiving party's id
	SentAt      time.Time `json:"sent_at"`
	// Deadline is when the answer is due; an answer after it is recorded
	// and flagged overdue.
	Deadline time.Time `json:"deadline"`
	// Late says the notification gave less notice than the agreement's
	// lead time: it was accepted and flagged.
	Late   bool              `json:"late"`
	State  TransmissionState `json:"state"`
	Answer *Answer           `json:"answer,omitempty"`
	// Relay says the transmission is to the coordinator that the
	// agreement's rules name (rules.relay), for it to relay to the other
	// parties: it is answered by relaying it, not acknowledged.
	// RelayedAt and RelayedBy (a user id) are set by the relay.
	Relay     bool       `json:"relay,omitempty"`
	RelayedAt *time.Time `json:"relayed_at,omitempty"`
	RelayedBy string     `json:"relayed_by,omitempty"`
	// Via is, on a transmission the coordinator relayed, the id of the
	// relay it came through; its SentAt is the relay's time.
	Via          string `json:"via,omitempty"`
	Version      int64  `json:"version"`
	JournalIndex int64  `json:"journal_index"`
	// NextNotice is when the first reminder (or, without one, the
	// overdue alert) falls due; stored beside the record, not in it.
	NextNotice time.Time `json:"-"`
}

// Answer is a party's signed answer to a transmission: an acknowledgement
// (receipt, never permission) or a concern.
type Answer struct {
	Concern bool `json:"concern"`
	// Text and the window are a concern's: what the party is concerned
	// about and, optionally, when.
	Text       string     `json:"text,omitempty"`
	WindowFrom *time.Time `json:"window_from,omitempty"`
	WindowTo   *time.Time `json:"window_to,omitempty"`
	// Signature is the C2SP signed note of Statement, by the party's key.
	Signature string    `json:"signature"`
	UserID    string    `json:"user_id"`
	At        time.Time `json:"at"`
	Overdue   bool      `json:"overdue"`
}

// AnswerInput is the input to Service.Answer. Leave Signature empty for a
// custodial party (the server signs); a party holding its own key signs
// Statement and sends the signed note.
type AnswerInput struct {
	Concern    bool       `json:"concern,omitempty"`
	Text       string     `json:"text,omitempty"`
	WindowFrom *time.Time `json:"window_from,omitempty"`
	WindowTo   *time.Time `json:"window_to,omitempty"`
	Signature  string     `json:"signature,omitempty"`
}

// ReceiptNotPermission is what every answer's statement and every answer's
// response says: an acknowledgement records receipt, never permission.
const ReceiptNotPermission = truce.ReceiptNotPermission

// Statement is the text a party signs to answer a transmission
// (truce.AnswerStatement): it names the transmission, the record version
// notified and its hash, the answering party, and for a concern the SHA-256 of its text
// and its window.
func Statement(t *Transmission, a AnswerInput) string {
	return truce.AnswerStatement(t.ID, t.Kind, t.RecordID, t.RecordVersion, t.Hash, t.To, a.Concern, a.Text, a.WindowFrom, a.WindowTo)
}

// BoardRow is one party's line on a notification version's board.
type BoardRow struct {
	Party string `json:"party"` // party id
	Slug  string `json:"slug"`
	// State is acknowledged, concern, relayed (the coordinator's relay,
	// relayed), or silent (no answer yet).
	State        string        `json:"state"`
	Transmission *Transmission `json:"transmission"`
	Overdue      bool          `json:"overdue"` // silent past the deadline, or answered after it
	// Notices are the reminders sent to the party and the overdue alert
	// raised about it.
	Notices []Notice `json:"notices,omitempty"`
}

// Board is who acknowledged a notification version, who raised a concern
// and who is silent.
type Board struct {
	Site    *Site      `json:"site"`
	Rows    []BoardRow `json:"rows"`
	Current bool       `json:"current"` // the version is the site's latest
	Note    string     `json:"note"`    // ReceiptNotPermission
}
