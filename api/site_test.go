package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
)

// TestSites_API runs a notification through the API: a humanitarian
// organisation files a site, each signatory finds it in its inbox and
// answers; the answers say "receipt, not permission"; bad answers and bad
// imports are problems that change nothing.
func TestSites_API(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sarc := e.humanitarian(t, "Syrian Arab Red Crescent")
	e.agreementInForce(t)

	// A guarantor may not notify; the humanitarian organisation may.
	in := humanitarian.SiteCreate{AgreementID: e.agreement.ID, SiteFields: humanitarian.SiteFields{Name: "Dar'a field hospital",
		Category: humanitarian.Hospital, Organisation: "SARC", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.10213,32.61889]}`),
		BufferM: 250, ValidFrom: time.Now().Add(72 * time.Hour)}}
	if _, err := e.client(e.tokens["us-op"]).NotifySite(ctx, in); truce.ErrorCode(err) != truce.EFORBIDDEN {
		t.Fatalf("a guarantor notifying: %v", err)
	}
	site, err := sarc.NotifySite(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if site.Version != 1 || len(site.PCodes) == 0 || site.PCodes[0] != "SY12" {
		t.Fatalf("site %+v", site)
	}

	us, ru := e.client(e.tokens["us-op"]), e.client(e.tokens["ru-op"])
	inbox := func(c *api.Client) *humanitarian.Transmission {
		t.Helper()
		ts, _, err := c.Inbox(ctx, "", "", 0)
		if err != nil || len(ts) != 1 {
			t.Fatalf("inbox: %v %+v", err, ts)
		}
		return ts[0]
	}
	tu, tr := inbox(us), inbox(ru)
	// No reminder is due yet; an unknown transmission has no notices.
	if ns, err := ru.Notices(ctx, tr.ID); err != nil || len(ns) != 0 {
		t.Errorf("notices of a fresh transmission: %v %v", ns, err)
	}
	if _, err := ru.Notices(ctx, "no-such-transmission"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("notices of an unknown transmission: %v", err)
	}
	// Each transmission is on the event stream (and so on webhooks), for
	// every member, placed in Dar'a for bbox filters.
	evs := e.stream(e.tokens["ru-viewer"], "?kind=transmission&follow=false&bbox=36,32.5,36.3,32.7").records(t, -1)
	if fmt.Sprint(subjects(evs)) != fmt.Sprint([]string{tu.ID, tr.ID}) && fmt.Sprint(subjects(evs)) != fmt.Sprint([]string{tr.ID, tu.ID}) {
		t.Errorf("transmission events %v, want %s and %s", subjects(evs), tu.ID, tr.ID)
	}
	if sites := e.stream(e.tokens["ru-viewer"], "?kind=site&follow=false").records(t, -1); len(sites) != 1 || sites[0].Subject != site.ID {
		t.Errorf("site events %v", subjects(sites))
	}

	before := e.journalSize()
	// Answering another party's transmission, a forged signature, a
	// window that ends before it starts: problems, nothing changed.
	code, h, body := e.do("POST", "/api/v1/transmissions/"+tu.ID+"/answer", e.tokens["ru-op"], `{}`)
	if code != http.StatusForbidden || problemCode(t, h, body) != truce.EFORBIDDEN {
		t.Errorf("answering for another party: %d %s", code, body)
	}
	forged := `{"signature":"truce humanitarian acknowledgement\n\n— us AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"}`
	code, h, body = e.do("POST", "/api/v1/transmissions/"+tu.ID+"/answer", e.tokens["us-op"], forged)
	if code != http.StatusUnprocessableEntity || problemCode(t, h, body) != truce.EUNPROCESSABLE {
		t.Errorf("forged signature: %d %s", code, body)
	}
	code, _, body = e.do("POST", "/api/v1/transmissions/"+tr.ID+"/answer", e.tokens["ru-op"],
		`{"concern":true,"text":"operations","window_from":"2030-01-02T00:00:00Z","window_to":"2030-01-01T00:00:00Z"}`)
	if code != http.StatusBadRequest || !strings.Contains(string(body), "ends") {
		t.Errorf("backwards window: %d %s", code, body)
	}
	if e.journalSize() != before {
		t.Fatal("refused answers changed the journal")
	}

	res, err := us.Answer(ctx, tu.ID, humanitarian.AnswerInput{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Note != humanitarian.ReceiptNotPermission || res.Transmission.State != humanitarian.Acknowledged {
		t.Errorf("answer %+v", res)
	}
	st, err := ru.AnswerStatement(ctx, tr.ID, humanitarian.AnswerInput{Concern: true, Text: "Shelling reported nearby."})
	if err != nil || !strings.HasPrefix(st, "truce humanitarian concern\n") || !strings.Contains(st, site.Hash) {
		t.Errorf("statement %q, %v", st, err)
	}
	if _, err := ru.Answer(ctx, tr.ID, humanitarian.AnswerInput{Concern: true, Text: "Shelling reported nearby."}); err != nil {
		t.Fatal(err)
	}
	b, err := sarc.SiteBoard(ctx, site.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range b.Rows {
		got[r.Slug] = r.State
	}
	if got["us"] != "acknowledged" || got["ru"] != "concern" || b.Note != humanitarian.ReceiptNotPermission {
		t.Errorf("board %v %q", got, b.Note)
	}

	// An import with a bad row is one problem listing it; nothing is filed.
	before = e.journalSize()
	csv := "name,category,organisation,lat,lon,valid_from\nSchool,school,SARC,32.8,36.2,2030-01-01\nClinic,clinic,SARC,32.7,36.1,2030-01-01\n"
	_, err = sarc.ImportSites(ctx, api.SiteImport{AgreementID: e.agreement.ID, Format: "csv", Data: csv})
	if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(truce.ErrorMessage(err), "line 3, category") {
		t.Errorf("bad import: %v", err)
	}
	if e.journalSize() != before {
		t.Error("a refused import changed the journal")
	}
	// The same as KML: placemark 2's bad category is named; nothing is
	// filed.
	kml := `<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>` +
		`<Placemark><name>School</name><ExtendedData><Data name="category"><value>school</value></Data><Data name="organisation"><value>SARC</value></Data><Data name="valid_from"><value>2030-01-01</value></Data></ExtendedData><Point><coordinates>36.2,32.8</coordinates></Point></Placemark>` +
		`<Placemark><name>Clinic</name><ExtendedData><Data name="category"><value>clinic</value></Data><Data name="organisation"><value>SARC</value></Data><Data name="valid_from"><value>2030-01-01</value></Data></ExtendedData><Point><coordinates>36.1,32.7</coordinates></Point></Placemark>` +
		`</Document></kml>`
	_, err = sarc.ImportSites(ctx, api.SiteImport{AgreementID: e.agreement.ID, Format: "kml", Data: kml})
	if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(truce.ErrorMessage(err), "placemark 2, category") {
		t.Errorf("bad KML import: %v", err)
	}
	if e.journalSize() != before {
		t.Error("a refused KML import changed the journal")
	}
	ss, err := sarc.ImportSites(ctx, api.SiteImport{AgreementID: e.agreement.ID, Format: "csv", Data: strings.Replace(csv, "clinic", "health facility", 1)})
	if err != nil || len(ss) != 2 {
		t.Fatalf("import: %v", err)
	}
	all, _, err := us.ListSites(ctx, humanitarian.SiteFilter{})
	if err != nil || len(all) != 3 {
		t.Errorf("list: %d, %v", len(all), err)
	}
	// The two imported sites' transmissions to us, acknowledged together.
	pending, _, err := us.Inbox(ctx, "", "", 0)
	if err != nil || len(pending) != 2 {
		t.Fatalf("inbox: %d, %v", len(pending), err)
	}
	batch, err := us.AcknowledgeAll(ctx, []string{pending[0].ID, pending[1].ID})
	if err != nil || len(batch.Items) != 2 || batch.Note != humanitarian.ReceiptNotPermission {
		t.Fatalf("batch: %+v, %v", batch, err)
	}
	if left, _, _ := us.Inbox(ctx, "", "", 0); len(left) != 0 {
		t.Errorf("inbox after the batch: %d", len(left))
	}

	// A convoy from the Ramtha/Dar'a crossing to Dar'a, notified at once,
	// acknowledged by us; its departure is a step, not a notification.
	dep := time.Now().Add(72 * time.Hour)
	mv, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Convoy 1", Organisation: "SARC", Route: json.RawMessage(`{"type":"LineString","coordinates":[[36.0101,32.5445],[36.06,32.59],[36.10213,32.61889]]}`),
		Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 8, Type: "truck", Markings: "SARC emblem"}}}})
	if err != nil || mv.Status != humanitarian.MovementNotified {
		t.Fatalf("movement: %+v, %v", mv, err)
	}
	code, _, body = e.do("POST", "/api/v1/movements/"+mv.ID+"/status", sarc.Token, `{"status":"arrived"}`)
	if code != http.StatusConflict {
		t.Errorf("a notified convoy arriving: %d %s", code, body)
	}
	if _, err := sarc.MoveMovement(ctx, mv.ID, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}); err != nil {
		t.Fatal(err)
	}
	pending, _, _ = us.Inbox(ctx, "", "", 0)
	if len(pending) != 1 || pending[0].Kind != "movement" {
		t.Fatalf("us inbox: %+v", pending)
	}
	if _, err := us.Answer(ctx, pending[0].ID, humanitarian.AnswerInput{}); err != nil {
		t.Fatal(err)
	}
	mb, err := sarc.MovementBoard(ctx, mv.ID, 0)
	if err != nil || !mb.Current || len(mb.Rows) != 2 {
		t.Fatalf("movement board: %+v, %v", mb, err)
	}
}

// humanitarian adds the humanitarian party "sarc" (named name) with an
// access officer, sarc-access, and returns a client holding its token.
func (e *env) humanitarian(t *testing.T, name string) *api.Client {
	t.Helper()
	ctx := context.Background()
	admin := e.client(e.admin)
	if _, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "sarc", Name: name, Kind: truce.PartyHumanitarian}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "sarc", Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}}); err != nil {
		t.Fatal(err)
	}
	tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: "sarc-access", Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return e.client(tk.Secret)
}
