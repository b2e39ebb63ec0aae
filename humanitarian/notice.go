package humanitarian

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/truce-project/truce"
)

// The pure rules of a notification's timing: the lead time a kind of
// notification needs, and when a silent party is reminded and when the
// "acknowledgement overdue" alert is raised. Service.Sweep applies them.

// MovementKind is what kind of movement a convoy is; an agreement may set
// a lead time per kind (truce.AgreementRules.LeadTimes).
type MovementKind string

// Movement kinds. A movement that names none is a road convoy.
const (
	RoadConvoy        MovementKind = "road_convoy"
	MedicalEvacuation MovementKind = "medical_evacuation"
	StaffMovement     MovementKind = "staff_movement"
	AirMovement       MovementKind = "air"
	OtherMovement     MovementKind = "other"
)

// MovementKinds lists the movement kinds.
var MovementKinds = []MovementKind{RoadConvoy, MedicalEvacuation, StaffMovement, AirMovement, OtherMovement}

// Valid reports whether k is a movement kind ("" is a road convoy).
func (k MovementKind) Valid() bool { return k == "" || slices.Contains(MovementKinds, k) }

// Or returns k, or a road convoy when k is "".
func (k MovementKind) Or() MovementKind {
	if k == "" {
		return RoadConvoy
	}
	return k
}

// LeadTimeKey is the key of AgreementRules.LeadTimes for a site category
// (kind KindSite) or a movement kind (KindMovement).
func LeadTimeKey(kind, name string) string { return kind + "/" + name }

// LeadTime is the notice a notification needs under an agreement's rules:
// an emergency movement's is the emergency lead time; otherwise the
// lead time the rules set for its kind (LeadTimeKey), or their general
// lead time.
func LeadTime(rules truce.AgreementRules, kind, name string, emergency bool) truce.Duration {
	r := rules.WithDefaults()
	if emergency {
		return r.EmergencyLeadTime
	}
	if d, ok := r.LeadTimes[LeadTimeKey(kind, name)]; ok && d > 0 {
		return d
	}
	return r.LeadTime
}

// AckWindow is the time a party has to acknowledge a transmission: the
// agreement's, or else the server's (fallback).
func AckWindow(rules truce.AgreementRules, fallback time.Duration) time.Duration {
	if rules.AckWindow > 0 {
		return time.Duration(rules.AckWindow)
	}
	if fallback > 0 {
		return fallback
	}
	return DefaultAckWindow
}

// Reminders returns the reminders of an agreement's rules, longest before
// the deadline first.
func Reminders(rules truce.AgreementRules) []time.Duration {
	rs := rules.Reminders
	if len(rs) == 0 {
		rs = truce.DefaultReminders
	}
	out := make([]time.Duration, len(rs))
	for i, d := range rs {
		out[i] = time.Duration(d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return slices.Compact(out)
}

// NoticeKind says what a journalled notice about a silent party is.
type NoticeKind string

// Notice kinds: a reminder to the party before the deadline; the
// "acknowledgement overdue" alert after it.
const (
	NoticeReminder NoticeKind = "reminder"
	NoticeOverdue  NoticeKind = "overdue"
)

// AlertAckOverdue is the kind of the alert raised when a party has not
// acknowledged a notification by its deadline.
const AlertAckOverdue truce.AlertKind = "ack_overdue"

// Notice is a reminder sent, or an overdue alert raised, about one
// transmission: at most one of each Seq per transmission (a reminder's
// Seq is its place in Reminders, an overdue alert's 0).
type Notice struct {
	Transmission string     `json:"transmission"`
	Party        string     `json:"party"` // the silent party's id
	Kind         NoticeKind `json:"kind"`
	Seq          int        `json:"seq"`
	// Reason says why, in a sentence: what is unanswered, since when,
	// and when it is (or was) due.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// AlertID is the overdue alert's id.
	AlertID      string `json:"alert_id,omitempty"`
	JournalIndex int64  `json:"journal_index"`
}

// DueNotice returns the notice due at now about transmission t, given the
// notices already sent about it, or nil: none while it is answered or
// superseded (current false); the overdue alert once its deadline has
// passed, once; before it, the latest reminder whose time has come and
// that was not sent — a reminder whose time came while nobody looked is
// not sent after a later one. reminders are as Reminders returns them.
func DueNotice(t *Transmission, current bool, reminders []time.Duration, sent []Notice, now time.Time) *Notice {
	if t.State != Pending || !current {
		return nil
	}
	was := func(kind NoticeKind, seq int) bool {
		return slices.ContainsFunc(sent, func(n Notice) bool { return n.Kind == kind && n.Seq == seq })
	}
	what := fmt.Sprintf("%s %s version %d (transmission %s, sent %s)", t.Kind, t.RecordID, t.RecordVersion, t.ID, t.SentAt.UTC().Format(time.RFC3339))
	if !now.Before(t.Deadline) {
		if was(NoticeOverdue, 0) {
			return nil
		}
		return &Notice{Transmission: t.ID, Party: t.To, Kind: NoticeOverdue, At: now,
			Reason: fmt.Sprintf("Party %s has not acknowledged %s by its deadline %s (%s after it was sent).", t.To, what,
				t.Deadline.UTC().Format(time.RFC3339), t.Deadline.Sub(t.SentAt).Round(time.Minute))}
	}
	due := -1
	for i, r := range reminders {
		if !now.Before(t.Deadline.Add(-r)) && t.Deadline.Add(-r).After(t.SentAt) {
			due = i // the latest whose time has come (reminders run longest first)
		}
	}
	if due < 0 {
		return nil
	}
	for i := due; i < len(reminders); i++ {
		if was(NoticeReminder, i) {
			return nil
		}
	}
	return &Notice{Transmission: t.ID, Party: t.To, Kind: NoticeReminder, Seq: due, At: now,
		Reason: fmt.Sprintf("Reminder: party %s has not yet acknowledged %s; it is due by %s (in %s).", t.To, what,
			t.Deadline.UTC().Format(time.RFC3339), t.Deadline.Sub(now).Round(time.Minute))}
}

// NextNoticeAt returns when the next notice about a pending transmission
// falls due, given the notices sent: the first reminder later than every
// reminder sent (and after the transmission), else the deadline; nil once
// the overdue alert is raised.
func NextNoticeAt(t *Transmission, reminders []time.Duration, sent []Notice) *time.Time {
	last := -1
	for _, n := range sent {
		if n.Kind == NoticeOverdue {
			return nil
		}
		if n.Kind == NoticeReminder && n.Seq > last {
			last = n.Seq
		}
	}
	for i := last + 1; i < len(reminders); i++ {
		if at := t.Deadline.Add(-reminders[i]); at.After(t.SentAt) {
			return &at
		}
	}
	at := t.Deadline
	return &at
}
