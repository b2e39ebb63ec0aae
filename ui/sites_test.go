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
	"github.com/truce-project/truce/humanitarian"
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
