package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// inForce puts the env's agreement in force and approves a proposal by
// both signatories.
func (e *env) approveAll(t *testing.T, zoneID string, version int) *truce.ZoneVersion {
	t.Helper()
	ctx := context.Background()
	var v *truce.ZoneVersion
	for _, u := range []string{"us-op", "ru-op"} {
		var err error
		if v, err = e.client(e.tokens[u]).DecideZone(ctx, zoneID, version, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s approves: %v", u, err)
		}
	}
	return v
}

// agreementInForce brings the env's agreement into force: the
// administrator proposes, both signatories sign.
func (e *env) agreementInForce(t *testing.T) {
	t.Helper()
	e.agreeAll(t, truce.AgreementMotion{Action: truce.AgreementBringIntoForce})
}

// agreeAll has the administrator propose m and both signatories approve
// it, and returns the agreement as the last approval left it.
func (e *env) agreeAll(t *testing.T, m truce.AgreementMotion) *truce.Agreement {
	t.Helper()
	ctx := context.Background()
	ag, err := e.client(e.admin).ProposeAgreement(ctx, e.agreement.ID, m, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"us-op", "ru-op"} {
		if ag, err = e.client(e.tokens[u]).DecideAgreement(ctx, e.agreement.ID, ag.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s approves: %v", u, err)
		}
	}
	return ag
}

func ids(zs []truce.ZoneAt) []string {
	var out []string
	for _, z := range zs {
		out = append(out, z.Zone.ID)
	}
	return out
}

