package ui_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

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
