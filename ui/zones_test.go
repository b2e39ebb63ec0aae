package ui_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/note"
)

// TestZonePage_ProposeVersion drives the zone page's forms without a
// browser: a suspension, refused inputs that change nothing, and a change
// that keeps the area in force.
func TestZonePage_ProposeVersion(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, err := s.node.Store.Accounts().User(ctx, "us-operator")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.node.Store.Accounts().Party(ctx, u.PartyID)
	if err != nil {
		t.Fatal(err)
	}
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Test", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	z, _, err := s.node.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Ceiling: "FL200",
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.2,33],[36.2,33.2],[36,33.2],[36,33]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Zones.DecideZone(us, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	_, page := get(t, c, s.url+"/zones/"+z.ID)
	if !strings.Contains(page, `id="zone-change-form"`) || !strings.Contains(page, `value="6096m"`) {
		t.Fatalf("the zone page offers no change form filled from the version in force")
	}
	post := func(form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := c.PostForm(s.url+"/zones/"+z.ID+"/versions", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for name, form := range map[string]url.Values{
		"NoAction":          {},
		"BadTime":           {"action": {"suspend"}, "effective_from": {"yesterday"}},
		"ChangeNoVersion":   {"action": {"change"}, "name": {"Box"}, "kind": {"no_fly"}},
		"ChangeStale":       {"action": {"change"}, "zone_version": {"1"}, "name": {"Box"}, "kind": {"no_fly"}},
		"ChangeCollection":  {"action": {"change"}, "zone_version": {"2"}, "name": {"Box"}, "kind": {"no_fly"}, "geometry": {`{"type":"FeatureCollection","features":[]}`}},
		"ChangeBadGeometry": {"action": {"change"}, "zone_version": {"2"}, "name": {"Box"}, "kind": {"no_fly"}, "geometry": {`{"type":"Polygon","coordinates":[[[36,33],[36.2,33]]]}`}},
	} {
		before, _ := s.node.Store.JournalSize(ctx)
		if status, body := post(form); status < 400 || status >= 500 {
			t.Errorf("%s: %d %.200s", name, status, body)
		}
		if after, _ := s.node.Store.JournalSize(ctx); after != before {
			t.Errorf("%s: refused, yet the journal grew", name)
		}
	}
	zz, err := s.node.Zones.FindZone(us, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(url.Values{"action": {"change"}, "zone_version": {itoa64(zz.Version)}, "name": {"Box"}, "kind": {"no_fly"}, "ceiling": {"FL100"}})
	if status != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", status, body)
	}
	hist, err := s.node.Zones.ZoneHistory(us, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[1].Action != truce.ZoneChange || hist[1].BBox != hist[0].BBox || hist[1].Spec.CeilingM == nil || *hist[1].Spec.CeilingM != 3048 {
		t.Fatalf("after the change: %d versions, last %+v", len(hist), hist[len(hist)-1].Spec)
	}
	if _, err := s.node.Zones.DecideZone(us, z.ID, 2, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if status, body := post(url.Values{"action": {"suspend"}, "note": {"talks"}}); status != http.StatusSeeOther {
		i := strings.Index(body, "<main")
		t.Fatalf("suspension: %d %.600s", status, body[max(i, 0):])
	}
	hist, _ = s.node.Zones.ZoneHistory(us, z.ID)
	if v := hist[len(hist)-1]; v.Action != truce.ZoneSuspension || v.Note != "talks" || v.Status != truce.VersionProposed {
		t.Fatalf("suspension version %s %q %s", v.Action, v.Note, v.Status)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestAgreementPage_Joint walks an agreement through the page: a proposal
// shows each signatory's decision and stays a draft until both signed; a
// notice of withdrawal is shown on the agreement and on its zones; a zone
// of a suspended agreement is not shown in force.
func TestAgreementPage_Joint(t *testing.T) {
	s := newServer(t)
	admin := actorOf(t, s, "admin", "admin-password-1")
	ru, err := s.node.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "ru", Name: "Russian Federation", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Accounts.CreateUser(admin, truce.UserCreate{Party: ru.ID, Username: "ru-operator", Roles: []truce.Role{truce.RoleOperator},
		Password: "ru-password-1"}); err != nil {
		t.Fatal(err)
	}
	us, ruCtx := actorOf(t, s, "us-operator", "us-password-1"), actorOf(t, s, "ru-operator", "ru-password-1")
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	page := func(path string) string {
		t.Helper()
		_, body := get(t, c, s.url+path)
		return body
	}
	submit := func(path string, form url.Values) {
		t.Helper()
		form.Set("csrf", csrf)
		if resp, body := post(t, c, s.url+path, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d %.300s", path, resp.StatusCode, body)
		}
	}
	agPath := "/agreements/" + ag.ID

	if p := page(agPath); !strings.Contains(p, `id="propose-bring_into_force"`) || strings.Contains(p, `id="propose-suspend"`) {
		t.Fatal("a draft's page does not offer exactly what may be proposed")
	}
	submit(agPath+"/proposals", url.Values{"action": {"bring_into_force"}, "version": {"1"}})
	if p := page("/inbox"); !strings.Contains(p, `data-agreement="`+ag.ID+`"`) {
		t.Fatal("the inbox does not list the proposal awaiting the party's signature")
	}
	submit(agPath+"/proposals/1/decision", url.Values{"decision": {"approve"}})
	p := page(agPath)
	if !strings.Contains(p, `data-status="draft"`) || strings.Count(p, `class="awaited"`) != 1 || strings.Contains(p, `id="agreement-decide"`) {
		t.Fatalf("after the United States' approval the page shows: draft %v, awaited %d, decide form %v",
			strings.Contains(p, `data-status="draft"`), strings.Count(p, `class="awaited"`), strings.Contains(p, `id="agreement-decide"`))
	}
	if p := page("/inbox"); strings.Contains(p, `data-agreement="`+ag.ID+`"`) {
		t.Fatal("the inbox lists a proposal the party has signed")
	}
	if _, err := s.node.Zones.DecideAgreement(ruCtx, ag.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if p := page(agPath); !strings.Contains(p, `data-status="in_force"`) || strings.Count(p, `class="signature"`) != 2 {
		t.Fatal("in force, the page does not show both signatures of the text")
	}

	z, _, err := s.node.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.2,33],[36.2,33.2],[36,33.2],[36,33]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []context.Context{us, ruCtx} {
		if _, err := s.node.Zones.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
	}
	zPath := "/zones/" + z.ID
	if p := page(zPath); !strings.Contains(p, `data-in-force="true"`) || strings.Contains(p, "withdrawal-notice") {
		t.Fatal("the zone of an agreement in force is not shown in force, or shows a notice")
	}

	// The United States gives notice: the agreement and the zone show it.
	submit(agPath+"/notices", url.Values{"reason": {"talks failed"}})
	if p := page(agPath); !strings.Contains(p, "withdrawal-notice") || !strings.Contains(p, "talks failed") || strings.Contains(p, `id="notice-form"`) {
		t.Fatal("the agreement page does not show the notice, or offers a second one")
	}
	if p := page(zPath); !strings.Contains(p, "withdrawal-notice") || !strings.Contains(p, `data-in-force="true"`) {
		t.Fatal("the zone page does not show the notice, or the zone out of force before it takes effect")
	}
	if _, p := get(t, c, s.url+zPath, "Accept-Language", "ar"); !strings.Contains(p, "إشعار بالانسحاب") {
		t.Fatal("the Arabic zone page does not show the notice")
	}

	// Suspended by both: the zone is no longer shown in force.
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementSuspend}, us, ruCtx); err != nil {
		t.Fatal(err)
	}
	p = page(zPath)
	if !strings.Contains(p, `data-in-force="false"`) || !strings.Contains(p, "Not in force (agreement not in force)") {
		t.Fatal("a zone of a suspended agreement is shown in force")
	}
	if p := page(agPath); strings.Contains(p, ">In force</span>") {
		t.Fatal("the agreement page lists a zone of a suspended agreement as in force")
	}
	if p := page("/agreements"); !strings.Contains(p, `data-in-force="false">Not in force`) || strings.Contains(p, `data-in-force="true"`) {
		t.Fatal("the agreements page lists a zone of a suspended agreement as in force")
	}
}

// TestAgreementPage_OwnKey: a party that holds its own key gets the
// statements to sign in the browser on the agreement page, and its signed
// note, posted with the form, is its decision.
func TestAgreementPage_OwnKey(t *testing.T) {
	s := newServer(t)
	admin := actorOf(t, s, "admin", "admin-password-1")
	skey, vkey, err := note.GenerateKey(rand.Reader, "jo")
	if err != nil {
		t.Fatal(err)
	}
	jo, err := s.node.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: vkey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Accounts.CreateUser(admin, truce.UserCreate{Party: jo.ID, Username: "jo-operator", Roles: []truce.Role{truce.RoleOperator},
		Password: "jo-password-1"}); err != nil {
		t.Fatal(err)
	}
	us := actorOf(t, s, "us-operator", "us-password-1")
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Jordan–US", Signatories: []string{"us", "jo"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if ag, err = s.node.Zones.ProposeAgreement(us, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	_, csrf := login(t, s, c, "jo-operator", "jo-password-1")
	_, p := get(t, c, s.url+"/agreements/"+ag.ID)
	statement, _ := truce.AgreementDecisionStatement(ag.ID, ag.Proposal, true)
	if !strings.Contains(p, `data-agreement="`+ag.ID+`"`) || !strings.Contains(p, `data-statement-approve="truce agreement decision v1`) ||
		!strings.Contains(p, `/sign.`) || !strings.Contains(p, `data-verifier="`+strings.ReplaceAll(vkey, "+", "&#43;")+`"`) {
		t.Fatal("the agreement page gives a party holding its own key nothing to sign in the browser")
	}
	// Unsigned, the decision is refused; signed as the browser signs, it
	// is Jordan's.
	resp, _ := post(t, c, s.url+"/agreements/"+ag.ID+"/proposals/1/decision", url.Values{"csrf": {csrf}, "decision": {"approve"}})
	if resp.StatusCode < 400 {
		t.Fatalf("an unsigned decision of a party holding its own key: %d", resp.StatusCode)
	}
	signer, _ := note.NewSigner(skey)
	signed, _ := note.Sign(&note.Note{Text: statement}, signer)
	resp, body := post(t, c, s.url+"/agreements/"+ag.ID+"/proposals/1/decision", url.Values{"csrf": {csrf}, "decision": {"approve"}, "signature": {string(signed)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the signed decision: %d %.300s", resp.StatusCode, body)
	}
	got, err := s.node.Zones.FindAgreement(us, ag.ID)
	if err != nil || len(got.Proposal.Decisions) != 1 || got.Proposal.Decisions[0].PartyID != jo.ID || got.Proposal.Decisions[0].Signature != string(signed) {
		t.Fatalf("after Jordan's signed decision: %+v, %v", got.Proposal, err)
	}
}
