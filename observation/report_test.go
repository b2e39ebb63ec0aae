package observation_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

func TestBuildReport(t *testing.T) {
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	inc := func(id string, cat observation.Category, st observation.Status, obs int, parties []string, cas int, zones ...string) *observation.Incident {
		i := &observation.Incident{ID: id, Category: cat, Status: st, Observations: obs, Parties: parties, Start: day.Add(time.Hour), End: day.Add(time.Hour),
			Events: observation.Count{Best: 2, Low: 1, High: 3}, Casualties: observation.Count{Best: cas, Low: cas, High: cas + 1}, Radius: 5000,
			Center: observation.Point{Lon: 36.13, Lat: 32.63}}
		for _, z := range zones {
			i.Violations = append(i.Violations, observation.Violation{ZoneID: z})
		}
		return i
	}
	today := []*observation.Incident{
		inc("a", observation.CatExplosion, observation.StatusVerified, 2, []string{"mc"}, 1, "z1"),
		inc("b", observation.CatExplosion, observation.StatusReported, 1, []string{"mc", "osce"}, 0),
		inc("c", observation.CatBurstShot, observation.StatusCorroborated, 3, []string{"osce"}, 0),
		inc("d", observation.CatExplosion, observation.StatusRejected, 5, []string{"mc"}, 9, "z2"),
		// Merged into a: its observations are counted there.
		inc("e", observation.CatExplosion, observation.StatusMerged, 0, []string{"mc"}, 1),
	}
	today[0].PCode, today[1].PCode, today[2].PCode, today[3].PCode = "SY120000", "SY120300", "SY010000", "SY120000"
	yesterday := []*observation.Incident{inc("y", observation.CatFlare, observation.StatusReported, 1, []string{"mc"}, 0),
		inc("x", observation.CatFlare, observation.StatusMerged, 0, []string{"mc"}, 0)}
	r := observation.BuildReport(day, today, yesterday)
	if r.Day != "2026-12-07" || r.Total.Incidents != 3 || r.Total.Observations != 6 || r.Total.Violations != 1 || r.Previous.Incidents != 1 {
		t.Fatalf("totals %+v, previous %+v", r.Total, r.Previous)
	}
	var areas []string
	for _, a := range r.ByArea {
		areas = append(areas, fmt.Sprintf("%s:%d/%d", a.PCode, a.Incidents, a.Observations))
	}
	// Dar'a governorate holds a and b (d was rejected), in two districts.
	if got := strings.Join(areas, " "); got != "SY01:1/3 SY0100:1/3 SY010000:1/3 SY12:2/3 SY1200:1/2 SY120000:1/2 SY1203:1/1 SY120300:1/1" {
		t.Fatalf("by area: %s", got)
	}
	if r.Total.Casualties != (observation.Count{Best: 1, Low: 1, High: 4}) || r.Total.Events != (observation.Count{Best: 6, Low: 3, High: 9}) {
		t.Fatalf("sums %+v %+v", r.Total.Casualties, r.Total.Events)
	}
	if len(r.ByCategory) != 2 || r.ByCategory[0].Category != observation.CatBurstShot || r.ByCategory[1].Incidents != 2 || r.ByCategory[1].ACLED.EventType != "Explosions/Remote violence" {
		t.Fatalf("by category %+v", r.ByCategory)
	}
	if len(r.ByParty) != 2 || r.ByParty[0] != (observation.PartyTotals{PartyID: "mc", Incidents: 2, Violations: 1}) || r.ByParty[1].Incidents != 2 {
		t.Fatalf("by party %+v", r.ByParty)
	}
	if len(r.ByZone) != 1 || r.ByZone[0].ZoneID != "z1" {
		t.Fatalf("by zone %+v (the rejected incident's violation counted?)", r.ByZone)
	}
	// With the zones each incident is in: z1 holds a (its violation) and
	// b, z3 holds b and c; d, in z2, was rejected.
	rz := observation.BuildReportIn(day, today, yesterday, map[string][]string{"a": {"z1"}, "b": {"z1", "z3"}, "c": {"z3"}, "d": {"z2"}})
	var zones []string
	for _, z := range rz.ByZone {
		line := fmt.Sprintf("%s:%d/%d/%d", z.ZoneID, z.Incidents, z.Observations, z.Violations)
		for _, c := range z.ByCategory {
			line += fmt.Sprintf(" %s=%d/%d/%d", c.Category, c.Incidents, c.Observations, c.Violations)
		}
		for _, p := range z.ByParty {
			line += fmt.Sprintf(" %s=%d/%d", p.PartyID, p.Incidents, p.Violations)
		}
		zones = append(zones, line)
	}
	want := []string{
		"z1:2/3/1 explosion=2/3/1 mc=2/1 osce=1/0",
		"z3:2/4/0 burst_and_shot=1/3/0 explosion=1/1/0 mc=1/0 osce=2/0",
	}
	if strings.Join(zones, "; ") != strings.Join(want, "; ") {
		t.Fatalf("by zone:\n%s\nwant\n%s", strings.Join(zones, "\n"), strings.Join(want, "\n"))
	}
	if z := rz.ByZone[0]; z.Events != (observation.Count{Best: 4, Low: 2, High: 6}) || z.Casualties != (observation.Count{Best: 1, Low: 1, High: 3}) {
		t.Fatalf("z1 sums %+v %+v", z.Events, z.Casualties)
	}

	var b bytes.Buffer
	if err := observation.WriteACLED(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2+3 || rows[1][0] != "#event+code" || rows[0][4] != "event_type" || rows[2][5] != "Shelling/artillery/missile attack" || rows[2][9] != "2" {
		t.Fatalf("ACLED CSV: %v", rows)
	}
	b.Reset()
	if err := observation.WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&b).ReadAll()
	if len(rows) != 2+3 || rows[1][0] != "#date" || rows[4][1] != "all" || rows[4][3] != "3" {
		t.Fatalf("CSV: %v", rows)
	}
}