func TestZoneService_Lifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.agreementInForce(t)
	us, ru := e.client(e.tokens["us-op"]), e.client(e.tokens["ru-op"])
	nan := math.NaN()

	// Proposed: not in force.
	if got, _ := us.ZonesAt(ctx, 36.2, 33.2, 1000, time.Now()); len(got) != 0 {
		t.Fatalf("a proposed zone is in force: %v", ids(got))
	}
	v, err := us.DecideZone(ctx, e.zone.ID, 1, truce.ZoneDecision{Approve: true})
	if err != nil || v.Status != truce.VersionProposed || len(v.Decisions) != 1 {
		t.Fatalf("first approval: %+v %v", v, err)
	}
	if _, err := us.DecideZone(ctx, e.zone.ID, 1, truce.ZoneDecision{Approve: true}); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second decision by one party: %v", err)
	}
	if got, _ := us.ZonesAt(ctx, 36.2, 33.2, 1000, time.Now()); len(got) != 0 {
		t.Fatal("in force with one of two approvals")
	}
	v, err = ru.DecideZone(ctx, e.zone.ID, 1, truce.ZoneDecision{Approve: true})
	if err != nil || v.Status != truce.VersionApproved || v.InForceFrom == nil {
		t.Fatalf("all approved: %+v %v", v, err)
	}
	t1 := time.Now()
	for _, alt := range []float64{0, 1000, nan} {
		if got, err := ru.ZonesAt(ctx, 36.2, 33.2, alt, t1); err != nil || len(got) != 1 || got[0].Zone.ID != e.zone.ID || got[0].Zone.State != truce.ZoneStateInForce {
			t.Fatalf("alt %v: %v %v", alt, ids(got), err)
		}
	}
	if got, _ := ru.ZonesAt(ctx, 37.2, 33.2, 1000, t1); len(got) != 0 {
		t.Fatal("a point outside is in the zone")
	}
	// Each decision is signed with the party's key and verifies.
	hist, err := ru.ZoneHistory(ctx, e.zone.ID)
	if err != nil || len(hist) != 1 {
		t.Fatal(hist, err)
	}
	for _, d := range hist[0].Decisions {
		p := map[string]*truce.Party{e.parties["us"].ID: e.parties["us"], e.parties["ru"].ID: e.parties["ru"]}[d.PartyID]
		if err := zones.VerifyDecision(hist[0], d, p.PublicKey); err != nil {
			t.Fatalf("decision of %s: %v", p.Slug, err)
		}
		if err := zones.VerifyDecision(hist[0], d, e.parties["ru"].PublicKey); p.Slug == "us" && err == nil {
			t.Fatal("us's decision verifies with ru's key")
		}
	}

	// A change with an altitude band supersedes version 1, strictly later
	// than all the above.
	testwait.Past(time.Now())
	shifted := `{"type":"Polygon","coordinates":[[[37,33],[37.5,33],[37.5,33.5],[37,33.5],[37,33]]]}`
	v2, err := ru.ProposeChange(ctx, e.zone.ID, truce.ZoneProposal{Name: "Box east", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(shifted), Floor: "0", Ceiling: "FL200"}, 0)
	if err != nil || v2.Version != 2 || v2.Spec.CeilingM == nil || math.Abs(*v2.Spec.CeilingM-6096) > 0.01 {
		t.Fatalf("change: %+v %v", v2, err)
	}
	if _, err := us.ProposeChange(ctx, e.zone.ID, truce.ZoneProposal{Name: "x", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(shifted)}, 0); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second pending change: %v", err)
	}
	e.approveAll(t, e.zone.ID, 2)
	t2 := time.Now()
	if got, _ := us.ZonesAt(ctx, 37.2, 33.2, 5000, t2); len(got) != 1 || got[0].Version.Version != 2 {
		t.Fatalf("new geometry at 5,000 m: %v", got)
	}
	if got, _ := us.ZonesAt(ctx, 37.2, 33.2, 7000, t2); len(got) != 0 {
		t.Fatal("above the FL200 ceiling is in the zone")
	}
	if got, _ := us.ZonesAt(ctx, 36.2, 33.2, nan, t2); len(got) != 0 {
		t.Fatal("the old geometry is still in force")
	}
	// The past is answerable: at t1 version 1 was in force.
	if got, err := us.ZonesAt(ctx, 36.2, 33.2, nan, t1); err != nil || len(got) != 1 || got[0].Version.Version != 1 {
		t.Fatalf("at t1: %v %v", got, err)
	}
	old, err := us.ZonesInForce(ctx, t1)
	if err != nil || len(old) != 1 || old[0].Version != 1 || old[0].Status != truce.VersionSuperseded {
		t.Fatalf("in force at t1: %+v %v", old, err)
	}

	// A rejected change leaves version 2 in force.
	v3, err := us.ProposeChange(ctx, e.zone.ID, truce.ZoneProposal{Name: "Box west", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxJSON)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	v3, err = ru.DecideZone(ctx, e.zone.ID, v3.Version, truce.ZoneDecision{Approve: false, Reason: "Overlaps our patrol area."})
	if err != nil || v3.Status != truce.VersionRejected {
		t.Fatalf("reject: %+v %v", v3, err)
	}
	if got, _ := us.ZonesAt(ctx, 37.2, 33.2, 100, time.Now()); len(got) != 1 || got[0].Version.Version != 2 {
		t.Fatal("a rejection changed what is in force")
	}

	// Suspension takes it out of force; the history keeps everything.
	v4, err := us.ProposeSuspension(ctx, e.zone.ID, "Talks", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.approveAll(t, e.zone.ID, v4.Version)
	t4 := time.Now()
	if got, _ := us.ZonesAt(ctx, 37.2, 33.2, 100, t4); len(got) != 0 {
		t.Fatal("a suspended zone is in force")
	}
	z, _ := us.FindZone(ctx, e.zone.ID)
	if z.State != truce.ZoneStateSuspended {
		t.Fatalf("state %s", z.State)
	}
	if got, _ := us.ZonesAt(ctx, 37.2, 33.2, 100, t2); len(got) != 1 {
		t.Fatal("the past changed after suspension")
	}
	hist, _ = us.ZoneHistory(ctx, e.zone.ID)
	wantStatus := []truce.VersionStatus{truce.VersionSuperseded, truce.VersionSuperseded, truce.VersionRejected, truce.VersionApproved}
	for i, v := range hist {
		if v.Status != wantStatus[i] {
			t.Errorf("version %d status %s, want %s", v.Version, v.Status, wantStatus[i])
		}
	}
	// Every step is in the journal under the zone's id, chained by prev.
	rs, _, _ := e.client(e.admin).ListJournal(ctx, 0, 500)
	var prev *int64
	n := 0
	for _, r := range rs {
		if r.Entry.Kind == "zone" && r.Entry.Subject == e.zone.ID {
			if (prev == nil) != (r.Entry.Prev == nil) || (prev != nil && *prev != *r.Entry.Prev) {
				t.Fatalf("entry %d: prev %v, want %v", r.Index, r.Entry.Prev, prev)
			}
			i := r.Index
			prev = &i
			n++
		}
	}
	// propose + 2 decisions, change + 2 decisions, change + rejection,
	// suspension + 2 decisions
	if n != 11 {
		t.Fatalf("%d journal entries for the zone, want 11", n)
	}
}

// TestZoneService_AgreementStatusInThePast: a zone in force while its
// agreement was in force is still answered as in force at that time after
// the agreement is suspended (and not after).
func TestZoneService_AgreementStatusInThePast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.agreementInForce(t)
	e.approveAll(t, e.zone.ID, 1)
	us := e.client(e.tokens["us-op"])
	t1 := time.Now()
	testwait.Past(t1) // the suspension is later than t1
	ag := e.agreeAll(t, truce.AgreementMotion{Action: truce.AgreementSuspend})
	if n := len(ag.StatusHistory); n != 3 || ag.StatusHistory[0].Status != truce.AgreementDraft || ag.StatusHistory[2].Status != truce.AgreementSuspended {
		t.Fatalf("status history %+v", ag.StatusHistory)
	}
	testwait.Past(time.Now()) // t2 is later than the suspension
	t2 := time.Now()
	if zs, err := us.ZonesInForce(ctx, t1); err != nil || len(zs) != 1 || zs[0].ZoneID != e.zone.ID {
		t.Fatalf("in force at t1, before the suspension: %d zones, %v", len(zs), err)
	}
	if got, err := us.ZonesAt(ctx, 36.2, 33.2, math.NaN(), t1); err != nil || len(got) != 1 {
		t.Fatalf("at t1, at a point inside: %v %v", ids(got), err)
	}
	if zs, err := us.ZonesInForce(ctx, t2); err != nil || len(zs) != 0 {
		t.Fatalf("in force at t2, after the suspension: %d zones, %v", len(zs), err)
	}
	if got, err := us.ZonesAt(ctx, 36.2, 33.2, 1000, t2); err != nil || len(got) != 0 {
		t.Fatalf("at t2 (live index): %v %v", ids(got), err)
	}
	// The zone's own state is in force; it is not shown in force while
	// its agreement is suspended.
	var view truce.ZoneView
	if status, _, b := e.do("GET", "/api/v1/zones/"+e.zone.ID, e.tokens["us-op"], ""); status != 200 || json.Unmarshal(b, &view) != nil {
		t.Fatalf("GET zone: %d %s", status, b)
	}
	if view.Zone == nil || view.State != truce.ZoneStateInForce || view.InForce || view.Agreement.Status != truce.AgreementSuspended {
		t.Fatalf("zone of a suspended agreement: state %s, in_force %v, agreement %+v", view.State, view.InForce, view.Agreement)
	}
}

