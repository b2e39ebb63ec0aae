package truce

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Awaiting returns the parties concerned that have not yet acknowledged
// the alert, in the order of Parties.
func (a *Alert) Awaiting() []string {
	var out []string
	for _, p := range a.Parties {
		if a.AckOf(p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// AckOf returns party's acknowledgement of the alert, or nil.
func (a *Alert) AckOf(party string) *AlertAck {
	for i := range a.Acks {
		if a.Acks[i].Party == party {
			return &a.Acks[i]
		}
	}
	return nil
}

// Ongoing reports whether the alert's episode goes on: it has not ended
// and the alert is not closed.
func (a *Alert) Ongoing() bool { return a.EndedAt == nil && a.State != AlertClosed }

// causedBy reports whether party's aircraft caused the alert.
func (a *Alert) causedBy(party string) bool {
	for _, x := range a.Aircraft {
		if x.Party != "" && x.Party == party {
			return true
		}
	}
	return false
}

// CanAcknowledge says whether the caller may acknowledge alert a for its
// party: an operator, observer or administrator of a party concerned, of
// the monitoring mission or of the coordinator, once per party, while the
// alert is not closed. Another party's acknowledgement is no obstacle:
// each party acknowledges for itself.
func CanAcknowledge(a *Alert, c *Caller) error {
	if err := c.Require(RoleOperator, RoleObserver); err != nil {
		return err
	}
	p := c.Party
	switch {
	case a.State == AlertClosed:
		return Errorf(ECONFLICT, "Alert %s is closed.", a.ID)
	case !slices.Contains(a.Parties, p.ID) && p.Kind != PartyMonitor && p.Kind != PartyCoordinator:
		return Errorf(EFORBIDDEN, "Alert %s does not concern %s: it is acknowledged by the parties concerned, the monitoring mission and the coordinator.", a.ID, p.Slug)
	}
	if ack := a.AckOf(p.ID); ack != nil {
		return Errorf(ECONFLICT, "%s already acknowledged alert %s at %s.", p.Slug, a.ID, ack.Time.UTC().Format(time.RFC3339))
	}
	return nil
}

// CanClose says whether the caller may close alert a: an operator,
// observer or administrator of the monitoring mission or the coordinator.
// A party concerned never closes an alert, least of all about its own
// aircraft: it acknowledges it.
func CanClose(a *Alert, c *Caller) error {
	if err := c.Require(RoleOperator, RoleObserver); err != nil {
		return err
	}
	p := c.Party
	switch {
	case a.State == AlertClosed:
		return Errorf(ECONFLICT, "Alert %s is already closed.", a.ID)
	case p.Kind == PartyMonitor || p.Kind == PartyCoordinator:
		return nil
	case a.causedBy(p.ID):
		return Errorf(EFORBIDDEN, "Alert %s is about %s's own aircraft: it is closed by the monitoring mission or the coordinator, not by %s.", a.ID, p.Slug, p.Slug)
	default:
		return Errorf(EFORBIDDEN, "Alerts are closed by the monitoring mission or the coordinator; %s acknowledges them.", p.Slug)
	}
}

// Acknowledge records party's acknowledgement ack in a, which CanAcknowledge
// allowed, and its step in the history; the alert is acknowledged once
// every party concerned has acknowledged it.
func (a *Alert) Acknowledge(ack AlertAck) {
	a.Acks = append(a.Acks, ack)
	a.History = append(a.History, AlertStep{Time: ack.Time, Action: StepAcknowledged, Party: ack.Party, User: ack.User, Note: ack.Note})
	if a.State == AlertOpen && len(a.Awaiting()) == 0 {
		a.State = AlertAcknowledged
	}
}

// Close closes a, which CanClose allowed, by user of party at t, keeping
// note in its history.
func (a *Alert) Close(party, user, note string, t time.Time) {
	a.State = AlertClosed
	a.ClosedBy, a.ClosedAt = party+"/"+user, &t
	a.History = append(a.History, AlertStep{Time: t, Action: StepClosed, Party: party, User: user, Note: note})
}

// End records that the episode a reports ended at t for reason, ended by
// alert by ("" when none); false when it had ended already.
func (a *Alert) End(t time.Time, reason, by string) bool {
	if a.EndedAt != nil {
		return false
	}
	a.EndedAt, a.EndReason, a.EndedBy = &t, reason, by
	note := reason
	if by != "" {
		note += " (alert " + by + ")"
	}
	a.History = append(a.History, AlertStep{Time: t, Action: StepEnded, Note: note})
	return true
}

// AlertAckStatement is the text a party signs to acknowledge an alert:
// the alert (id, kind, time, and the digest of its summary, which the
// engine wrote once), the party and the digest of its note. Both sides
// build it from the alert as read, so a party holding its own key signs
// only what it has read.
func AlertAckStatement(a *Alert, partyID, note string) string {
	digest := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	var b strings.Builder
	b.WriteString("truce alert acknowledgement v1\n")
	fmt.Fprintf(&b, "alert %s\n", a.ID)
	fmt.Fprintf(&b, "kind %s\n", a.Kind)
	fmt.Fprintf(&b, "time %s\n", a.Time.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(&b, "summary %s\n", digest(a.Summary))
	fmt.Fprintf(&b, "party %s\n", partyID)
	fmt.Fprintf(&b, "note %s\n", digest(note))
	return b.String()
}
