package truce_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

var (
	t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // proposed, effective
	t1 = t0.Add(time.Hour)                            // decided
	t2 = t0.Add(48 * time.Hour)                       // a later effective time
)

func zoneAt(state truce.ZoneState, current, pending int) *truce.Zone {
	return &truce.Zone{ID: "z1", Name: "Old name", Kind: truce.ZoneNoFly, State: state, Current: current, Pending: pending,
		Latest: max(current, pending), Version: 7, UpdatedAt: t0}
}

func version(n int, action truce.ZoneAction, status truce.VersionStatus, eff time.Time, ds ...truce.Decision) *truce.ZoneVersion {
	return &truce.ZoneVersion{ZoneID: "z1", Version: n, Action: action, Status: status, EffectiveFrom: eff,
		Spec: truce.ZoneSpec{Name: "Name " + string(action), Kind: truce.ZoneBuffer}, Decisions: ds}
}

func inForce(n int, action truce.ZoneAction, from time.Time, until *time.Time) *truce.ZoneVersion {
	v := version(n, action, truce.VersionApproved, from)
	v.InForceFrom, v.InForceUntil = &from, until
	return v
}

func yes(party string) truce.Decision {
	return truce.Decision{PartyID: party, Approve: true, DecidedAt: t0}
}
func no(party string) truce.Decision { return truce.Decision{PartyID: party, DecidedAt: t1} }

