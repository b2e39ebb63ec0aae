package operations_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

func TestDecide(t *testing.T) {
	warnHospital := []truce.ConflictRule{{Against: "site", Activities: []string{"strike"}, OtherKinds: []string{"hospital"}, Effect: truce.ConflictWarn}}
	blockOps := []truce.ConflictRule{{Against: "operation", Effect: truce.ConflictBlock}}
	// The first rule that matches decides: a warning for reconnaissance
	// over patrols before a block of every overlap of operations.
	ordered := []truce.ConflictRule{
		{Against: "operation", Activities: []string{"reconnaissance"}, OtherKinds: []string{"air_patrol"}, Effect: truce.ConflictWarn},
		{Against: "operation", Effect: truce.ConflictBlock}}
	warnZones := []truce.ConflictRule{{Against: "zone", OtherKinds: []string{"buffer"}, Effect: truce.ConflictWarn}}
	blockConvoyPatrols := []truce.ConflictRule{{Against: "movement", Activities: []string{"ground_operation"}, OtherKinds: []string{"road_convoy"}, Effect: truce.ConflictBlock}}
	for _, c := range []struct {
		name       string
		rules      []truce.ConflictRule
		kind       operations.Kind
		against    operations.Against
		other      string
		prohibited bool
		want       operations.Decision
	}{
		// An agreement that says nothing: the defaults.
		{"PatrolMeetsPatrol", nil, operations.AirPatrol, operations.AgainstOperation, "air_patrol", false, operations.Decision{Conflict: true}},
		{"StrikeMeetsPatrol", nil, operations.AirStrike, operations.AgainstOperation, "air_patrol", false, operations.Decision{Conflict: true, Blocking: true}},
		{"PatrolMeetsStrike", nil, operations.GroundPatrol, operations.AgainstOperation, "air_strike", false, operations.Decision{Conflict: true, Blocking: true}},
		{"ArtilleryMeetsDemining", nil, operations.ArtilleryFire, operations.AgainstOperation, "demining", false, operations.Decision{Conflict: true, Blocking: true}},
		{"StrikeOverSite", nil, operations.AirStrike, operations.AgainstSite, "hospital", false, operations.Decision{Conflict: true, Blocking: true}},
		{"PatrolOverSite", nil, operations.AirPatrol, operations.AgainstSite, "hospital", false, operations.Decision{Conflict: true}},
		{"ArtilleryOverMovement", nil, operations.ArtilleryFire, operations.AgainstMovement, "road_convoy", false, operations.Decision{Conflict: true, Blocking: true}},
		{"EscortOnMovement", nil, operations.Escort, operations.AgainstMovement, "road_convoy", false, operations.Decision{Conflict: true}},
		{"ZoneProhibits", nil, operations.AirPatrol, operations.AgainstZone, "no_fly", true, operations.Decision{Conflict: true, Blocking: true}},
		{"ZoneAllows", nil, operations.AirStrike, operations.AgainstZone, "no_fly", false, operations.Decision{}},
		// The agreement's rules.
		{"HospitalOnlyWarns", warnHospital, operations.AirStrike, operations.AgainstSite, "hospital", false, operations.Decision{Conflict: true}},
		{"ArtilleryOverHospitalWarns", warnHospital, operations.ArtilleryFire, operations.AgainstSite, "hospital", false, operations.Decision{Conflict: true}},
		{"SchoolStillBlocks", warnHospital, operations.AirStrike, operations.AgainstSite, "school", false, operations.Decision{Conflict: true, Blocking: true}},
		{"HospitalRuleNotForOperations", warnHospital, operations.AirStrike, operations.AgainstOperation, "air_patrol", false, operations.Decision{Conflict: true, Blocking: true}},
		{"PatrolsBlock", blockOps, operations.AirPatrol, operations.AgainstOperation, "air_patrol", false, operations.Decision{Conflict: true, Blocking: true}},
		{"PatrolOverSiteStillWarns", blockOps, operations.AirPatrol, operations.AgainstSite, "hospital", false, operations.Decision{Conflict: true}},
		{"FirstRuleWarns", ordered, operations.Reconnaissance, operations.AgainstOperation, "air_patrol", false, operations.Decision{Conflict: true}},
		{"SecondRuleBlocks", ordered, operations.Reconnaissance, operations.AgainstOperation, "ground_patrol", false, operations.Decision{Conflict: true, Blocking: true}},
		{"OtherActivity", ordered, operations.AirPatrol, operations.AgainstOperation, "reconnaissance", false, operations.Decision{Conflict: true, Blocking: true}},
		{"OtherByActivity", []truce.ConflictRule{{Against: "operation", OtherKinds: []string{"strike"}, Effect: truce.ConflictWarn}},
			operations.AirPatrol, operations.AgainstOperation, "artillery_fire", false, operations.Decision{Conflict: true}},
		{"ZoneWarns", warnZones, operations.AirPatrol, operations.AgainstZone, "buffer", true, operations.Decision{Conflict: true}},
		{"OtherZoneBlocks", warnZones, operations.AirPatrol, operations.AgainstZone, "no_fly", true, operations.Decision{Conflict: true, Blocking: true}},
		{"ZoneRuleMakesNoProhibition", warnZones, operations.AirPatrol, operations.AgainstZone, "buffer", false, operations.Decision{}},
		{"GroundPatrolOnConvoyBlocks", blockConvoyPatrols, operations.GroundPatrol, operations.AgainstMovement, "road_convoy", false, operations.Decision{Conflict: true, Blocking: true}},
		{"AirPatrolOverConvoyWarns", blockConvoyPatrols, operations.AirPatrol, operations.AgainstMovement, "road_convoy", false, operations.Decision{Conflict: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := operations.Decide(c.rules, c.kind, c.against, c.other, c.prohibited)
			if got.Conflict != c.want.Conflict || got.Blocking != c.want.Blocking || (got.Conflict && got.Reason == "") {
				t.Fatalf("Decide = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestProhibited(t *testing.T) {
	rules := truce.AgreementRules{Prohibited: []truce.Prohibition{
		{Activity: "overflight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}},
		{Activity: "strike", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}},
		{Activity: "demining"},
	}}
	for _, c := range []struct {
		name string
		kind operations.Kind
		zone truce.ZoneKind
		want bool
	}{
		{"AirPatrolInNoFly", operations.AirPatrol, truce.ZoneNoFly, true},
		{"ReconInNoFly", operations.Reconnaissance, truce.ZoneNoFly, true},
		{"GroundPatrolInNoFly", operations.GroundPatrol, truce.ZoneNoFly, false},
		{"StrikeInDeescalation", operations.AirStrike, truce.ZoneDeescalation, true},
		{"ArtilleryInDeescalation", operations.ArtilleryFire, truce.ZoneDeescalation, true},
		{"PatrolInDeescalation", operations.AirPatrol, truce.ZoneDeescalation, false},
		{"StrikeInBuffer", operations.AirStrike, truce.ZoneBuffer, false},
		{"DeminingAnyKind", operations.Demining, truce.ZoneCorridor, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := operations.Prohibited(rules, c.kind, c.zone); got != c.want {
				t.Fatalf("Prohibited(%s in %s) = %v, want %v", c.kind, c.zone, got, c.want)
			}
		})
	}
	if operations.Prohibited(truce.AgreementRules{}, operations.AirStrike, truce.ZoneDeescalation) {
		t.Fatal("an agreement without prohibitions prohibits a strike")
	}
}

func TestStatusMoves(t *testing.T) {
	all := []operations.Status{operations.Draft, operations.Filed, operations.Active, operations.Completed, operations.Cancelled}
	allowed := map[[2]operations.Status]bool{
		{operations.Draft, operations.Filed}: true, {operations.Draft, operations.Cancelled}: true,
		{operations.Filed, operations.Active}: true, {operations.Filed, operations.Cancelled}: true,
		{operations.Active, operations.Completed}: true, {operations.Active, operations.Cancelled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanMove(to); got != allowed[[2]operations.Status{from, to}] {
				t.Errorf("%s -> %s: %v", from, to, got)
			}
		}
	}
	for _, s := range all {
		if s.Live() != (s == operations.Filed || s == operations.Active) {
			t.Errorf("%s live: %v", s, s.Live())
		}
	}
}

func TestMayApprove(t *testing.T) {
	op := func() *operations.Operation {
		return &operations.Operation{ID: "op", Participants: []string{"us", "ru"}, Status: operations.Draft, Version: 2,
			Approvals: []operations.Approval{{PartyID: "us"}}}
	}
	for _, c := range []struct {
		name     string
		edit     func(o *operations.Operation)
		party    string
		operator bool
		version  int64
		want     string
	}{
		{"Participant", nil, "ru", true, 2, ""},
		{"ErrNonParticipant", nil, "jo", true, 2, truce.EFORBIDDEN},
		{"ErrNotOperator", nil, "ru", false, 2, truce.EFORBIDDEN},
		{"ErrApprovedAlready", nil, "us", true, 2, truce.ECONFLICT},
		{"ErrOtherVersion", nil, "ru", true, 1, truce.EPRECONDITION},
		{"ErrFiled", func(o *operations.Operation) { o.Status = operations.Filed }, "ru", true, 2, truce.ECONFLICT},
		{"ErrCancelled", func(o *operations.Operation) { o.Status = operations.Cancelled }, "ru", true, 2, truce.ECONFLICT},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := op()
			if c.edit != nil {
				c.edit(o)
			}
			err := operations.MayApprove(o, c.party, c.operator, c.version)
			if c.want == "" && err != nil || c.want != "" && truce.ErrorCode(err) != c.want {
				t.Fatalf("MayApprove: %v, want %q", err, c.want)
			}
		})
	}
	o := op()
	if operations.Approved(o) {
		t.Fatal("approved with one of two approvals")
	}
	o.Approvals = append(o.Approvals, operations.Approval{PartyID: "ru"})
	if !operations.Approved(o) {
		t.Fatal("not approved with both approvals")
	}
}

func TestMayMove(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to operations.Status
		party    string
		operator bool
		want     string
	}{
		{"Activate", operations.Filed, operations.Active, "ru", true, ""},
		{"Complete", operations.Active, operations.Completed, "us", true, ""},
		{"CancelDraft", operations.Draft, operations.Cancelled, "us", true, ""},
		{"ErrDraftFiledByHand", operations.Draft, operations.Filed, "us", true, truce.ECONFLICT},
		{"ErrCompleteFiled", operations.Filed, operations.Completed, "us", true, truce.ECONFLICT},
		{"ErrReopen", operations.Cancelled, operations.Active, "us", true, truce.ECONFLICT},
		{"ErrOutsider", operations.Filed, operations.Cancelled, "jo", true, truce.EFORBIDDEN},
		{"ErrViewer", operations.Filed, operations.Cancelled, "us", false, truce.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := &operations.Operation{ID: "op", Participants: []string{"us", "ru"}, Status: c.from}
			err := operations.MayMove(o, c.party, c.operator, c.to)
			if c.want == "" && err != nil || c.want != "" && truce.ErrorCode(err) != c.want {
				t.Fatalf("MayMove: %v, want %q", err, c.want)
			}
		})
	}
}

