package node

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/agreetest"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// monitorTeam makes a monitoring mission with an observer and an operator.
func monitorTeam(t *testing.T, n *Node, admin context.Context, slug string) (observer, operator context.Context) {
	t.Helper()
	p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyMonitor})
	if err != nil {
		t.Fatal(err)
	}
	caller := func(name string, role truce.Role) context.Context {
		u, err := n.Accounts.CreateUser(admin, truce.UserCreate{Party: p.ID, Username: name, Roles: []truce.Role{role}})
		if err != nil {
			t.Fatal(err)
		}
		return truce.NewContext(context.Background(), &truce.Caller{User: u, Party: p})
	}
	return caller(slug+"-obs", truce.RoleObserver), caller(slug+"-op", truce.RoleOperator)
}

// shellingAt is an explosion at a point, within the last minute.
func shellingAt(lon, lat float64) observation.Input {
	end := time.Now().UTC()
	return observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: lon - 0.02, Lat: lat},
		Location: &observation.Point{Lon: lon, Lat: lat}, Accuracy: 300, Start: end.Add(-time.Minute), End: end,
		Category: observation.CatExplosion, SubCategory: "artillery", Events: observation.Count{Best: 2, Low: 1, High: 3}}
}

// shelled is a server over a fresh store where shelling is prohibited in
// de-escalation zones and has been reported by a monitoring team inside
// one in force.
type shelled struct {
	e                         *tamperEnv
	n                         *Node
	admin, observer, operator context.Context
	ag                        *truce.Agreement
	z                         *truce.Zone
	o                         *observation.Observation
}