// TestZoneTransition runs every transition of the zone version state
// machine through truce.Decide, with signatories A and B unless said.
func TestZoneTransition(t *testing.T) {
	ab := []string{"A", "B"}
	for _, c := range []struct {
		name        string
		zone        *truce.Zone
		v, current  *truce.ZoneVersion
		signatories []string
		d           truce.Decision
		wantErr     string
		// The zone and the decided version after the decision.
		wantState            truce.ZoneState
		wantCurrent, wantPen int
		wantName             string
		wantStatus           truce.VersionStatus
		wantFrom, wantUntil  *time.Time
		// The version the decision ends (nil: none).
		wantEnded       *truce.ZoneVersion
		wantEndedStatus truce.VersionStatus
		wantEndedUntil  *time.Time
	}{
		{name: "ApprovedByOne", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0),
			signatories: ab, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateProposed, wantPen: 1, wantName: "Old name", wantStatus: truce.VersionProposed},
		{name: "ApprovedByAllInForceNow", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0, yes("A")),
			signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 1, wantName: "Name propose", wantStatus: truce.VersionApproved, wantFrom: &t1},
		{name: "ApprovedByAllInForceWhenEffective", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t2, yes("A")),
			signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 1, wantName: "Name propose", wantStatus: truce.VersionApproved, wantFrom: &t2},
		{name: "ApprovedBySoleSignatory", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0),
			signatories: []string{"A"}, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 1, wantName: "Name propose", wantStatus: truce.VersionApproved, wantFrom: &t1},
		{name: "RejectionBySecondAfterApproval", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0, yes("A")),
			signatories: ab, d: no("B"),
			wantState: truce.ZoneStateRejected, wantName: "Old name", wantStatus: truce.VersionRejected},
		{name: "RejectionOfFirstProposal", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0),
			signatories: ab, d: no("A"),
			wantState: truce.ZoneStateRejected, wantName: "Old name", wantStatus: truce.VersionRejected},
		{name: "RejectionOfChangeKeepsZoneInForce", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: version(2, truce.ZoneChange, truce.VersionProposed, t0),
			current: inForce(1, truce.ZoneProposed, t0, nil), signatories: ab, d: no("B"),
			wantState: truce.ZoneStateInForce, wantCurrent: 1, wantName: "Old name", wantStatus: truce.VersionRejected},
		{name: "ChangeSupersedes", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: version(2, truce.ZoneChange, truce.VersionProposed, t0, yes("A")),
			current: inForce(1, truce.ZoneProposed, t0, nil), signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 2, wantName: "Name change", wantStatus: truce.VersionApproved, wantFrom: &t1,
			wantEnded: &truce.ZoneVersion{Version: 1}, wantEndedStatus: truce.VersionSuperseded, wantEndedUntil: &t1},
		{name: "ChangeSupersedesAChange", zone: zoneAt(truce.ZoneStateInForce, 2, 3), v: version(3, truce.ZoneChange, truce.VersionProposed, t2, yes("B")),
			current: inForce(2, truce.ZoneChange, t0, nil), signatories: ab, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 3, wantName: "Name change", wantStatus: truce.VersionApproved, wantFrom: &t2,
			wantEnded: &truce.ZoneVersion{Version: 2}, wantEndedStatus: truce.VersionSuperseded, wantEndedUntil: &t2},
		{name: "Suspension", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: version(2, truce.ZoneSuspension, truce.VersionProposed, t0, yes("A")),
			current: inForce(1, truce.ZoneProposed, t0, nil), signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateSuspended, wantCurrent: 2, wantName: "Name suspend", wantStatus: truce.VersionApproved, wantFrom: &t1, wantUntil: &t1,
			wantEnded: &truce.ZoneVersion{Version: 1}, wantEndedStatus: truce.VersionSuperseded, wantEndedUntil: &t1},
		{name: "WithdrawalOfZoneInForce", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: version(2, truce.ZoneWithdrawal, truce.VersionProposed, t2, yes("A")),
			current: inForce(1, truce.ZoneProposed, t0, nil), signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateWithdrawn, wantCurrent: 2, wantName: "Name withdraw", wantStatus: truce.VersionApproved, wantFrom: &t2, wantUntil: &t2,
			wantEnded: &truce.ZoneVersion{Version: 1}, wantEndedStatus: truce.VersionSuperseded, wantEndedUntil: &t2},
		// A suspension in force ended when it was approved: its end stays,
		// and it is not superseded (it stays the approved suspension).
		{name: "WithdrawalOfSuspendedZone", zone: zoneAt(truce.ZoneStateSuspended, 2, 3), v: version(3, truce.ZoneWithdrawal, truce.VersionProposed, t0, yes("A")),
			current: inForce(2, truce.ZoneSuspension, t0, &t0), signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateWithdrawn, wantCurrent: 3, wantName: "Name withdraw", wantStatus: truce.VersionApproved, wantFrom: &t1, wantUntil: &t1,
			wantEnded: &truce.ZoneVersion{Version: 2}, wantEndedStatus: truce.VersionApproved, wantEndedUntil: &t0},
		// A version in force that was to end after the new one starts ends
		// when the new one starts.
		{name: "SupersededEndsEarlier", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: version(2, truce.ZoneChange, truce.VersionProposed, t0, yes("A")),
			current: inForce(1, truce.ZoneProposed, t0, &t2), signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1},
			wantState: truce.ZoneStateInForce, wantCurrent: 2, wantName: "Name change", wantStatus: truce.VersionApproved, wantFrom: &t1,
			wantEnded: &truce.ZoneVersion{Version: 1}, wantEndedStatus: truce.VersionSuperseded, wantEndedUntil: &t1},
		{name: "ErrNonSignatory", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0),
			signatories: ab, d: truce.Decision{PartyID: "C", Approve: true, DecidedAt: t1}, wantErr: truce.EFORBIDDEN},
		{name: "ErrNonSignatoryRejects", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0),
			signatories: ab, d: no("C"), wantErr: truce.EFORBIDDEN},
		{name: "ErrDuplicateApproval", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0, yes("A")),
			signatories: ab, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1}, wantErr: truce.ECONFLICT},
		{name: "ErrRejectionAfterOwnApproval", zone: zoneAt(truce.ZoneStateProposed, 0, 1), v: version(1, truce.ZoneProposed, truce.VersionProposed, t0, yes("A")),
			signatories: ab, d: no("A"), wantErr: truce.ECONFLICT},
		{name: "ErrOldVersion", zone: zoneAt(truce.ZoneStateInForce, 1, 2), v: inForce(1, truce.ZoneProposed, t0, nil),
			signatories: ab, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1}, wantErr: truce.ECONFLICT},
		{name: "ErrRejectedVersion", zone: zoneAt(truce.ZoneStateRejected, 0, 0), v: version(1, truce.ZoneProposed, truce.VersionRejected, t0, no("A")),
			signatories: ab, d: truce.Decision{PartyID: "B", Approve: true, DecidedAt: t1}, wantErr: truce.ECONFLICT},
		// A proposed version that is not the pending one (the zone's
		// record says another) is not decided.
		{name: "ErrNotPending", zone: zoneAt(truce.ZoneStateInForce, 1, 0), v: version(2, truce.ZoneChange, truce.VersionProposed, t0),
			signatories: ab, d: truce.Decision{PartyID: "A", Approve: true, DecidedAt: t1}, wantErr: truce.ECONFLICT},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, c.zone, c.v, c.current)
			got, err := truce.Decide(c.zone, c.v, c.current, c.signatories, c.d)
			if after := snapshot(t, c.zone, c.v, c.current); after != before {
				t.Errorf("Decide changed its arguments:\nbefore %s\nafter  %s", before, after)
			}
			if c.wantErr != "" {
				if truce.ErrorCode(err) != c.wantErr {
					t.Fatalf("err = %v, want code %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			z, v := got.Zone, got.Version
			if z.State != c.wantState || z.Current != c.wantCurrent || z.Pending != c.wantPen || z.Name != c.wantName {
				t.Errorf("zone state %s current %d pending %d name %q, want %s %d %d %q", z.State, z.Current, z.Pending, z.Name, c.wantState, c.wantCurrent, c.wantPen, c.wantName)
			}
			if z.Version != c.zone.Version+1 || !z.UpdatedAt.Equal(c.d.DecidedAt) {
				t.Errorf("zone row version %d updated %v, want %d %v", z.Version, z.UpdatedAt, c.zone.Version+1, c.d.DecidedAt)
			}
			if v.Status != c.wantStatus {
				t.Errorf("version status %s, want %s", v.Status, c.wantStatus)
			}
			if n := len(v.Decisions); n != len(c.v.Decisions)+1 || v.Decisions[n-1] != c.d {
				t.Errorf("decisions %v, want %v then %v", v.Decisions, c.v.Decisions, c.d)
			}
			if !sameTime(v.InForceFrom, c.wantFrom) || !sameTime(v.InForceUntil, c.wantUntil) {
				t.Errorf("in force %v until %v, want %v until %v", v.InForceFrom, v.InForceUntil, c.wantFrom, c.wantUntil)
			}
			switch {
			case (got.Ended == nil) != (c.wantEnded == nil):
				t.Errorf("ended %v, want %v", got.Ended, c.wantEnded)
			case got.Ended != nil:
				if got.Ended.Version != c.wantEnded.Version || got.Ended.Status != c.wantEndedStatus || !sameTime(got.Ended.InForceUntil, c.wantEndedUntil) {
					t.Errorf("ended version %d %s until %v, want %d %s until %v", got.Ended.Version, got.Ended.Status, got.Ended.InForceUntil,
						c.wantEnded.Version, c.wantEndedStatus, c.wantEndedUntil)
				}
			}
		})
	}
}