func TestZoneService_FutureWindowsAndCircle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.agreementInForce(t)
	us := e.client(e.tokens["us-op"])
	now := time.Now().UTC()
	start, end := now.Add(2*time.Hour), now.Add(4*time.Hour)
	eff := now.Add(time.Hour)
	z, _, err := us.ProposeZone(ctx, truce.ZoneProposal{Agreement: e.agreement.ID, Name: "Airfield circle", Kind: truce.ZoneNoFly,
		Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.5,33.4]}`), RadiusM: 10_000, Ceiling: "FL100",
		Windows: []truce.Window{{Start: &start, End: &end}}, EffectiveFrom: &eff})
	if err != nil {
		t.Fatal(err)
	}
	e.approveAll(t, z.ID, 1)
	in := geo.Destination(orb.Point{36.5, 33.4}, 45, 9_500)
	out := geo.Destination(orb.Point{36.5, 33.4}, 45, 10_500)
	at := func(p orb.Point, tm time.Time) int {
		got, err := us.ZonesAt(ctx, p[0], p[1], 500, tm)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	for _, c := range []struct {
		name string
		p    orb.Point
		t    time.Time
		want int
	}{
		{"before effective", in, now.Add(30 * time.Minute), 0},
		{"effective but outside window", in, now.Add(90 * time.Minute), 0},
		{"in window", in, now.Add(3 * time.Hour), 1},
		{"in window, 10.5 km out", out, now.Add(3 * time.Hour), 0},
		{"after window", in, now.Add(5 * time.Hour), 0},
	} {
		if got := at(c.p, c.t); got != c.want {
			t.Errorf("%s: %d zones, want %d", c.name, got, c.want)
		}
	}
}

func TestZoneService_BadGeometry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct{ name, geom, want string }{
		{"ErrNotClosed", `{"type":"Polygon","coordinates":[[[36,33],[36.5,33],[36.5,33.5],[36,33.5]]]}`, "ring 0"},
		{"ErrOutOfRange", `{"type":"Polygon","coordinates":[[[36,33],[200,33],[36.5,33.5],[36,33]]]}`, "vertex 1"},
		{"ErrSelfIntersection", `{"type":"Polygon","coordinates":[[[36,33],[37,34],[37,33],[36,34],[36,33]]]}`, "self-intersection"},
		{"ErrHoleOutside", `{"type":"Polygon","coordinates":[[[36,33],[37,33],[37,34],[36,34],[36,33]],[[38,35],[38.5,35],[38.5,35.5],[38,35]]]}`, "ring 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.journalSize()
			body := `{"agreement":"` + e.agreement.ID + `","name":"Bad","kind":"buffer","geometry":` + c.geom + `}`
			status, h, b := e.do("POST", "/api/v1/zones", e.tokens["us-op"], body)
			if status != 422 || problemCode(t, h, b) != truce.EUNPROCESSABLE || !strings.Contains(string(b), c.want) {
				t.Fatalf("%d %s; want 422 mentioning %q", status, b, c.want)
			}
			if e.journalSize() != before {
				t.Fatal("a refused zone changed the journal")
			}
		})
	}
	for _, c := range []struct{ name, body string }{
		{"ErrKind", `{"name":"x","kind":"moat","geometry":` + boxJSON + `}`},
		{"ErrCeilingBelowFloor", `{"name":"x","kind":"no_fly","geometry":` + boxJSON + `,"floor":"FL200","ceiling":"1000ft"}`},
		{"ErrAltitudeJunk", `{"name":"x","kind":"no_fly","geometry":` + boxJSON + `,"ceiling":"high"}`},
		{"ErrLineWithoutWidth", `{"name":"x","kind":"humanitarian_corridor","geometry":{"type":"LineString","coordinates":[[36,33],[36.5,33.5]]}}`},
		{"ErrPointWithoutRadius", `{"name":"x","kind":"no_fly","geometry":{"type":"Point","coordinates":[36,33]}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := `{"agreement":"` + e.agreement.ID + `",` + c.body[1:]
			if status, _, b := e.do("POST", "/api/v1/zones", e.tokens["us-op"], body); status != 400 {
				t.Fatalf("%d %s", status, b)
			}
		})
	}
}