// shellingInZone opens a server (SQLite, or PostgreSQL when pg is true)
// with an agreement in force that prohibits shelling in de-escalation
// zones, a de-escalation zone of it in force over boxGeometry, a
// monitoring team ("centre"), and its observer's report of shelling inside
// the zone.
func shellingInZone(t *testing.T, pg bool) shelled {
	t.Helper()
	c := shelled{e: newTamperEnv(t, pg)}
	c.n = c.e.mustOpen(t)
	c.admin = truce.NewContext(context.Background(), c.e.admin)
	rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
	c.ag = inForceAgreement(t, c.n, c.admin, []string{c.e.admin.Party.ID}, rules)
	z, _, err := c.n.Zones.ProposeZone(c.admin, truce.ZoneProposal{Agreement: c.ag.ID, Name: "South-west", Kind: truce.ZoneDeescalation, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.n.Zones.DecideZone(c.admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	c.z = z
	c.observer, c.operator = monitorTeam(t, c.n, c.admin, "centre")
	if c.o, err = c.n.Observation.AddObservation(c.observer, shellingAt(36.1, 33.1)); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestObservation_ViolationOfZoneAtEventTime: shelling is reported inside a
// de-escalation zone while its first version is in force; the zone is then
// moved elsewhere (version 2), and the server restarted. The incident,
// verified after that, breaks version 1, the one in force where and when
// it happened. The lookup used to ask the live zone index, which holds
// only what is in force from the server's start on, so the agreement's
// InForceAt(event time) was asked of nothing and no violation was found.
func TestObservation_ViolationOfZoneAtEventTime(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		c := shellingInZone(t, pg)
		e, n, admin, ag, z, operator, o := c.e, c.n, c.admin, c.ag, c.z, c.operator, c.o
		moved := `{"type":"Polygon","coordinates":[[[10,10],[10.2,10],[10.2,10.2],[10,10.2],[10,10]]]}`
		v2, err := n.Zones.ProposeChange(admin, z.ID, truce.ZoneProposal{Agreement: ag.ID, Name: "South-west", Kind: truce.ZoneDeescalation, Geometry: json.RawMessage(moved)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Zones.DecideZone(admin, z.ID, v2.Version, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		n.Close()
		n = e.mustOpen(t)
		inc, err := n.Observation.DecideIncident(operator, o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen by the team"})
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Violations) != 1 || inc.Violations[0].ZoneID != z.ID || inc.Violations[0].ZoneVersion != 1 || inc.Violations[0].AgreementID != ag.ID {
			t.Fatalf("violations %+v; want one, of zone %s version 1 (in force at the event) of agreement %s", inc.Violations, z.ID, ag.ID)
		}
	})
}

// TestObservation_ViolationOfRulesAtEventTime: shelling is reported inside
// a de-escalation zone while its agreement prohibits shelling there; the
// signatories then amend the agreement and lift that prohibition. The
// incident, verified after the amendment, broke the rule in force when it
// happened: the amendment replaced the agreement's rules in place and the
// check read the current ones, so no violation was found.
func TestObservation_ViolationOfRulesAtEventTime(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		c := shellingInZone(t, pg)
		e, n, admin, ag, observer, operator, o := c.e, c.n, c.admin, c.ag, c.observer, c.operator, c.o
		var err error
		lifted := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "air_strike", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}}}
		if _, err := n.Zones.ProposeAgreement(admin, ag.ID, truce.AgreementMotion{Action: truce.AgreementAmend, Text: &truce.AgreementUpdate{Rules: &lifted}}, 0); err != nil {
			t.Fatal(err)
		}
		amended := ag
		for _, ctx := range agreetest.Operators(t, n.Accounts, admin, ag.Signatories...) {
			if amended, err = n.Zones.DecideAgreement(ctx, ag.ID, 2, truce.ZoneDecision{Approve: true}); err != nil {
				t.Fatal(err)
			}
		}
		if len(amended.Rules.Prohibited) != 1 || amended.Rules.Prohibited[0].Activity != "air_strike" {
			t.Fatalf("the amendment did not take effect: rules %+v", amended.Rules)
		}
		n.Close()
		n = e.mustOpen(t)
		inc, err := n.Observation.DecideIncident(operator, o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen by the team"})
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Violations) != 1 || inc.Violations[0].Activity != "shelling" || inc.Violations[0].AgreementID != ag.ID {
			t.Fatalf("violations %+v; want one, of the shelling prohibition in force at the event", inc.Violations)
		}
		// Shelling reported after the amendment breaks no rule.
		later, err := n.Observation.AddObservation(observer, shellingAt(36.15, 33.15))
		if err != nil {
			t.Fatal(err)
		}
		if later.IncidentID == o.IncidentID {
			t.Fatal("the later report joined the verified incident")
		}
		inc2, err := n.Observation.DecideIncident(operator, later.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen by the team"})
		if err != nil {
			t.Fatal(err)
		}
		if len(inc2.Violations) != 0 {
			t.Fatalf("shelling after the prohibition was lifted: violations %+v, want none", inc2.Violations)
		}
	})
}

// shellingZone makes a de-escalation zone over boxGeometry in agreement ag,
// approved by an operator of each of its signatories.
func shellingZone(t *testing.T, n *Node, admin context.Context, ag *truce.Agreement) *truce.Zone {
	t.Helper()
	z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "South-west", Kind: truce.ZoneDeescalation, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range agreetest.Operators(t, n.Accounts, admin, ag.Signatories...) {
		if _, err := n.Zones.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
	}
	return z
}

// verifyShelling verifies the incident of o and fails unless it records
// one violation, of the shelling prohibition of agreement ag.
func verifyShelling(t *testing.T, n *Node, operator context.Context, o *observation.Observation, ag *truce.Agreement) {
	t.Helper()
	inc, err := n.Observation.DecideIncident(operator, o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen by the team"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Violations) != 1 || inc.Violations[0].Activity != "shelling" || inc.Violations[0].AgreementID != ag.ID {
		t.Fatalf("violations %+v; want one, of the shelling prohibition of agreement %s in force at the event", inc.Violations, ag.ID)
	}
}

// TestObservation_ViolationOfPeriodAtEventTime: shelling is reported
// inside a de-escalation zone of an agreement in force with no end; the
// signatories then amend the agreement's period to end before the event.
// The incident, verified after the amendment, broke the agreement as it
// stood when it happened: the period was judged by the amended text, so
// the agreement counted as ended at the event and no violation was found.
func TestObservation_ViolationOfPeriodAtEventTime(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, rules)
		shellingZone(t, n, admin, ag)
		observer, operator := monitorTeam(t, n, admin, "centre")
		o, err := n.Observation.AddObservation(observer, shellingAt(36.1, 33.1))
		if err != nil {
			t.Fatal(err)
		}
		end := o.Start.Add(-10 * time.Minute)
		amended, err := truce.AgreeAll(n.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementAmend, Text: &truce.AgreementUpdate{EffectiveTo: &end}},
			agreetest.Operators(t, n.Accounts, admin, ag.Signatories...)...)
		if err != nil {
			t.Fatal(err)
		}
		if amended.EffectiveTo == nil || !amended.EffectiveTo.Equal(end) {
			t.Fatalf("the amendment did not take effect: effective_to %v", amended.EffectiveTo)
		}
		n.Close()
		n = e.mustOpen(t)
		verifyShelling(t, n, operator, o, ag)
	})
}