func TestCheckPlan(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	square := json.RawMessage(`{"type":"Polygon","coordinates":[[[36,32.6],[36.1,32.6],[36.1,32.7],[36,32.7],[36,32.6]]]}`)
	good := func() operations.Plan {
		return operations.Plan{AgreementID: "ag", Name: "Patrol", Kind: operations.AirPatrol,
			Volumes: []operations.VolumeInput{{Geometry: square, FloorM: 1000, CeilingM: 5000, Start: t0, End: t0.Add(2 * time.Hour)}}}
	}
	for _, c := range []struct {
		name string
		edit func(p *operations.Plan)
		code string
		msg  string
	}{
		{"Good", func(*operations.Plan) {}, "", ""},
		{"Circle", func(p *operations.Plan) {
			p.Volumes[0].Geometry, p.Volumes[0].BufferM = json.RawMessage(`{"type":"Point","coordinates":[36,32.6]}`), 5000
		}, "", ""},
		{"Corridor", func(p *operations.Plan) {
			p.Volumes[0].Geometry, p.Volumes[0].BufferM = json.RawMessage(`{"type":"LineString","coordinates":[[36,32.6],[36.2,32.7]]}`), 500
		}, "", ""},
		{"ErrWindowBackwards", func(p *operations.Plan) { p.Volumes[0].End = t0.Add(-time.Hour) }, truce.EINVALID, "ends"},
		{"ErrWindowTooLong", func(p *operations.Plan) { p.Volumes[0].End = t0.Add(40 * 24 * time.Hour) }, truce.EINVALID, "at most"},
		{"ErrFloorAboveCeiling", func(p *operations.Plan) { p.Volumes[0].FloorM = 6000 }, truce.EINVALID, "floor"},
		{"ErrAltitudeRange", func(p *operations.Plan) { p.Volumes[0].CeilingM = 90_000 }, truce.EINVALID, "band"},
		{"ErrKind", func(p *operations.Plan) { p.Kind = "raid" }, truce.EINVALID, "kind"},
		{"Aircraft", func(p *operations.Plan) { p.Aircraft = []string{"4ca2d1", "0C0FFE"} }, "", ""},
		// An address the monitor cannot read would never be checked.
		{"ErrAircraftNotICAO", func(p *operations.Plan) { p.Aircraft = []string{"RFF123"} }, truce.EINVALID, "aircraft"},
		{"ErrAircraftShort", func(p *operations.Plan) { p.Aircraft = []string{"4ca2d"} }, truce.EINVALID, "aircraft"},
		{"ErrNoVolumes", func(p *operations.Plan) { p.Volumes = nil }, truce.EINVALID, "volumes"},
		{"ErrCircleWithoutRadius", func(p *operations.Plan) {
			p.Volumes[0].Geometry = json.RawMessage(`{"type":"Point","coordinates":[36,32.6]}`)
		}, truce.EINVALID, "radius"},
		{"ErrPolygonBuffer", func(p *operations.Plan) { p.Volumes[0].BufferM = 10 }, truce.EINVALID, "buffer"},
		{"ErrSelfIntersecting", func(p *operations.Plan) {
			p.Volumes[0].Geometry = json.RawMessage(`{"type":"Polygon","coordinates":[[[36,32.6],[36.1,32.7],[36.1,32.6],[36,32.7],[36,32.6]]]}`)
		}, truce.EUNPROCESSABLE, ""},
		{"ErrControlInName", func(p *operations.Plan) { p.Name = "a\x00b" }, truce.EINVALID, "name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := good()
			c.edit(&p)
			_, err := operations.CheckPlan(&p)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if truce.ErrorCode(err) != c.code || !strings.Contains(truce.ErrorMessage(err), c.msg) {
				t.Fatalf("CheckPlan: %v, want %s mentioning %q", err, c.code, c.msg)
			}
		})
	}
}