// TestZoneService_OwnKey: a party holding its own key signs the decision
// statement itself; a signature by another key is refused.
func TestZoneService_OwnKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.client(e.admin)
	skey, vkey, _ := note.GenerateKey(rand.Reader, "jordan")
	if _, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: vkey}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "jo", Username: "jo-op", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
		t.Fatal(err)
	}
	tk, _ := admin.CreateToken(ctx, truce.TokenCreate{User: "jo-op", Name: "t"})
	jo := e.client(tk.Secret)
	ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Bilateral", Signatories: []string{"jo"}, EffectiveFrom: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	// Jordan signs the agreement's text with its own key too: the
	// server cannot bring it into force for it.
	skeyAg, _ := note.NewSigner(skey)
	ag, err = admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jo.DecideAgreement(ctx, ag.ID, 1, truce.ZoneDecision{Approve: true}); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("unsigned agreement decision of a party with its own key: %v", err)
	}
	agStatement, _ := truce.AgreementDecisionStatement(ag.ID, ag.Proposal, true)
	if status, _, b := e.do("GET", "/api/v1/agreements/"+ag.ID+"/proposals/1/statement?decision=approve", tk.Secret, ""); status != 200 || string(b) != agStatement {
		t.Fatalf("statement served: %d %q, want %q", status, b, agStatement)
	}
	agSig, _ := note.Sign(&note.Note{Text: agStatement}, skeyAg)
	if ag, err = jo.DecideAgreement(ctx, ag.ID, 1, truce.ZoneDecision{Approve: true, Signature: string(agSig)}); err != nil || ag.Status != truce.AgreementInForce {
		t.Fatalf("signed agreement decision: %+v %v", ag, err)
	}
	z, v, err := jo.ProposeZone(ctx, truce.ZoneProposal{Agreement: ag.ID, Name: "Border buffer", Kind: truce.ZoneBuffer, Geometry: json.RawMessage(boxJSON)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jo.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("unsigned decision of a party with its own key: %v", err)
	}
	statement, _ := truce.DecisionStatement(v, true)
	otherKey, _, _ := note.GenerateKey(rand.Reader, "jordan")
	for _, k := range []string{otherKey} {
		s, _ := note.NewSigner(k)
		bad, _ := note.Sign(&note.Note{Text: statement}, s)
		if _, err := jo.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true, Signature: string(bad)}); truce.ErrorCode(err) != truce.EUNPROCESSABLE {
			t.Fatalf("signature by another key: %v", err)
		}
	}
	s, _ := note.NewSigner(skey)
	wrongText, _ := note.Sign(&note.Note{Text: strings.Replace(statement, "approve", "reject", 1)}, s)
	if _, err := jo.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true, Signature: string(wrongText)}); truce.ErrorCode(err) != truce.EUNPROCESSABLE {
		t.Fatalf("signature over another statement: %v", err)
	}
	good, _ := note.Sign(&note.Note{Text: statement}, s)
	got, err := jo.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true, Signature: string(good)})
	if err != nil || got.Status != truce.VersionApproved {
		t.Fatalf("signed decision: %+v %v", got, err)
	}
}

