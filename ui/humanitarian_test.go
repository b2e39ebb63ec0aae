package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/operations"
)

// TestSitesPage_OneClickAcknowledgement: a notified site is in the
// guarantor's inbox page; one click acknowledges it (signed with the
// custodial key), and the board then shows the party as having
// acknowledged, in English and in Arabic, with the reminder that this is
// receipt, not permission. The map's sites layer serves the site.
func TestSitesPage_OneClickAcknowledgement(t *testing.T) {
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
	su, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: sarc.ID, Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := n.Zones.CreateAgreement(actx, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{us.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	usUser, err := n.Store.Accounts().User(ctx, "us-operator")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(n.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, truce.NewContext(ctx, &truce.Caller{User: usUser, Party: us})); err != nil {
		t.Fatal(err)
	}
	site, err := n.Humanitarian.NotifySite(truce.NewContext(ctx, &truce.Caller{User: su, Party: sarc}), humanitarian.SiteCreate{AgreementID: ag.ID,
		SiteFields: humanitarian.SiteFields{Name: "Izra' school", Category: humanitarian.School, Organisation: "SARC",
			Geometry: []byte(`{"type":"Point","coordinates":[36.25072,32.86709]}`), ValidFrom: time.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}

	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	_, page := get(t, c, s.url+"/sites")
	if !strings.Contains(page, `data-transmission="`) || !strings.Contains(page, "Izra&#39; school") || !strings.Contains(page, "receipt, not permission") {
		t.Fatalf("inbox page:\n%s", page)
	}
	tid := page[strings.Index(page, `data-transmission="`)+len(`data-transmission="`):]
	tid = tid[:strings.Index(tid, `"`)]
	resp, err := c.PostForm(s.url+"/sites/answer/"+tid, url.Values{"csrf": {csrf}, "answer": {"ack"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sites/"+site.ID {
		t.Fatalf("acknowledge: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = get(t, c, s.url+"/sites/"+site.ID)
	if !strings.Contains(page, `class="board-acknowledged" data-party="us"`) {
		t.Fatalf("board:\n%s", page)
	}
	if _, page = get(t, c, s.url+"/sites"); strings.Contains(page, `data-transmission="`) {
		t.Errorf("the acknowledged notification is still in the inbox")
	}
	get(t, c, s.url+"/lang/ar")
	if _, page = get(t, c, s.url+"/sites/"+site.ID); !strings.Contains(page, "أقرّ بالاستلام") || !strings.Contains(page, "الإقرار يثبت الاستلام لا الإذن") {
		t.Errorf("Arabic board:\n%s", page)
	}
	// Two more notifications: one click acknowledges both.
	for _, town := range []string{"[36.10213,32.61889]", "[36.03905,32.88646]"} {
		if _, err := n.Humanitarian.NotifySite(truce.NewContext(ctx, &truce.Caller{User: su, Party: sarc}), humanitarian.SiteCreate{AgreementID: ag.ID,
			SiteFields: humanitarian.SiteFields{Name: "Clinic " + town, Category: humanitarian.HealthFacility, Organisation: "SARC",
				Geometry: []byte(`{"type":"Point","coordinates":` + town + `}`), ValidFrom: time.Now().Add(72 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
	}
	_, page = get(t, c, s.url+"/sites")
	ids := regexp.MustCompile(`name="id" value="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) != 2 {
		t.Fatalf("acknowledge-all form holds %d ids:\n%s", len(ids), page)
	}
	resp, err = c.PostForm(s.url+"/sites/acknowledge-all", url.Values{"csrf": {csrf}, "id": {ids[0][1], ids[1][1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, page = get(t, c, s.url+"/sites"); resp.StatusCode != http.StatusSeeOther || strings.Contains(page, `data-transmission="`) {
		t.Errorf("after acknowledging all: %d, inbox still lists transmissions", resp.StatusCode)
	}
	_, body := get(t, c, s.url+"/sites.geojson")
	var fc struct {
		Features []struct {
			ID       string          `json:"id"`
			Geometry json.RawMessage `json:"geometry"`
		}
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || len(fc.Features) != 3 || fc.Features[0].ID != site.ID {
		t.Errorf("sites layer: %v %s", err, body)
	}

	// A convoy's notification is in the inbox too, and acknowledged the
	// same way.
	dep := time.Now().Add(72 * time.Hour)
	mv, err := n.Humanitarian.CreateMovement(truce.NewContext(ctx, &truce.Caller{User: su, Party: sarc}), humanitarian.MovementCreate{AgreementID: ag.ID, Notify: true,
		MovementFields: humanitarian.MovementFields{Name: "Convoy Ramtha-Dar'a", Organisation: "SARC",
			Route:     []byte(`{"type":"LineString","coordinates":[[36.0101,32.5445],[36.10213,32.61889]]}`),
			Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(3 * time.Hour)},
			Vehicles: []humanitarian.Vehicle{{Count: 4, Type: "truck"}}}})
	if err != nil {
		t.Fatal(err)
	}
	get(t, c, s.url+"/lang/en")
	_, page = get(t, c, s.url+"/sites")
	m := regexp.MustCompile(`data-transmission="([^"]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Convoy Ramtha-Dar&#39;a") || !strings.Contains(page, ">Movement<") {
		t.Fatalf("inbox with a movement:\n%s", page)
	}
	resp, err = c.PostForm(s.url+"/sites/answer/"+m[1], url.Values{"csrf": {csrf}, "answer": {"ack"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") != "/movements/"+mv.ID {
		t.Errorf("after acknowledging a movement: to %q", resp.Header.Get("Location"))
	}
	if _, page = get(t, c, s.url+"/sites"); strings.Contains(page, `data-transmission="`) || !strings.Contains(page, `<a href="/movements/`+mv.ID+`"`) {
		t.Errorf("the movement's notification is still in the inbox, or the movement is not listed (%d):\n%s", resp.StatusCode, page)
	}
	testMovementPages(t, s, c, mv)
}

// testMovementPages checks, after us acknowledged movement mv: its page
// with the board in English and Arabic, the map's movements layer with
// the route coloured by acknowledgement state, and the proof download
// that `truce log verify-proof` checks (every version, every
// transmission).
func testMovementPages(t *testing.T, s *server, c *http.Client, mv *humanitarian.Movement) {
	t.Helper()
	_, page := get(t, c, s.url+"/movements/"+mv.ID)
	for _, want := range []string{`class="board-acknowledged" data-party="us"`, "Convoy Ramtha-Dar&#39;a", "4 × <span dir=\"auto\">truck</span>",
		`href="/movements/` + mv.ID + `/proof"`, "receipt, not permission", `id="movement-status">Version 1 · notified`} {
		if !strings.Contains(page, want) {
			t.Errorf("movement page lacks %q:\n%s", want, page)
		}
	}
	get(t, c, s.url+"/lang/ar")
	if _, page = get(t, c, s.url+"/movements/"+mv.ID); !strings.Contains(page, "مُخطَر به") || !strings.Contains(page, "أقرّ بالاستلام") {
		t.Errorf("Arabic movement page:\n%s", page)
	}
	_, body := get(t, c, s.url+"/movements.geojson")
	get(t, c, s.url+"/lang/en")
	var fc struct {
		Features []struct {
			ID         string `json:"id"`
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || len(fc.Features) != 1 {
		t.Fatalf("movements layer: %v %s", err, body)
	}
	f := fc.Features[0]
	if f.ID != mv.ID || f.Geometry.Type != "LineString" || f.Properties["state"] != "acknowledged" || f.Properties["state_label"] != "أقرّ باستلامه كل الأطراف" {
		t.Errorf("movement feature: %+v", f)
	}
	if _, page = get(t, c, s.url+"/map"); !strings.Contains(page, "humanitarian") {
		t.Errorf("the map page does not load the movements layer's script")
	}

	// The proof needs the last write in a signed checkpoint: wait for it.
	var p humanitarian.Proof
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := get(t, c, s.url+"/movements/"+mv.ID+"/proof")
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("proof is not a download: %v", resp.Header)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proof: %d %s", resp.StatusCode, body)
		}
		<-time.After(100 * time.Millisecond)
	}
	if kind, id := p.Kind(); kind != humanitarian.KindMovement || id != mv.ID || len(p.Records) != 2 ||
		p.Records[0].Kind != "movement" || p.Records[1].Kind != "transmission" || len(p.Records[1].Proofs) != 2 {
		t.Errorf("movement proof: format %s, %d records", p.Format, len(p.Records))
	}
}

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

// TestMovementTrackers: on its convoy's page, the humanitarian user issues
// a tracker token and is shown it once with the URL for OsmAnd's online
// tracking; that URL, filled in as OsmAnd fills it in, reports the
// convoy's position; the page lists the tracker and revokes it, after
// which the URL is refused. Another party's user sees no trackers. In
// English and Arabic.
func TestMovementTrackers(t *testing.T) {
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
	sarcUser, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: sarc.ID, Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}, Password: "sarc-password-1"})
	if err != nil {
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
	sctx := truce.NewContext(ctx, &truce.Caller{User: sarcUser, Party: sarc})
	dep := time.Now().Add(-time.Hour)
	m, err := n.Humanitarian.CreateMovement(sctx, humanitarian.MovementCreate{AgreementID: ag.ID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Ramtha–Dar'a convoy", Organisation: "SARC", CorridorM: 500,
		Route:     json.RawMessage(`{"type":"LineString","coordinates":[[36.0076,32.5560],[36.0500,32.5900],[36.1020,32.6189]]}`),
		Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
	if err != nil {
		t.Fatal(err)
	}

	c := client(t)
	_, csrf := login(t, s, c, "sarc-access", "sarc-password-1")
	_, page := get(t, c, s.url+"/movements/"+m.ID)
	if !strings.Contains(page, `id="tracker-form"`) || !strings.Contains(page, "Issue a tracker token") {
		t.Fatalf("movement page without the tracker form:\n%s", page)
	}
	if _, ar := get(t, c, s.url+"/movements/"+m.ID, "Cookie", "truce_lang=ar"); !strings.Contains(ar, "إصدار رمز تتبع") {
		t.Errorf("the Arabic movement page lacks the tracker form")
	}
	resp, err := c.PostForm(s.url+"/movements/"+m.ID+"/trackers", url.Values{"csrf": {csrf}, "name": {"Lead truck phone"}})
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	u := regexp.MustCompile(`id="tracker-url"[^>]*>([^<]+)<`).FindStringSubmatch(b.String())
	if resp.StatusCode != 200 || u == nil || !strings.Contains(b.String(), `id="tracker-token"`) || !strings.Contains(b.String(), "shown once") {
		t.Fatalf("issue: %d\n%s", resp.StatusCode, b)
	}
	link := strings.NewReplacer("{0}", "32.5900", "{1}", "36.0500", "{2}", strconv.FormatInt(time.Now().UnixMilli(), 10), "{6}", "45").Replace(html.UnescapeString(u[1]))
	if !strings.HasPrefix(link, s.url+"/api/v1/convoys/tracker?id=tcd_") {
		t.Fatalf("tracker URL %s", link)
	}
	phone := &http.Client{}
	if r, err := phone.Get(link); err != nil || r.StatusCode != 200 {
		t.Fatalf("OsmAnd's request: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	_, page = get(t, c, s.url+"/movements/"+m.ID)
	tr := regexp.MustCompile(`data-tracker="([^"]+)"`).FindStringSubmatch(page)
	if tr == nil || !strings.Contains(page, "Lead truck phone") {
		t.Fatalf("movement page without its tracker:\n%s", page)
	}
	// Another party's operator sees no trackers.
	other := client(t)
	login(t, s, other, "us-operator", "us-password-1")
	if _, p := get(t, other, s.url+"/movements/"+m.ID); strings.Contains(p, "tracker-form") || strings.Contains(p, "Lead truck phone") {
		t.Errorf("another party sees the trackers")
	}
	resp, err = c.PostForm(s.url+"/movements/"+m.ID+"/trackers/"+tr[1]+"/revoke", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if r, err := phone.Get(link); err != nil || r.StatusCode != 401 {
		t.Fatalf("a revoked tracker: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	if _, p := get(t, c, s.url+"/movements/"+m.ID); !strings.Contains(p, "Revoked") {
		t.Errorf("the movement page does not show the tracker revoked")
	}
}

// TestOperationInbox: a joint operation filed by another party and naming
// the United States is in the US operator's inbox on the operations page,
// linking to its approval form; once the United States has approved it,
// it is not; in Arabic the inbox speaks Arabic.
func TestOperationInbox(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, _ := s.node.Store.Accounts().User(ctx, "us-operator")
	p, _ := s.node.Store.Accounts().Party(ctx, u.PartyID)
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	au, _ := s.node.Store.Accounts().User(ctx, "admin")
	ap, _ := s.node.Store.Accounts().Party(ctx, au.PartyID)
	admin := truce.NewContext(ctx, &truce.Caller{User: au, Party: ap})
	ag, err := s.node.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Memo", Signatories: []string{p.ID, ap.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, admin, us); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(24 * time.Hour)
	r, err := s.node.Operations.File(admin, operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: "Joint escort", Kind: operations.Escort, Participants: []string{p.ID},
		Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,32.6]}`), BufferM: 500, FloorM: 0, CeilingM: 10, Start: start, End: start.Add(time.Hour)}}}})
	if err != nil || r.Operation.Status != operations.Draft {
		t.Fatalf("filing the joint operation: %+v %v", r, err)
	}
	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	_, page := get(t, c, s.url+"/operations")
	if !strings.Contains(page, `data-awaiting="`+r.Operation.ID+`"`) || !strings.Contains(page, `/operations/`+r.Operation.ID+`#op-approve`) {
		t.Fatalf("the inbox lacks the joint operation:\n%.1500s", page)
	}
	_, page = get(t, c, s.url+"/operations", "Cookie", "truce_lang=ar")
	if !strings.Contains(page, "بانتظار موافقة طرفك") {
		t.Fatal("the Arabic inbox lacks its Arabic title")
	}
	if _, err := s.node.Operations.Approve(us, r.Operation.ID, operations.ApproveInput{Version: r.Operation.Version}); err != nil {
		t.Fatal(err)
	}
	_, page = get(t, c, s.url+"/operations")
	if strings.Contains(page, `data-awaiting="`) || !strings.Contains(page, `id="ops-inbox-empty"`) {
		t.Fatalf("the inbox after approving:\n%.1500s", page)
	}
}