// TestService_ReportByZone on both stores: a report of shelling inside a
// de-escalation zone counts in that zone's totals of the daily report (an
// incident, its observation, by category and by reporting party) before
// anything is decided; once verified, the violation of the zone's rule
// counts there too.
func TestService_ReportByZone(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
			w := newWorld(t, st, zonesAt{{AgreementID: "ag-1", Rules: rules, ZoneID: "z-daraa", ZoneVersion: 3, Kind: truce.ZoneDeescalation}})
			o, err := w.svc.AddObservation(as(w.obs1), heardFrom(orb.Point{36.10, 32.58}, 0))
			if err != nil {
				t.Fatal(err)
			}
			zone := func() observation.ZoneTotals {
				t.Helper()
				r, err := w.svc.DailyReport(as(w.gop), o.Start)
				if err != nil || len(r.ByZone) != 1 || r.ByZone[0].ZoneID != "z-daraa" {
					t.Fatalf("report by zone: %+v, %v", r, err)
				}
				return r.ByZone[0]
			}
			z := zone()
			if z.Incidents != 1 || z.Observations != 1 || z.Violations != 0 || len(z.ByCategory) != 1 || z.ByCategory[0].Category != observation.CatExplosion ||
				len(z.ByParty) != 1 || z.ByParty[0] != (observation.PartyTotals{PartyID: w.mission.ID, Incidents: 1}) {
				t.Fatalf("the zone before the decision: %+v", z)
			}
			if _, err := w.svc.DecideIncident(as(w.op), o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen"}); err != nil {
				t.Fatal(err)
			}
			if z := zone(); z.Incidents != 1 || z.Violations != 1 || z.ByCategory[0].Violations != 1 || z.ByParty[0].Violations != 1 {
				t.Fatalf("the zone after verifying: %+v", z)
			}
		})
	}
}