// TestZoneService_DamascusHole imports the real Natural Earth governorates
// of Rural Damascus (whose polygon has a hole) and Damascus city: a point
// in the city is in SY-DI and not in SY-RD.
func TestZoneService_DamascusHole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.agreementInForce(t)
	raw, err := os.ReadFile("../geo/testdata/syria-admin1-naturalearth.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	json.Unmarshal(raw, &fc)
	var keep []json.RawMessage
	for _, f := range fc.Features {
		if strings.Contains(string(f), `"SY-RD"`) || strings.Contains(string(f), `"SY-DI"`) {
			keep = append(keep, f)
		}
	}
	if len(keep) != 2 {
		t.Fatalf("found %d of the 2 governorates", len(keep))
	}
	fcJSON, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": keep})
	vs, err := e.client(e.tokens["us-op"]).ImportZones(ctx, truce.ZoneImport{Agreement: e.agreement.ID, Features: fcJSON,
		Defaults: truce.ZoneProposal{Name: "Governorate", Kind: truce.ZoneDeescalation}})
	if err != nil || len(vs) != 2 {
		t.Fatalf("import: %v %v", vs, err)
	}
	names := map[string]string{}
	for _, v := range vs {
		e.approveAll(t, v.ZoneID, 1)
		names[v.ZoneID] = v.Spec.Name
	}
	umayyad := orb.Point{36.3063, 33.5116} // the Umayyad Mosque, Damascus
	for _, alt := range []float64{700, math.NaN()} {
		got, err := e.client(e.admin).ZonesAt(ctx, umayyad[0], umayyad[1], alt, time.Now())
		if err != nil || len(got) != 1 {
			t.Fatalf("alt %v: %d zones %v", alt, len(got), err)
		}
		if !strings.Contains(string(got[0].Version.Spec.Geometry), "") || got[0].Zone.ID == "" {
			t.Fatal("empty result")
		}
		var feat map[string]any
		for _, f := range keep {
			if strings.Contains(string(f), `"SY-DI"`) {
				json.Unmarshal(f, &feat)
			}
		}
		// The zone found is the one imported from the SY-DI feature.
		di := geo.Covers
		g, _ := geo.Decode(got[0].Version.Spec.Geometry, geo.Options{MaxVertices: -1})
		if !di(g, umayyad) {
			t.Fatal("the zone found does not cover the point")
		}
		b := g.Bound()
		if b.Max[0]-b.Min[0] > 1 {
			t.Fatalf("alt %v: the zone found spans %.1f° of longitude: that is Rural Damascus, not the city", alt, b.Max[0]-b.Min[0])
		}
	}
	fcOut := api.FeatureCollection{}
	_, _, body := e.do("GET", "/api/v1/zones/export", e.admin, "")
	if err := json.Unmarshal(body, &fcOut); err != nil || len(fcOut.Features) != 2 || fcOut.Type != "FeatureCollection" {
		t.Fatalf("export: %v %s", err, body[:min(200, len(body))])
	}
}
