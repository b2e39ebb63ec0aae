package observation_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// store is the SQL store with every capability's view: the tests'
// shared fixture (teststores), opened fresh on each database by stores.
type store = teststores.TestStore

var stores = teststores.StoreOpeners

// zonesAt is a zone index that answers with the same zones everywhere.
type zonesAt []observation.ZoneInForce

func (z zonesAt) InForce(context.Context, observation.Point, time.Time) ([]observation.ZoneInForce, error) {
	return z, nil
}

// world is a deployment with a monitoring mission (two observers and an
// operator) and a guarantor party (an operator).
type world struct {
	acc                           *accounts.Service
	svc                           *observation.Service
	st                            store
	mission, guarantor            *truce.Party
	obs1, obs2, op, gop, stranger *truce.Caller
	admin                         *truce.Caller
}

func newWorld(t testing.TB, st store, zones observation.Zones) *world {
	ctx := context.Background()
	j := journal.New(st)
	acc := teststores.Accounts(t, st, j)
	_, _, rootTok, err := acc.Bootstrap(ctx, truce.PartyCreate{Slug: "un", Name: "UN", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "root", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := acc.AuthenticateToken(ctx, rootTok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	actx := truce.NewContext(ctx, admin)
	w := &world{acc: acc, st: st, admin: admin}
	party := func(slug string, kind truce.PartyKind) *truce.Party {
		p, err := acc.CreateParty(actx, truce.PartyCreate{Slug: slug, Name: slug, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	user := func(p *truce.Party, name string, roles ...truce.Role) *truce.Caller {
		u, err := acc.CreateUser(actx, truce.UserCreate{Party: p.ID, Username: name, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return &truce.Caller{User: u, Party: p}
	}
	w.mission, w.guarantor = party("amman-centre", truce.PartyMonitor), party("jo", truce.PartyGuarantor)
	other := party("osce", truce.PartyMonitor)
	w.obs1, w.obs2 = user(w.mission, "team-a", truce.RoleObserver), user(w.mission, "team-b", truce.RoleObserver)
	w.op, w.gop = user(w.mission, "centre-op", truce.RoleOperator), user(w.guarantor, "jo-op", truce.RoleOperator)
	w.stranger = user(other, "osce-obs", truce.RoleObserver)
	w.svc = observation.New(st.Observation(), j, acc, zones)
	return w
}

func as(a *truce.Caller) context.Context { return truce.NewContext(context.Background(), a) }

// heardFrom is an explosion east of Dar'a heard at from, on the bearing
// to the target, a few minutes ago.
func heardFrom(from orb.Point, skew float64) observation.Input {
	target := orb.Point{36.16, 32.62}
	d := geo.Distance(from, target)
	start := time.Now().UTC().Add(-5 * time.Minute)
	return observation.Input{Mode: observation.ModeHeard, Position: observation.Point{Lon: from[0], Lat: from[1]},
		Bearing: &observation.Bearing{Degrees: geo.Bearing(from, target) + skew, Error: 3, MinDistance: d * 0.6, MaxDistance: d * 1.4},
		Start:   start, End: start.Add(time.Minute), Category: observation.CatExplosion, SubCategory: "artillery",
		Events: observation.Count{Best: 4, Low: 3, High: 6}}
}

// TestService_Observation walks issue #15's core on both stores: two
// teams of the monitoring mission hear shelling east of Dar'a from two
// positions; the second report joins the first's incident, which is
// corroborated and cross-fixed; another party reads the reports without
// the observers' names; bad input and the wrong callers change nothing;
// the centre verifies the incident with a signed decision, which finds
// the violation of the de-escalation rule and raises an alert; a new
// server's index, loaded from the store, groups a third report the same.
func TestService_Observation(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
			zones := zonesAt{{AgreementID: "ag-1", Rules: rules, ZoneID: "z-daraa", ZoneVersion: 3, Kind: truce.ZoneDeescalation}}
			w := newWorld(t, st, zones)
			posA, posB := orb.Point{36.10, 32.58}, orb.Point{36.13, 32.68}

			o1, err := w.svc.AddObservation(as(w.obs1), heardFrom(posA, 1))
			if err != nil {
				t.Fatal(err)
			}
			o2, err := w.svc.AddObservation(as(w.obs2), heardFrom(posB, -1))
			if err != nil {
				t.Fatal(err)
			}
			if o1.IncidentID == "" || o2.IncidentID != o1.IncidentID {
				t.Fatalf("incidents %q and %q, want one", o1.IncidentID, o2.IncidentID)
			}
			if o1.ObserverID != w.obs1.User.ID || o1.ObserverLabel != "observer of party amman-centre" {
				t.Fatalf("observer %q, label %q", o1.ObserverID, o1.ObserverLabel)
			}
			inc, err := w.svc.FindIncident(as(w.gop), o1.IncidentID)
			if err != nil {
				t.Fatal(err)
			}
			if inc.Status != observation.StatusCorroborated || inc.Observations != 2 || inc.Observers != 2 || len(inc.Parties) != 1 || inc.Version != 2 {
				t.Fatalf("incident %+v", inc)
			}
			if inc.Fix == nil || inc.Radius >= o1.Radius || inc.Radius >= o2.Radius {
				t.Fatalf("no better cross-fix: fix %+v, radius %.0f vs %.0f, %.0f", inc.Fix, inc.Radius, o1.Radius, o2.Radius)
			}
			if d := geo.Distance(pt(inc.Center), orb.Point{36.16, 32.62}); d > inc.Fix.SemiMajor {
				t.Fatalf("the shelling is %.0f m from the fix, outside its ellipse (%.0f m)", d, inc.Fix.SemiMajor)
			}

			// Identity: own party sees it, others see the label.
			if got, err := w.svc.FindObservation(as(w.obs2), o1.ID); err != nil || got.ObserverID != w.obs1.User.ID {
				t.Fatalf("own party reads %+v, %v", got, err)
			}
			got, err := w.svc.FindObservation(as(w.gop), o1.ID)
			if err != nil || got.ObserverID != "" || got.FiledBy != "" || got.ObserverLabel != "observer of party amman-centre" {
				t.Fatalf("another party reads observer %q / %q, %v", got.ObserverID, got.FiledBy, err)
			}
			list, _, err := w.svc.ListObservations(as(w.gop), observation.Filter{IncidentID: inc.ID})
			if err != nil || len(list) != 2 || list[0].ObserverID != "" || list[1].ObserverID != "" {
				t.Fatalf("another party lists %d, %v", len(list), err)
			}

			// Refusals change nothing.
			size, _ := st.JournalSize(ctx)
			bad := heardFrom(posA, 0)
			bad.Bearing.Degrees = 400
			refusals := []struct {
				name string
				a    *truce.Caller
				in   observation.Input
				code string
			}{
				{"ErrBearing", w.obs1, bad, truce.EINVALID},
				{"ErrGuarantorFiles", w.gop, heardFrom(posA, 0), truce.EFORBIDDEN},
				{"ErrObserverForAnother", w.obs1, func() observation.Input { in := heardFrom(posA, 0); in.ObserverID = w.obs2.User.ID; return in }(), truce.EFORBIDDEN},
				{"ErrAnotherPartysObserver", w.op, func() observation.Input { in := heardFrom(posA, 0); in.ObserverID = w.stranger.User.ID; return in }(), truce.EFORBIDDEN},
			}
			for _, r := range refusals {
				if _, err := w.svc.AddObservation(as(r.a), r.in); truce.ErrorCode(err) != r.code {
					t.Errorf("%s: %v, want %s", r.name, err, r.code)
				}
			}
			if after, _ := st.JournalSize(ctx); after != size {
				t.Fatalf("refusals journalled %d entries", after-size)
			}
			// An operator files for an observer of the party.
			forB := heardFrom(posB, 0)
			forB.ObserverID = "team-b"
			if o, err := w.svc.AddObservation(as(w.op), forB); err != nil || o.ObserverID != w.obs2.User.ID || o.FiledBy != w.op.User.ID {
				t.Fatalf("operator files for team-b: %+v, %v", o, err)
			}

			// Verification.
			if _, err := w.svc.DecideIncident(as(w.gop), inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "ours"}); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Fatalf("a guarantor verifies: %v", err)
			}
			if _, err := w.svc.DecideIncident(as(w.op), inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "x", Version: 1}); truce.ErrorCode(err) != truce.EPRECONDITION {
				t.Fatalf("decision on a stale version: %v", err)
			}
			cur, _ := w.svc.FindIncident(as(w.op), inc.ID)
			v, err := w.svc.DecideIncident(as(w.op), inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Two teams' bearings cross on the impact area."})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != observation.StatusVerified || len(v.Decisions) != 1 || len(v.Violations) != 1 || v.Violations[0].ZoneID != "z-daraa" || v.Violations[0].Activity != "shelling" {
				t.Fatalf("verified incident %+v", v)
			}
			d := v.Decisions[0]
			if err := observation.VerifyStatement(d.Signature, observation.DecisionStatement(cur, observation.ActionVerify, d.Reason), w.mission.PublicKey); err != nil {
				t.Fatalf("the decision's signature: %v", err)
			}
			if err := observation.VerifyStatement(d.Signature, observation.DecisionStatement(cur, observation.ActionReject, d.Reason), w.mission.PublicKey); err == nil {
				t.Fatal("the signature verifies for another action")
			}
			alerts, err := st.Airspace().Alerts(ctx, truce.AlertFilter{Kind: observation.AlertViolation})
			if err != nil || len(alerts) != 1 || alerts[0].Episode != inc.ID || alerts[0].ZoneID != "z-daraa" {
				t.Fatalf("violation alerts %+v, %v", alerts, err)
			}
			if _, err := w.svc.DecideIncident(as(w.op), inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "again"}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Fatalf("verified twice: %v", err)
			}
			dis, err := w.svc.DecideIncident(as(w.gop), inc.ID, observation.DecisionInput{Action: observation.ActionDispute, Reason: "Our units were not firing."})
			if err != nil || dis.Status != observation.StatusDisputed || len(dis.Decisions) != 2 || dis.Decisions[1].PartyID != w.guarantor.ID {
				t.Fatalf("dispute: %+v, %v", dis, err)
			}

			// A new server rebuilds the index from the store.
			svc2 := observation.New(st.Observation(), journal.New(st), w.acc, zones)
			if n, err := svc2.Load(ctx); err != nil || n != 3 || svc2.Index.Len() != 3 {
				t.Fatalf("Load = %d, %v", n, err)
			}
			o4, err := svc2.AddObservation(as(w.obs1), heardFrom(posA, 0))
			if err != nil || o4.IncidentID != inc.ID {
				t.Fatalf("after a restart, a report of the same event opens %q, want %q (%v)", o4.IncidentID, inc.ID, err)
			}
			far := heardFrom(posA, 0)
			far.Bearing, far.Location, far.Accuracy = nil, &observation.Point{Lon: 37.5, Lat: 33.5}, 1000
			if o5, err := svc2.AddObservation(as(w.obs1), far); err != nil || o5.IncidentID == inc.ID {
				t.Fatalf("a report 150 km away joins the incident: %v", err)
			}
		})
	}
}

// zonesFrom is a zone index whose zones come into force at from.
type zonesFrom struct {
	from  time.Time
	zones []observation.ZoneInForce
}

func (z zonesFrom) InForce(_ context.Context, _ observation.Point, t time.Time) ([]observation.ZoneInForce, error) {
	if t.Before(z.from) {
		return nil, nil
	}
	return z.zones, nil
}

// TestService_ViolationAtWindowEnd: a zone that came into force during
// the incident's window is broken by it (the event may have been at the
// window's end), and counted once.
func TestService_ViolationAtWindowEnd(t *testing.T) {
	st := stores["SQLite"](t)
	in := heardFrom(orb.Point{36.10, 32.58}, 0)
	rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
	zones := zonesFrom{from: in.End.Truncate(time.Microsecond), zones: []observation.ZoneInForce{{AgreementID: "ag", Rules: rules, ZoneID: "z", ZoneVersion: 1, Kind: truce.ZoneDeescalation}}}
	w := newWorld(t, st, zones)
	o, err := w.svc.AddObservation(as(w.obs1), in)
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.svc.DecideIncident(as(w.op), o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Violations) != 1 || v.Violations[0].ZoneID != "z" {
		t.Fatalf("violations %+v, want the zone in force at the window's end, once", v.Violations)
	}
}

// TestService_ConcurrentReportsOneIncident: reports of one event filed at
// once, by two observers on both stores' group commits, make one
// incident that counts them all; reports of another place, filed at the
// same time, make their own.
func TestService_ConcurrentReportsOneIncident(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t), nil)
			const n = 24
			in := heardFrom(orb.Point{36.10, 32.58}, 0)
			far := in
			far.Bearing, far.Location, far.Accuracy = nil, &observation.Point{Lon: 36.9, Lat: 33.4}, 500
			ids := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					who, what := w.obs1, in
					if i%2 == 1 {
						who = w.obs2
					}
					if i%3 == 2 {
						what = far
					}
					o, err := w.svc.AddObservation(as(who), what)
					if err == nil {
						ids[i] = o.IncidentID
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			count := map[string]int{}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("report %d: %v", i, errs[i])
				}
				count[ids[i]]++
			}
			if len(count) != 2 {
				t.Fatalf("%d incidents, want 2: %v", len(count), count)
			}
			for id, c := range count {
				inc, err := w.svc.FindIncident(as(w.op), id)
				if err != nil || inc.Observations != c || inc.Version != c {
					t.Fatalf("incident %s counts %d observations at version %d, filed %d (%v)", id, inc.Observations, inc.Version, c, err)
				}
			}
		})
	}
}