// TestObservation_ViolationOfSignatoriesAtEventTime: an agreement of three
// signatories A, B and C; C gives notice of withdrawal, which takes effect
// a day later, leaving A and B bound, and shelling is reported after that
// in its de-escalation zone. The signatories then amend the agreement to
// A and C. The incident, verified after the amendment, broke the
// agreement as it stood when it happened (A and B bound): the withdrawal
// was counted among the amended signatories, so the agreement counted as
// ended by C's notice before the event and no violation was found.
func TestObservation_ViolationOfSignatoriesAtEventTime(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		var sigs []string
		for _, slug := range []string{"b", "c"} {
			p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyGuarantor})
			if err != nil {
				t.Fatal(err)
			}
			sigs = append(sigs, p.ID)
		}
		b, c := sigs[0], sigs[1]
		rules := truce.AgreementRules{NoticePeriod: truce.MinNoticePeriod,
			Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID, b, c}, rules)
		shellingZone(t, n, admin, ag)
		if _, err := n.Zones.GiveNotice(agreetest.Operators(t, n.Accounts, admin, c)[0], ag.ID, truce.NoticeCreate{Reason: "talks failed"}); err != nil {
			t.Fatal(err)
		}
		// A day and an hour later: C's withdrawal has taken effect.
		later := time.Now().Add(time.Duration(truce.MinNoticePeriod) + time.Hour)
		n.Journal.Now = func() time.Time { return journal.Now().Add(time.Until(later)) }
		observer, operator := monitorTeam(t, n, admin, "centre")
		in := shellingAt(36.1, 33.1)
		in.End = n.Journal.Now()
		in.Start = in.End.Add(-time.Minute)
		o, err := n.Observation.AddObservation(observer, in)
		if err != nil {
			t.Fatal(err)
		}
		amended, err := truce.AgreeAll(n.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementAmend, Text: &truce.AgreementUpdate{Signatories: []string{e.admin.Party.ID, c}}},
			agreetest.Operators(t, n.Accounts, admin, e.admin.Party.ID, b, c)...)
		if err != nil {
			t.Fatal(err)
		}
		if len(amended.Signatories) != 2 {
			t.Fatalf("the amendment did not take effect: signatories %v", amended.Signatories)
		}
		verifyShelling(t, n, operator, o, ag)
	})
}

// TestObservation_LoadVouched: an observation's stored row is moved to
// 10°N 10°E in the database. The grouping index, loaded at start-up,
// holds it where the journal says it is (a new report there joins its
// incident; one at 10°N 10°E does not), and /readyz names the record.
func TestObservation_LoadVouched(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		observer, _ := monitorTeam(t, n, admin, "centre")
		o, err := n.Observation.AddObservation(observer, shellingAt(36.1, 33.1))
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			// A new observation's row leaves its document to its journal
			// entry; the edit writes a changed one into the row.
			if err := query(`SELECT j.body FROM observations o JOIN journal j ON j.idx = o.doc_entry WHERE o.id = ? AND o.doc = ''`, o.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatal(err)
			}
			m["center"] = map[string]float64{"lon": 10, "lat": 10}
			b, _ := json.Marshal(m)
			exec(`UPDATE observations SET doc = ? WHERE id = ?`, string(b), o.ID)
		})
		n = e.mustOpen(t)
		at := func(lon, lat float64) string {
			in := shellingAt(lon, lat)
			return n.Observation.Index.Match(&observation.Entry{Category: in.Category, Center: *in.Location, Radius: in.Accuracy, Start: o.Start, End: o.End})
		}
		if got := at(36.1, 33.1); got != o.IncidentID {
			t.Errorf("a report where the journal puts the observation matched %q, want its incident %s", got, o.IncidentID)
		}
		if got := at(10, 10); got != "" {
			t.Errorf("a report at the edited place matched %q, want none", got)
		}
		waitReadyz(t, n, "integrity", o.ID)
	})
}

