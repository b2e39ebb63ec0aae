package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestObservationPages drives the observation form, the verification
// queue and the incident page without a browser: an observer's refused
// report (nothing journalled) and filed one, the incident it opened, the
// centre's operator verifying it from the queue, and the pages in Arabic.
func TestObservationPages(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
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
	for _, u := range []truce.UserCreate{
		{Party: mission.ID, Username: "team-a", Roles: []truce.Role{truce.RoleObserver}, Password: "team-a-password"},
		{Party: mission.ID, Username: "centre-op", Roles: []truce.Role{truce.RoleOperator}, Password: "centre-op-password"},
	} {
		if _, err := s.node.Accounts.CreateUser(actx, u); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t)
	_, csrf := login(t, s, c, "team-a", "team-a-password")
	obsCSRF := csrf
	if _, page := get(t, c, s.url+"/observations/new"); !strings.Contains(page, `id="observation-form"`) || !strings.Contains(page, `href="/observations/new"`) {
		t.Fatalf("no observation form or link:\n%.2000s", page)
	}
	start := time.Now().UTC().Add(-5 * time.Minute).Format("2006-01-02T15:04")
	form := url.Values{"csrf": {csrf}, "mode": {"heard"}, "category": {"explosion"}, "sub_category": {"artillery"}, "start": {start}, "end": {start},
		"obs_lon": {"36.10"}, "obs_lat": {"32.58"}, "loc": {"bearing"}, "bearing": {"400"}, "bearing_error": {"3"}, "dmin": {"4000"}, "dmax": {"10000"},
		"events_best": {"3"}, "events_low": {"2"}, "events_high": {"5"}, "narrative": {"Three impacts heard to the north-east."}}
	before, _ := s.node.Store.JournalSize(ctx)
	resp, err := c.PostForm(s.url+"/observations", form)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="obs-error"`) || !strings.Contains(page, `value="400"`) {
		t.Fatalf("a bearing of 400: %d\n%.3000s", resp.StatusCode, page)
	}
	if after, _ := s.node.Store.JournalSize(ctx); after != before {
		t.Fatalf("the refused report journalled %d entries", after-before)
	}
	form.Set("bearing", "50")
	resp, err = c.PostForm(s.url+"/observations", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/incidents/") {
		t.Fatalf("filing: %d to %q", resp.StatusCode, loc)
	}
	incPath := strings.SplitN(loc, "?", 2)[0]
	if _, page := get(t, c, s.url+loc); !strings.Contains(page, `id="obs-filed"`) || !strings.Contains(page, `data-status="reported"`) || strings.Contains(page, `id="incident-decide"`) {
		t.Fatalf("the observer's incident page:\n%.3000s", page)
	}

	op := client(t)
	_, csrf = login(t, s, op, "centre-op", "centre-op-password")
	if _, page := get(t, op, s.url+"/incidents"); !strings.Contains(page, `href="`+incPath+`"`) {
		t.Fatalf("the queue lacks the incident:\n%.3000s", page)
	}
	_, page = get(t, op, s.url+incPath)
	if !strings.Contains(page, `id="decide-verify"`) || !strings.Contains(page, `id="decide-reject"`) || strings.Contains(page, `id="decide-dispute"`) {
		t.Fatalf("the operator's decision form:\n%.3000s", page)
	}
	// A second report, 35 km away, is its own incident; the operator
	// merges it into the first by hand, then splits it out again.
	far := url.Values{}
	for k, v := range form {
		far[k] = v
	}
	far.Set("obs_lon", "36.45")
	far.Set("obs_lat", "32.75")
	resp, err = c.PostForm(s.url+"/observations", far)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	farPath := strings.SplitN(resp.Header.Get("Location"), "?", 2)[0]
	if farPath == incPath || !strings.HasPrefix(farPath, "/incidents/") {
		t.Fatalf("the far report: %q", farPath)
	}
	farID := strings.TrimPrefix(farPath, "/incidents/")
	if _, page := get(t, c, s.url+incPath); strings.Contains(page, `id="incident-merge"`) {
		t.Fatal("an observer is offered the merge form")
	}
	if _, page := get(t, op, s.url+incPath); !strings.Contains(page, `id="incident-merge"`) || strings.Contains(page, `id="incident-split"`) {
		t.Fatalf("the operator's regroup forms for one observation:\n%.3000s", page)
	}
	resp, err = op.PostForm(s.url+incPath+"/merge", url.Values{"csrf": {csrf}, "from": {farID}, "reason": {"One battery, heard twice."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge: %d", resp.StatusCode)
	}
	_, page = get(t, op, s.url+incPath)
	if strings.Count(page, `class="observation-row"`) != 2 || !strings.Contains(page, "One battery, heard twice.") || !strings.Contains(page, `id="incident-split"`) {
		t.Fatalf("after the merge:\n%.4000s", page)
	}
	if _, page := get(t, op, s.url+farPath, "Cookie", "truce_lang=ar"); !strings.Contains(page, `id="incident-merged-into"`) || !strings.Contains(page, "مدموجة") {
		t.Fatalf("the incident merged from, in Arabic:\n%.3000s", page)
	}
	farObs, _, err := s.node.Observation.ListObservations(actx, observation.Filter{IncidentID: strings.TrimPrefix(incPath, "/incidents/")})
	if err != nil || len(farObs) != 2 {
		t.Fatalf("observations after the merge: %d, %v", len(farObs), err)
	}
	resp, err = op.PostForm(s.url+incPath+"/split", url.Values{"csrf": {csrf}, "observation": {farObs[1].ID}, "reason": {"Two batteries after all."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc == incPath || loc == farPath || !strings.HasPrefix(loc, "/incidents/") {
		t.Fatalf("split: %d to %q", resp.StatusCode, loc)
	}
	// And moves it back by the move form; moving one already there is
	// refused with a 4xx page and changes nothing.
	if _, page := get(t, op, s.url+incPath, "Cookie", "truce_lang=ar"); !strings.Contains(page, `id="incident-move"`) || !strings.Contains(page, "انقل إلى هذه الحادثة") {
		t.Fatalf("the move form in Arabic:\n%.3000s", page)
	}
	resp, err = op.PostForm(s.url+incPath+"/move", url.Values{"csrf": {csrf}, "observation": {farObs[0].ID}, "reason": {"here"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("moving an observation where it is: %d, want 400", resp.StatusCode)
	}
	resp, err = op.PostForm(s.url+incPath+"/move", url.Values{"csrf": {csrf}, "observation": {farObs[1].ID}, "reason": {"One battery after all."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != incPath {
		t.Fatalf("move: %d to %q", resp.StatusCode, loc)
	}
	if _, page := get(t, op, s.url+incPath); strings.Count(page, `class="observation-row"`) != 2 || !strings.Contains(page, "One battery after all.") || !strings.Contains(page, "· move ·") {
		t.Fatalf("after the move:\n%.4000s", page)
	}

	resp, err = op.PostForm(s.url+incPath+"/decide", url.Values{"csrf": {csrf}, "action": {"verify"}, "reason": {"Heard by team A; crater seen."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("verify: %d", resp.StatusCode)
	}
	if _, page := get(t, op, s.url+incPath); !strings.Contains(page, `data-status="verified"`) || !strings.Contains(page, "Heard by team A; crater seen.") {
		t.Fatalf("after verifying:\n%.3000s", page)
	}
	if _, page := get(t, op, s.url+"/incidents", "Cookie", "truce_lang=ar"); !strings.Contains(page, "قائمة التحقق") {
		t.Fatalf("the queue in Arabic:\n%.2000s", page)
	}

	// The daily report: an observer reads it without the publication
	// form and may not publish; the operator publishes, and publishing
	// again without a reason is refused on the page, nothing journalled.
	if _, page := get(t, c, s.url+"/reports/daily"); !strings.Contains(page, `id="report-unpublished"`) || strings.Contains(page, `id="report-publish"`) {
		t.Fatalf("the observer's report page:\n%.3000s", page)
	}
	resp, err = c.PostForm(s.url+"/reports/daily/publish", url.Values{"csrf": {obsCSRF}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an observer publishes: %d, want 403", resp.StatusCode)
	}
	resp, err = op.PostForm(s.url+"/reports/daily/publish", url.Values{"csrf": {csrf}, "day": {"7 December"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a day that is not a date: %d, want 400", resp.StatusCode)
	}
	resp, err = op.PostForm(s.url+"/reports/daily/publish", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/reports/daily?day=") {
		t.Fatalf("publish: %d to %q", resp.StatusCode, loc)
	}
	if _, page := get(t, op, s.url+"/reports/daily"); !strings.Contains(page, `id="report-unchanged"`) || !strings.Contains(page, `name="reason"`) {
		t.Fatalf("the published report:\n%.3000s", page)
	}
	before, _ = s.node.Store.JournalSize(ctx)
	resp, err = op.PostForm(s.url+"/reports/daily/publish", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	if page := readAll(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="report-error"`) {
		t.Fatalf("publishing again without a reason: %d\n%.3000s", resp.StatusCode, page)
	}
	if after, _ := s.node.Store.JournalSize(ctx); after != before {
		t.Fatalf("the refused publication journalled %d entries", after-before)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

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
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
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

	// The party the violation is attributed to (us) answers it from the
	// incident page; the incident outside the zone, no violation, offers
	// no form and refuses a response.
	if _, page := get(t, c, s.url+"/incidents/"+out.ID); strings.Contains(page, `id="incident-respond-form"`) {
		t.Fatalf("a response is offered to an incident that is no violation:\n%.3000s", page)
	}
	if resp, _ := post(t, c, s.url+"/incidents/"+out.ID+"/respond", url.Values{"csrf": {csrf}, "stance": {"dispute"}, "text": {"No."}}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("a response to an incident that is no violation: %d, want 409", resp.StatusCode)
	}
	incPath := "/incidents/" + in.ID
	if _, page := get(t, c, s.url+incPath); !strings.Contains(page, `id="incident-respond-form"`) || strings.Contains(page, `id="incident-responses"`) {
		t.Fatalf("the responsible party's incident page:\n%.5000s", page)
	}
	noClient := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Jar: c.Jar}
	resp, _ = post(t, noClient, s.url+incPath+"/respond", url.Values{"csrf": {csrf}, "stance": {"dispute"}, "text": {"Our batteries were silent."}, "version": {strconv.Itoa(in.Version)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != incPath {
		t.Fatalf("respond: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := get(t, c, s.url+incPath); !strings.Contains(page, `id="incident-responses"`) || !strings.Contains(page, "Our batteries were silent.") ||
		!strings.Contains(page, "Disputes") || strings.Contains(page, `id="incident-respond-form"`) {
		t.Fatalf("the answered incident:\n%.5000s", page)
	}
	if _, page := get(t, c, s.url+incPath, "Cookie", "truce_lang=ar"); !strings.Contains(page, "ردود الطرف المسؤول") || !strings.Contains(page, "يعترض") {
		t.Fatalf("the answered incident in Arabic:\n%.3000s", page)
	}
	if got, err := s.node.Observation.FindIncident(us, in.ID); err != nil || len(got.Responses) != 1 || got.Responses[0].PartyID != usID || got.Responses[0].Signature == "" {
		t.Fatalf("the response as recorded: %+v, %v", got, err)
	}
}