// TestZoneCanPropose checks when a new version may be proposed.
func TestZoneCanPropose(t *testing.T) {
	for _, c := range []struct {
		name      string
		zone      *truce.Zone
		action    truce.ZoneAction
		ifVersion int64
		wantErr   string
	}{
		{"ChangeInForce", zoneAt(truce.ZoneStateInForce, 1, 0), truce.ZoneChange, 0, ""},
		{"ChangeAtVersion", zoneAt(truce.ZoneStateInForce, 1, 0), truce.ZoneChange, 7, ""},
		{"ErrChangeStaleVersion", zoneAt(truce.ZoneStateInForce, 1, 0), truce.ZoneChange, 6, truce.EPRECONDITION},
		{"ErrChangeWhilePending", zoneAt(truce.ZoneStateInForce, 1, 2), truce.ZoneChange, 0, truce.ECONFLICT},
		{"ErrSuspendWhilePending", zoneAt(truce.ZoneStateInForce, 1, 2), truce.ZoneSuspension, 0, truce.ECONFLICT},
		{"ChangeOfRejected", zoneAt(truce.ZoneStateRejected, 0, 0), truce.ZoneChange, 0, ""},
		{"ChangeOfSuspended", zoneAt(truce.ZoneStateSuspended, 2, 0), truce.ZoneChange, 0, ""},
		{"ErrChangeOfWithdrawn", zoneAt(truce.ZoneStateWithdrawn, 2, 0), truce.ZoneChange, 0, truce.ECONFLICT},
		{"Suspend", zoneAt(truce.ZoneStateInForce, 1, 0), truce.ZoneSuspension, 0, ""},
		{"Withdraw", zoneAt(truce.ZoneStateInForce, 1, 0), truce.ZoneWithdrawal, 0, ""},
		{"WithdrawSuspended", zoneAt(truce.ZoneStateSuspended, 2, 0), truce.ZoneWithdrawal, 0, ""},
		{"ErrSuspendSuspended", zoneAt(truce.ZoneStateSuspended, 2, 0), truce.ZoneSuspension, 0, truce.ECONFLICT},
		{"ErrSuspendRejected", zoneAt(truce.ZoneStateRejected, 0, 0), truce.ZoneSuspension, 0, truce.ECONFLICT},
		{"ErrWithdrawRejected", zoneAt(truce.ZoneStateRejected, 0, 0), truce.ZoneWithdrawal, 0, truce.ECONFLICT},
		{"ErrWithdrawWithdrawn", zoneAt(truce.ZoneStateWithdrawn, 2, 0), truce.ZoneWithdrawal, 0, truce.ECONFLICT},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := truce.CanPropose(c.zone, c.action, c.ifVersion)
			if got := truce.ErrorCode(err); (err == nil) != (c.wantErr == "") || (err != nil && got != c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func snapshot(t *testing.T, xs ...any) string {
	t.Helper()
	b, err := json.Marshal(xs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
