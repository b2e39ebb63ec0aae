package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestSitesPage_Relay: under an agreement whose coordinator relays
// notifications, the coordinator's inbox page offers a relay button, not
// an acknowledgement; one click relays the notification, which then
// appears on the guarantor's inbox page, in English and Arabic.
func TestSitesPage_Relay(t *testing.T) {
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
	ag, err := n.Zones.CreateAgreement(actx, truce.AgreementCreate{Title: "Relayed", Signatories: []string{us.ID, un.ID},
		EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{Relay: "un"}})
	if err != nil {
		t.Fatal(err)
	}
	usUser, err := n.Store.Accounts().User(ctx, "us-operator")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(n.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, truce.NewContext(ctx, &truce.Caller{User: usUser, Party: us}), actx); err != nil {
		t.Fatal(err)
	}
	sarc, err := n.Accounts.CreateParty(actx, truce.PartyCreate{Slug: "sarc", Name: "SARC", Kind: truce.PartyHumanitarian})
	if err != nil {
		t.Fatal(err)
	}
	su, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: sarc.ID, Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Humanitarian.NotifySite(truce.NewContext(ctx, &truce.Caller{User: su, Party: sarc}), humanitarian.SiteCreate{AgreementID: ag.ID,
		SiteFields: humanitarian.SiteFields{Name: "Izra' school", Category: humanitarian.School, Organisation: "SARC",
			Geometry: []byte(`{"type":"Point","coordinates":[36.25072,32.86709]}`), ValidFrom: time.Now().Add(72 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}

	uc := client(t)
	login(t, s, uc, "us-operator", "us-password-1")
	if _, page := get(t, uc, s.url+"/sites"); strings.Contains(page, `data-transmission="`) {
		t.Fatalf("us's inbox page before the relay lists a transmission:\n%s", page)
	}
	c := client(t)
	_, csrf := login(t, s, c, "admin", "admin-password-1")
	_, page := get(t, c, s.url+"/sites")
	if !strings.Contains(page, `action="/sites/relay/`) || strings.Contains(page, `action="/sites/answer/`) || !strings.Contains(page, "Relay to every party") {
		t.Fatalf("the coordinator's inbox page:\n%s", page)
	}
	if _, ar := get(t, c, s.url+"/sites", "Cookie", "truce_lang=ar"); !strings.Contains(ar, "إحالة إلى جميع الأطراف") {
		t.Fatalf("the coordinator's inbox page in Arabic:\n%s", ar)
	}
	tid := page[strings.Index(page, `data-transmission="`)+len(`data-transmission="`):]
	tid = tid[:strings.Index(tid, `"`)]
	resp, err := c.PostForm(s.url+"/sites/relay/"+tid, url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("relay: %d", resp.StatusCode)
	}
	if _, page := get(t, uc, s.url+"/sites"); !strings.Contains(page, `action="/sites/answer/`) {
		t.Fatalf("us's inbox page after the relay:\n%s", page)
	}
	resp, err = c.PostForm(s.url+"/sites/relay/"+tid, url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("relaying twice: %d, want 409", resp.StatusCode)
	}
}
