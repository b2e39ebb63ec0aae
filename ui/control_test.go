package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/observation"
)

// TestControlPages renders the control map at a time (areas drawn,
// contested ground hatched, km² per actor) and the guarantor's record, in
// English and Arabic.
func TestControlPages(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, _ := s.node.Store.Accounts().User(ctx, "us-operator")
	p, _ := s.node.Store.Accounts().Party(ctx, u.PartyID)
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Test", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	box := `{"type":"Polygon","coordinates":[[[35.9,32.7],[36.0,32.7],[36.0,32.8],[35.9,32.8],[35.9,32.7]]]}`
	z, _, err := s.node.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Basin", Kind: truce.ZoneLiberated, Geometry: json.RawMessage(box)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Zones.DecideZone(us, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	svc := s.node.Control
	for _, a := range []control.ActorInput{
		{Slug: "saa", Names: map[string]string{"en": "Government forces", "ar": "القوات الحكومية"}, Type: control.StateForces, Guarantor: "us"},
		{Slug: "faction", Names: map[string]string{"en": "Faction", "ar": "فصيل"}, Type: control.RebelGroup},
	} {
		if _, err := svc.AddActor(us, a); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Now().Add(-30 * time.Minute).UTC()
	if _, err := svc.AddControl(us, control.ControlInput{Actor: "saa", Geometry: json.RawMessage(box), From: from.Add(-time.Hour), Source: "r1", Confidence: control.ConfidenceHigh}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddGuarantee(us, control.GuaranteeInput{AgreementID: ag.ID, ZoneID: z.ID, Guarantors: []string{"us"}, Allowed: []string{"saa"}, From: from.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec, err := svc.AddControl(us, control.ControlInput{Actor: "faction", Name: "Village", From: from, Source: "monitor report 7", Confidence: control.ConfidenceMedium,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[35.93,32.73],[35.95,32.73],[35.95,32.75],[35.93,32.75],[35.93,32.73]]]}`)})
	if err != nil || len(rec.Breaches) != 1 {
		t.Fatalf("breach: %v %v", rec, err)
	}
	if _, err := svc.Respond(us, rec.Breaches[0].ID, "Forces told to withdraw.", ""); err != nil {
		t.Fatal(err)
	}

	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	_, page := get(t, c, s.url+"/control")
	if n := strings.Count(page, `class="control-area`); n != 2 {
		t.Fatalf("%d areas drawn, want 2", n)
	}
	if n := strings.Count(page, `class="contested"`); n != 2 {
		t.Fatalf("%d contested areas hatched, want 2", n)
	}
	if !strings.Contains(page, "Government forces") || !strings.Contains(page, "Faction") {
		t.Fatal("actors missing from the table")
	}
	// Before the faction's control: one area, nothing contested.
	_, page = get(t, c, s.url+"/control?at="+from.Add(-10*time.Minute).Format("2006-01-02T15:04"))
	if strings.Count(page, `class="control-area`) != 1 || strings.Contains(page, `class="contested"`) {
		t.Fatalf("map before the re-taking:\n%.500s", page)
	}
	// Two changes of control (the government's area, then the
	// faction's): step 0 shows the government's area alone and links on
	// to the next change.
	_, page = get(t, c, s.url+"/control?step=0")
	if strings.Count(page, `class="control-area`) != 1 || !strings.Contains(page, `href="/control?step=1"`) || strings.Contains(page, `id="control-prev"`) {
		t.Fatalf("step 0:\n%s", page)
	}
	if strings.Count(page, "control-gained") != 1 || !strings.Contains(page, "Change 1 of 2: ") || !strings.Contains(page, `data-play="Play the changes"`) {
		t.Fatalf("step 0 does not mark its change or lacks the player:\n%s", page)
	}
	_, page = get(t, c, s.url+"/control?step=1")
	if strings.Count(page, `class="control-area`) != 2 || !strings.Contains(page, `href="/control?step=0"`) || strings.Contains(page, `id="control-next"`) {
		t.Fatalf("step 1:\n%s", page)
	}
	// Step 1's change is the faction's village, the only area marked.
	if strings.Count(page, "control-gained") != 1 || !strings.Contains(page, `<path class="control-area control-gained" d="M`) || !strings.Contains(page, "Change 2 of 2: ") {
		t.Fatalf("step 1 does not mark the village alone:\n%s", page)
	}
	if _, ar := get(t, c, s.url+"/control?step=1", "Cookie", "truce_lang=ar"); !strings.Contains(ar, "التغيير 2 من 2") || !strings.Contains(ar, `data-play="تشغيل التغييرات"`) {
		t.Fatalf("Arabic player:\n%s", ar)
	}
	if resp, _ := get(t, c, s.url+"/control?step=2"); resp.StatusCode != 400 {
		t.Fatalf("step past the last change: %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, s.url+"/control?at=yesterday"); resp.StatusCode != 400 {
		t.Fatalf("bad time: %d", resp.StatusCode)
	}
	_, page = get(t, c, s.url+"/control", "Cookie", "truce_lang=ar")
	if !strings.Contains(page, "خريطة السيطرة") || !strings.Contains(page, "القوات الحكومية") {
		t.Fatal("Arabic map page lacks Arabic text")
	}
	_, page = get(t, c, s.url+"/guarantors/us")
	if !strings.Contains(page, "1 breaches owed a response: 1 answered (0 late)") || !strings.Contains(page, "Forces told to withdraw.") || !strings.Contains(page, "monitor report 7") {
		t.Fatalf("guarantor page:\n%s", page)
	}
	_, page = get(t, c, s.url+"/actors/saa")
	if !strings.Contains(page, `id="actor-chart"`) || !strings.Contains(page, "United States of America") || strings.Count(page, "<tr><td>") < 2 {
		t.Fatalf("actor page:\n%s", page)
	}
	if resp, _ := get(t, c, s.url+"/actors/nobody"); resp.StatusCode != 404 {
		t.Fatalf("unknown actor: %d", resp.StatusCode)
	}
	resp, csvBody := get(t, c, s.url+"/guarantors/us/record.csv")
	lines := strings.Split(strings.TrimSpace(csvBody), "\n")
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 2 || !strings.Contains(lines[1], "answered") || !strings.Contains(lines[1], "Forces told to withdraw.") {
		t.Fatalf("record export: %s\n%s", resp.Header.Get("Content-Type"), csvBody)
	}
	resp, geo := get(t, c, s.url+"/guarantors/us/record.geojson")
	var fc struct {
		Type     string `json:"type"`
		Answered int    `json:"answered"`
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type        string         `json:"type"`
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(geo), &fc); err != nil || resp.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("GeoJSON export: %v %s\n%s", err, resp.Header.Get("Content-Type"), geo)
	}
	if fc.Type != "FeatureCollection" || fc.Answered != 1 || len(fc.Features) != 1 {
		t.Fatalf("GeoJSON export: %+v", fc)
	}
	f := fc.Features[0]
	// The breach lies on the village the faction took, not on the basin.
	if f.ID != rec.Breaches[0].ID || f.Geometry.Type != "Polygon" || f.Geometry.Coordinates[0][0] != [2]float64{35.93, 32.73} ||
		f.Properties["control_area_id"] != rec.Area.ID || f.Properties["late"] != false || f.Properties["action"] != "Forces told to withdraw." || f.Properties["status"] != "answered" {
		t.Fatalf("GeoJSON feature: %+v", f)
	}
	if _, page := get(t, c, s.url+"/guarantors/us"); !strings.Contains(page, `href="/guarantors/us/record.geojson"`) {
		t.Fatal("the guarantor page does not link the GeoJSON export")
	}
	// The guarantees, each with its guarantors, the actors it allows and
	// its breaches with their responses, in English and Arabic.
	_, page = get(t, c, s.url+"/guarantees")
	if strings.Count(page, `class="guarantee"`) != 1 || !strings.Contains(page, "Basin") || !strings.Contains(page, `href="/guarantors/us"`) ||
		!strings.Contains(page, `href="/actors/saa"`) || !strings.Contains(page, "Government forces") || strings.Count(page, `class="breach-row"`) != 1 ||
		!strings.Contains(page, "Forces told to withdraw.") || !strings.Contains(page, "Faction") || !strings.Contains(page, "Answered") {
		t.Fatalf("guarantees page:\n%s", page)
	}
	if _, ar := get(t, c, s.url+"/guarantees", "Cookie", "truce_lang=ar"); !strings.Contains(ar, "الضمانات") || !strings.Contains(ar, "القوات الحكومية") || !strings.Contains(ar, "فصيل") {
		t.Fatalf("Arabic guarantees page:\n%s", ar)
	}
	if _, page := get(t, c, s.url+"/control"); !strings.Contains(page, `href="/guarantees"`) {
		t.Fatal("the control map does not link the guarantees")
	}

	// A second breach, answered from the guarantor's page with the
	// party's custodial key.
	second, err := svc.AddControl(us, control.ControlInput{Actor: "faction", From: from, Source: "monitor report 8", Confidence: control.ConfidenceLow,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[35.96,32.76],[35.97,32.76],[35.97,32.77],[35.96,32.77],[35.96,32.76]]]}`)})
	if err != nil || len(second.Breaches) != 1 {
		t.Fatalf("second breach: %v %v", second, err)
	}
	id := second.Breaches[0].ID
	_, page = get(t, c, s.url+"/guarantors/us")
	if strings.Count(page, `class="breach-respond"`) != 1 || !strings.Contains(page, `action="/breaches/`+id+`/respond"`) {
		t.Fatalf("the open breach has no answer form (and the answered one must have none):\n%s", page)
	}
	resp, err = c.PostForm(s.url+"/breaches/"+id+"/respond", url.Values{"csrf": {csrf}, "action": {""}})
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("an empty answer: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	resp, err = c.PostForm(s.url+"/breaches/"+id+"/respond", url.Values{"csrf": {csrf}, "action": {"Patrol sent."}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b, err := svc.Breach(us, id)
	if err != nil || b.Status != control.BreachAnswered || b.Response.Action != "Patrol sent." || control.VerifyResponse(control.ResponseStatement(b, "Patrol sent."), b.Response.Signature, p.PublicKey) != nil {
		t.Fatalf("answered from the page: %+v %v", b, err)
	}
	if _, page = get(t, c, s.url+"/guarantors/us"); strings.Contains(page, `class="breach-respond"`) || !strings.Contains(page, "2 breaches owed a response: 2 answered") {
		t.Fatalf("guarantor page after the answer:\n%s", page)
	}

	// A third breach rests on a verified incident of territory overtaken;
	// disputed, its evidence is withdrawn and no response is owed: the
	// summary counts it apart, not as owed.
	admin := truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "admin", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "admin"}})
	mp, err := s.node.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "mon", Name: "Monitors", Kind: truce.PartyMonitor})
	if err != nil {
		t.Fatal(err)
	}
	mu, err := s.node.Accounts.CreateUser(admin, truce.UserCreate{Party: mp.ID, Username: "mon-op", Roles: []truce.Role{truce.RoleOperator}, Password: "mon-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	mon := truce.NewContext(ctx, &truce.Caller{User: mu, Party: mp})
	now := time.Now().UTC()
	o, err := s.node.Observation.AddObservation(mon, observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: 35.90, Lat: 32.69},
		Location: &observation.Point{Lon: 35.98, Lat: 32.78}, Accuracy: 200, Start: now.Add(-time.Hour), End: now.Add(-30 * time.Minute),
		Category: observation.CatTerritory, Actor: "Faction", Confidence: 0.8, Narrative: "A flag over the hill."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Observation.DecideIncident(mon, o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Two patrols saw it."}); err != nil {
		t.Fatal(err)
	}
	withdrawn := func() bool {
		bs, err := svc.Breaches(us, false)
		for _, b := range bs {
			if b.IncidentID == o.IncidentID {
				return err == nil && b.Status == control.BreachWithdrawn
			}
		}
		return false
	}
	if !testwait.Until(15*time.Second, func() bool {
		bs, _ := svc.Breaches(us, true)
		return len(bs) == 1 && bs[0].IncidentID == o.IncidentID
	}) {
		t.Fatal("no breach raised by the verified incident")
	}
	if _, err := s.node.Observation.DecideIncident(mon, o.IncidentID, observation.DecisionInput{Action: observation.ActionDispute, Reason: "The flag was the government's."}); err != nil {
		t.Fatal(err)
	}
	if !testwait.Until(15*time.Second, withdrawn) {
		t.Fatal("the breach of the disputed incident was not withdrawn")
	}
	_, page = get(t, c, s.url+"/guarantors/us")
	if !strings.Contains(page, "2 breaches owed a response: 2 answered (0 late), 0 unanswered") || !strings.Contains(page, `id="guarantor-withdrawn">1 breaches withdrawn`) {
		t.Fatalf("guarantor page with a withdrawn breach:\n%s", page)
	}
	if _, ar := get(t, c, s.url+"/guarantors/us", "Cookie", "truce_lang=ar"); !strings.Contains(ar, `id="guarantor-withdrawn">1 `) || !strings.Contains(ar, "2 خرقاً تستوجب رداً") {
		t.Fatalf("Arabic guarantor page with a withdrawn breach:\n%s", ar)
	}
}
