package truce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

func alertCaller(party string, kind truce.PartyKind, roles ...truce.Role) *truce.Caller {
	return &truce.Caller{Party: &truce.Party{ID: party, Slug: party, Kind: kind}, User: &truce.User{ID: "u-" + party, Roles: roles}}
}

// lifecycleAlert is a zone entry by A's aircraft in a zone whose agreement
// A and B signed; acked lists the parties that acknowledged it already.
func lifecycleAlert(state truce.AlertState, acked ...string) *truce.Alert {
	a := &truce.Alert{ID: "al1", Kind: truce.AlertZoneEntry, State: state, Parties: []string{"A", "B"},
		Aircraft: []truce.AlertAircraft{{ICAO: "4CA001", Party: "A"}}}
	for _, p := range acked {
		a.Acks = append(a.Acks, truce.AlertAck{Party: p, Time: t0})
	}
	return a
}

// TestAlertLifecycle: who may acknowledge and who may close an alert, and
// where each move leaves it.
func TestAlertLifecycle(t *testing.T) {
	opA := alertCaller("A", truce.PartyGuarantor, truce.RoleOperator)
	opB := alertCaller("B", truce.PartyGuarantor, truce.RoleOperator)
	adminA := alertCaller("A", truce.PartyGuarantor, truce.RoleAdmin)
	opC := alertCaller("C", truce.PartyGuarantor, truce.RoleOperator) // signed nothing here
	mon := alertCaller("M", truce.PartyMonitor, truce.RoleObserver)
	coord := alertCaller("S", truce.PartyCoordinator, truce.RoleOperator)
	hum := alertCaller("H", truce.PartyHumanitarian, truce.RoleOperator)
	viewerB := alertCaller("B", truce.PartyGuarantor, truce.RoleViewer)
	for _, c := range []struct {
		name      string
		alert     *truce.Alert
		caller    *truce.Caller
		close     bool
		wantCode  string // "" when allowed
		wantIn    string // a phrase of the refusal
		wantState truce.AlertState
		wantWait  []string // parties still awaited after the move
	}{
		{name: "CausingPartyAcknowledges", alert: lifecycleAlert(truce.AlertOpen), caller: opA, wantState: truce.AlertOpen, wantWait: []string{"B"}},
		{name: "SecondPartyAcknowledges", alert: lifecycleAlert(truce.AlertOpen, "A"), caller: opB, wantState: truce.AlertAcknowledged},
		{name: "SecondPartyNotAlreadyAcknowledged", alert: lifecycleAlert(truce.AlertOpen, "B"), caller: opA, wantState: truce.AlertAcknowledged},
		{name: "SamePartyTwice", alert: lifecycleAlert(truce.AlertOpen, "A"), caller: adminA, wantCode: truce.ECONFLICT, wantIn: "A already acknowledged"},
		{name: "MonitorAcknowledgesWithoutBeingAwaited", alert: lifecycleAlert(truce.AlertOpen), caller: mon, wantState: truce.AlertOpen, wantWait: []string{"A", "B"}},
		{name: "CoordinatorAcknowledges", alert: lifecycleAlert(truce.AlertOpen, "A", "B"), caller: coord, wantState: truce.AlertAcknowledged},
		{name: "UnconcernedGuarantor", alert: lifecycleAlert(truce.AlertOpen), caller: opC, wantCode: truce.EFORBIDDEN, wantIn: "does not concern C"},
		{name: "HumanitarianNotConcerned", alert: lifecycleAlert(truce.AlertOpen), caller: hum, wantCode: truce.EFORBIDDEN},
		{name: "ViewerMayNotAcknowledge", alert: lifecycleAlert(truce.AlertOpen), caller: viewerB, wantCode: truce.EFORBIDDEN},
		{name: "AcknowledgeClosed", alert: lifecycleAlert(truce.AlertClosed), caller: opB, wantCode: truce.ECONFLICT, wantIn: "closed"},

		{name: "CausingPartyMayNotClose", alert: lifecycleAlert(truce.AlertOpen, "A", "B"), caller: adminA, close: true, wantCode: truce.EFORBIDDEN, wantIn: "own aircraft"},
		{name: "OtherSignatoryMayNotClose", alert: lifecycleAlert(truce.AlertAcknowledged, "A", "B"), caller: opB, close: true, wantCode: truce.EFORBIDDEN, wantIn: "monitoring mission or the coordinator"},
		{name: "MonitorCloses", alert: lifecycleAlert(truce.AlertOpen), caller: mon, close: true, wantState: truce.AlertClosed, wantWait: []string{"A", "B"}},
		{name: "CoordinatorClosesAcknowledged", alert: lifecycleAlert(truce.AlertAcknowledged, "A", "B"), caller: coord, close: true, wantState: truce.AlertClosed},
		{name: "CloseTwice", alert: lifecycleAlert(truce.AlertClosed), caller: mon, close: true, wantCode: truce.ECONFLICT, wantIn: "already closed"},
		{name: "HumanitarianMayNotClose", alert: lifecycleAlert(truce.AlertOpen), caller: hum, close: true, wantCode: truce.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := c.alert
			history := len(a.History)
			var err error
			if c.close {
				if err = truce.CanClose(a, c.caller); err == nil {
					a.Close(c.caller.Party.ID, c.caller.User.ID, "seen on radar", t1)
				}
			} else if err = truce.CanAcknowledge(a, c.caller); err == nil {
				a.Acknowledge(truce.AlertAck{Party: c.caller.Party.ID, User: c.caller.User.ID, Time: t1, Note: "seen"})
			}
			if c.wantCode != "" {
				if truce.ErrorCode(err) != c.wantCode || !strings.Contains(truce.ErrorMessage(err), c.wantIn) {
					t.Fatalf("got %v, want %s containing %q", err, c.wantCode, c.wantIn)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.State != c.wantState {
				t.Errorf("state %s, want %s", a.State, c.wantState)
			}
			if got := a.Awaiting(); strings.Join(got, ",") != strings.Join(c.wantWait, ",") {
				t.Errorf("awaiting %v, want %v", got, c.wantWait)
			}
			if len(a.History) != history+1 || a.History[history].Party != c.caller.Party.ID || a.History[history].Note == "" {
				t.Errorf("history %+v: want one step by %s with its note", a.History, c.caller.Party.ID)
			}
		})
	}
}

// TestAlertEnd: an episode ends once, keeping the reason and the alert
// that ended it in the history; closing afterwards keeps both notes.
func TestAlertEnd(t *testing.T) {
	a := lifecycleAlert(truce.AlertOpen)
	if !a.Ongoing() {
		t.Fatal("a new alert is not ongoing")
	}
	if !a.End(t1, "left", "al2") || a.Ongoing() || a.EndedBy != "al2" || a.EndReason != "left" {
		t.Fatalf("after End: %+v", a)
	}
	if a.End(t1.Add(time.Minute), "track_lost", "") || a.EndReason != "left" {
		t.Fatal("an episode ended twice")
	}
	a.Close("M", "u", "closing note", t1.Add(time.Hour))
	if len(a.History) != 2 || a.History[0].Note != "left (alert al2)" || a.History[1].Note != "closing note" {
		t.Fatalf("history %+v", a.History)
	}
}

// TestAlertAckStatement: the statement binds the alert, the party and the
// note; changing any gives another text.
func TestAlertAckStatement(t *testing.T) {
	a := &truce.Alert{ID: "al1", Kind: truce.AlertProximity, Time: t0, Summary: "X and Y within 2 NM"}
	base := truce.AlertAckStatement(a, "A", "seen")
	if !strings.HasPrefix(base, "truce alert acknowledgement v1\nalert al1\nkind proximity\ntime 2026-03-01T12:00:00Z\n") || !strings.HasSuffix(base, "\n") {
		t.Fatalf("statement %q", base)
	}
	other := *a
	other.Summary = "X and Y within 20 NM"
	for name, s := range map[string]string{
		"party": truce.AlertAckStatement(a, "B", "seen"), "note": truce.AlertAckStatement(a, "A", "not seen"),
		"summary": truce.AlertAckStatement(&other, "A", "seen"),
	} {
		if s == base {
			t.Errorf("another %s gives the same statement", name)
		}
	}
}