// TestObservation_PCode: reports in Dar'a city and in Izra' carry the
// OCHA P-codes of their sub-districts (checked against the full-resolution
// COD-AB polygons: SY120000 Dar'a, SY120300 Izra'), and so do their
// incidents; one outside Syria carries none.
func TestObservation_PCode(t *testing.T) {
	e := newTamperEnv(t, false)
	n := e.mustOpen(t)
	observer, _ := monitorTeam(t, n, truce.NewContext(context.Background(), e.admin), "centre")
	for _, c := range []struct {
		lon, lat float64
		want     string
	}{{36.1063, 32.6189, "SY120000"}, {36.25, 32.86, "SY120300"}, {10, 10, ""}} {
		o, err := n.Observation.AddObservation(observer, shellingAt(c.lon, c.lat))
		if err != nil {
			t.Fatal(err)
		}
		inc, err := n.Observation.FindIncident(observer, o.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		if o.PCode != c.want || inc.PCode != c.want {
			t.Errorf("a report at %g,%g: P-code %q, its incident's %q; want %q", c.lon, c.lat, o.PCode, inc.PCode, c.want)
		}
	}
}

// TestObservation_PublishedReport: the centre publishes the day's report;
// its hash is journalled, any party reads it as published; publishing the
// day again needs a reason and makes version 2. The stored report is then
// edited in the database: it is not served (integrity) and /readyz names
// it.
func TestObservation_PublishedReport(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		observer, operator := monitorTeam(t, n, admin, "centre")
		o, err := n.Observation.AddObservation(observer, shellingAt(36.1063, 32.6189))
		if err != nil {
			t.Fatal(err)
		}
		// The report of the shelling's day (not the clock's: a run
		// across midnight UTC would publish the next, empty day).
		today := o.Start.UTC()
		if _, err := n.Observation.PublishReport(observer, today, ""); truce.ErrorCode(err) != truce.EFORBIDDEN {
			t.Fatalf("an observer publishes: %v, want forbidden", err)
		}
		pub, err := n.Observation.PublishReport(operator, today, "")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pub.Report)
		if pub.Publication.SHA256 != hex.EncodeToString(sum[:]) || pub.Publication.Totals.Incidents != 1 || !strings.Contains(string(pub.Report), "SY120000") {
			t.Fatalf("publication %+v of %s", pub.Publication, pub.Report)
		}
		rs, err := n.Observation.Journal.SubjectEntries(context.Background(), "report", pub.Publication.ID)
		if err != nil || len(rs) != 1 || !strings.Contains(string(rs[0].Body), pub.Publication.SHA256) {
			t.Fatalf("journal entries of the publication: %d, %v", len(rs), err)
		}
		got, err := n.Observation.PublishedReport(admin, today)
		if err != nil || string(got.Report) != string(pub.Report) {
			t.Fatalf("the report as published: %v", err)
		}
		if _, err := n.Observation.PublishReport(operator, today, ""); truce.ErrorCode(err) != truce.EINVALID {
			t.Fatalf("publishing again without a reason: %v, want invalid", err)
		}
		again, err := n.Observation.PublishReport(operator, today, "A late report added.")
		if err != nil || again.Publication.Version != 2 {
			t.Fatalf("publishing again: %+v, %v", again, err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE report_publications SET report = replace(report, '"incidents":1', '"incidents":0') WHERE id = ?`, pub.Publication.ID)
		})
		n = e.mustOpen(t)
		if _, err := n.Observation.PublishedReport(admin, today); truce.ErrorCode(err) != truce.EINTEGRITY {
			t.Fatalf("the edited report: %v, want integrity", err)
		}
		waitReadyz(t, n, "integrity", pub.Publication.ID)
	})
}
