package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestViolationsPage: shelling reported by a monitoring team inside a
// de-escalation zone where an agreement in force prohibits it, and
// verified, is a violation; a verified explosion outside any zone is not.
// The violations page lists the first only, in English and Arabic, and
// its filters by date range, zone and party (the reporting party, or the
// party the incident is attributed to) keep or drop it; a malformed or
// inverted date range is refused with a 400 page.
func TestViolationsPage(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	us := actorOf(t, s, "us-operator", "us-password-1")
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Southern de-escalation", Signatories: []string{"us"},
		EffectiveFrom: time.Now().Add(-24 * time.Hour),
		Rules:         truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	box := json.RawMessage(`{"type":"Polygon","coordinates":[[[36.0,32.5],[36.3,32.5],[36.3,32.8],[36.0,32.8],[36.0,32.5]]]}`)
	z, _, err := s.node.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Dar'a", Kind: truce.ZoneDeescalation, Geometry: box})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Zones.DecideZone(us, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	admin, err := s.node.Store.Accounts().User(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	un, err := s.node.Store.Accounts().Party(ctx, admin.PartyID)
	if err != nil {
		t.Fatal(err)
	}
	actx := truce.NewContext(ctx, &truce.Caller{User: admin, Party: un})
	mission, err := s.node.Accounts.CreateParty(actx, truce.PartyCreate{Slug: "centre", Name: "Monitoring centre", Kind: truce.PartyMonitor})
	if err != nil {
		t.Fatal(err)
	}
	member := func(name string, role truce.Role) context.Context {
		u, err := s.node.Accounts.CreateUser(actx, truce.UserCreate{Party: mission.ID, Username: name, Roles: []truce.Role{role}})
		if err != nil {
			t.Fatal(err)
		}
		return truce.NewContext(ctx, &truce.Caller{User: u, Party: mission})
	}
	observer, operator := member("team-a", truce.RoleObserver), member("centre-op", truce.RoleOperator)
	shelling := func(lon, lat float64) *observation.Incident {
		end := time.Now().UTC()
		o, err := s.node.Observation.AddObservation(observer, observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: lon - 0.02, Lat: lat},
			Location: &observation.Point{Lon: lon, Lat: lat}, Accuracy: 300, Start: end.Add(-time.Minute), End: end,
			Category: observation.CatExplosion, SubCategory: "artillery", Events: observation.Count{Best: 2, Low: 1, High: 3}, Actor: "us"})
		if err != nil {
			t.Fatal(err)
		}
		inc, err := s.node.Observation.DecideIncident(operator, o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Craters seen."})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	in, out := shelling(36.15, 32.62), shelling(38.5, 35.0)
	if len(in.Violations) != 1 || len(out.Violations) != 0 {
		t.Fatalf("violations found: %d inside the zone, %d outside; want 1 and 0", len(in.Violations), len(out.Violations))
	}

	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	rows := func(page string) int { return strings.Count(page, `class="violation-row"`) }
	resp, page := get(t, c, s.url+"/violations")
	if resp.StatusCode != http.StatusOK || rows(page) != 1 || !strings.Contains(page, `data-incident="`+in.ID+`"`) || strings.Contains(page, out.ID) ||
		!strings.Contains(page, `href="/zones/`+z.ID+`"`) || !strings.Contains(page, "Monitoring centre") || !strings.Contains(page, `href="/violations"`) {
		t.Fatalf("the violations page: %d\n%.4000s", resp.StatusCode, page)
	}
	if _, page := get(t, c, s.url+"/violations", "Cookie", "truce_lang=ar"); rows(page) != 1 || !strings.Contains(page, "انتهاكات الاتفاقات") {
		t.Fatalf("the violations page in Arabic:\n%.3000s", page)
	}
	today := in.Start.UTC().Format(time.DateOnly)
	yesterday := in.Start.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	usID := truce.CallerFrom(us).Party.ID
	for _, c2 := range []struct {
		name  string
		query url.Values
		want  int
	}{
		{"today", url.Values{"from": {today}, "until": {today}}, 1},
		{"before today", url.Values{"from": {yesterday}, "until": {yesterday}}, 0},
		{"the zone", url.Values{"zone": {z.ID}}, 1},
		{"another zone", url.Values{"zone": {"no-such-zone"}}, 0},
		{"the reporting party", url.Values{"party": {mission.ID}}, 1},
		{"the party it is attributed to", url.Values{"party": {usID}}, 1},
		{"another party", url.Values{"party": {un.ID}}, 0},
		{"every filter", url.Values{"from": {today}, "until": {today}, "zone": {z.ID}, "party": {mission.ID}}, 1},
	} {
		resp, page := get(t, c, s.url+"/violations?"+c2.query.Encode())
		if resp.StatusCode != http.StatusOK || rows(page) != c2.want {
			t.Errorf("%s: %d, %d rows; want %d", c2.name, resp.StatusCode, rows(page), c2.want)
		}
		if c2.want == 0 && !strings.Contains(page, `id="violations-empty"`) {
			t.Errorf("%s: no empty notice", c2.name)
		}
	}
	for _, q := range []string{"from=yesterday", "from=" + today + "&until=" + yesterday, "from=2020-01-01&until=2026-01-01"} {
		if resp, _ := get(t, c, s.url+"/violations?"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}

	// The daily report counts the violation's zone: its incident, by
	// category and reporting party (the one outside any zone is not).
	resp, page = get(t, c, s.url+"/reports/daily?day="+today)
	zoneRow := regexp.MustCompile(`(?s)<tr data-zone="` + regexp.QuoteMeta(z.ID) + `">(.*?)</tr>`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || zoneRow == nil || strings.Count(page, `<tr data-zone=`) != 1 ||
		!strings.Contains(zoneRow[1], "<td>1</td><td>1</td><td>1</td>") || !strings.Contains(zoneRow[1], `data-category="explosion"`) ||
		!strings.Contains(zoneRow[1], `data-party="`+mission.ID+`">Monitoring centre: 1 · 1<`) {
		t.Fatalf("the report by zone: %d\n%.5000s", resp.StatusCode, page)
	}
	if _, page := get(t, c, s.url+"/reports/daily?day="+today, "Cookie", "truce_lang=ar"); !strings.Contains(page, "حسب المنطقة") {
		t.Fatalf("the report by zone in Arabic:\n%.3000s", page)
	}
}
