package ui_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestNotifyForms: a humanitarian user places a site on the map (a point)
// and draws a movement's route (a line) in the forms, in English and in
// Arabic; each is notified and lands on its page; a form with nothing
// drawn or uploaded is refused with a clear message.
func TestNotifyForms(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	n := s.node
	admin, err := n.Store.Accounts().User(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	un, _ := n.Accounts.Party(ctx, "un")
	actx := truce.NewContext(ctx, &truce.Caller{User: admin, Party: un})
	us, _ := n.Accounts.Party(ctx, "us")
	sarc, err := n.Accounts.CreateParty(actx, truce.PartyCreate{Slug: "sarc", Name: "SARC", Kind: truce.PartyHumanitarian})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: sarc.ID, Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}, Password: "sarc-password-1"}); err != nil {
		t.Fatal(err)
	}
	ag, err := n.Zones.CreateAgreement(actx, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{us.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	usUser, _ := n.Store.Accounts().User(ctx, "us-operator")
	if _, err := truce.AgreeAll(n.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, truce.NewContext(ctx, &truce.Caller{User: usUser, Party: us})); err != nil {
		t.Fatal(err)
	}

	c := client(t)
	_, csrf := login(t, s, c, "sarc-access", "sarc-password-1")
	_, page := get(t, c, s.url+"/sites/new")
	if !strings.Contains(page, `&#34;drawMode&#34;:&#34;site&#34;`) && !strings.Contains(page, `"drawMode":"site"`) || !strings.Contains(page, `id="site-form"`) || !strings.Contains(page, ag.ID) {
		t.Fatalf("site form:\n%s", page)
	}
	post := func(path string, v url.Values) (int, string, string) {
		t.Helper()
		v.Set("csrf", csrf)
		resp, err := c.PostForm(s.url+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		buf := make([]byte, 4096)
		for {
			k, err := resp.Body.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, resp.Header.Get("Location"), b.String()
	}
	code, _, body := post("/sites/new", url.Values{"agreement": {ag.ID}, "name": {"Izra' school"}, "category": {"school"}, "organisation": {"SARC"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Draw the site on the map") {
		t.Fatalf("nothing drawn: %d %s", code, body)
	}
	code, loc, _ := post("/sites/new", url.Values{"agreement": {ag.ID}, "name": {"Izra' school"}, "category": {"school"}, "organisation": {"SARC"},
		"geometry": {`{"type":"Point","coordinates":[36.25072,32.86709]}`}, "buffer_m": {"200"}, "valid_from": {time.Now().UTC().Add(72 * time.Hour).Format("2006-01-02T15:04")}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/sites/") {
		t.Fatalf("notify a site: %d %s", code, loc)
	}
	site, err := n.Humanitarian.FindSite(actx, strings.TrimPrefix(loc, "/sites/"))
	if err != nil || site.Category != humanitarian.School || site.BufferM != 200 || !strings.Contains(string(site.Geometry), "36.25072") {
		t.Fatalf("site as notified: %v %+v", err, site)
	}

	get(t, c, s.url+"/lang/ar")
	if _, page = get(t, c, s.url+"/movements/new"); !strings.Contains(page, "الإخطار بتحرّك") || !strings.Contains(page, "إخلاء طبي") {
		t.Fatalf("Arabic movement form:\n%s", page)
	}
	at := func(h int) string {
		return time.Now().UTC().Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04")
	}
	code, loc, body = post("/movements/new", url.Values{"agreement": {ag.ID}, "name": {"Evacuation"}, "kind": {"medical_evacuation"}, "organisation": {"SARC"},
		"geometry": {`{"type":"LineString","coordinates":[[36.0076,32.556],[36.05,32.59],[36.102,32.6189]]}`}, "corridor_m": {"300"},
		"departure_from": {at(72)}, "departure_to": {at(73)}, "arrival_from": {at(74)}, "arrival_to": {at(76)},
		"vehicle_count": {"2"}, "vehicle_type": {"ambulance"}, "notify": {"1"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/movements/") {
		t.Fatalf("notify a movement: %d %s %s", code, loc, body)
	}
	m, err := n.Humanitarian.FindMovement(actx, strings.TrimPrefix(loc, "/movements/"))
	if err != nil || m.Status != humanitarian.MovementNotified || m.Kind != humanitarian.MedicalEvacuation || m.CorridorM != 300 || m.Vehicles[0].Count != 2 {
		t.Fatalf("movement as notified: %v %+v", err, m)
	}

	// A route uploaded as a GPS unit's GPX track; one with a bad point is
	// refused with the point named, and nothing is notified.
	upload := func(name, content string) (int, string, string) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"csrf": csrf, "agreement": ag.ID, "name": "Recorded convoy", "organisation": "SARC", "corridor_m": "500",
			"departure_from": at(72), "departure_to": at(73), "arrival_from": at(74), "arrival_to": at(76), "vehicle_count": "3", "vehicle_type": "truck", "notify": "1"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", s.url+"/movements/new", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(body)
	}
	gpx := func(lat2 string) string {
		return `<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>` +
			`<trkpt lat="32.556" lon="36.0076"/><trkpt lat="` + lat2 + `" lon="36.05"/><trkpt lat="32.6189" lon="36.102"/></trkseg></trk></gpx>`
	}
	before, _, _ := n.Humanitarian.ListMovements(actx, humanitarian.MovementFilter{})
	if code, _, body := upload("track.gpx", gpx("132.59")); code != http.StatusBadRequest || !strings.Contains(body, "track segment 1 point 2") {
		t.Fatalf("a GPX track with a bad point: %d %.500s", code, body)
	}
	if after, _, _ := n.Humanitarian.ListMovements(actx, humanitarian.MovementFilter{}); len(after) != len(before) {
		t.Fatal("a refused upload notified a movement")
	}
	code, loc, body = upload("track.gpx", gpx("32.59"))
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/movements/") {
		t.Fatalf("a GPX track: %d %s %.500s", code, loc, body)
	}
	if m, err := n.Humanitarian.FindMovement(actx, strings.TrimPrefix(loc, "/movements/")); err != nil || !strings.Contains(string(m.Route), "[36.05,32.59]") {
		t.Fatalf("the uploaded route: %v %s", err, m.Route)
	}
}
