package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestRelay_API checks an agreement in coordinator relay mode over the
// API: the notification reaches the coordinator alone, a guarantor's relay
// is a 403 problem, the coordinator's relay reaches both guarantors, and a
// second relay is a 409 problem that changes nothing.
func TestRelay_API(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.client(e.admin)
	unParty, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "un", Name: "Coordinator", Kind: truce.PartyCoordinator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "un", Username: "un-op", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
		t.Fatal(err)
	}
	tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: "un-op", Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	un := e.client(tk.Secret)
	ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Relayed", Signatories: []string{"us", "ru", "un"},
		EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{Relay: unParty.ID}})
	if err != nil {
		t.Fatal(err)
	}
	prop, err := admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"us-op", "ru-op", "un"} {
		cl := un
		if c != "un" {
			cl = e.client(e.tokens[c])
		}
		if _, err := cl.DecideAgreement(ctx, ag.ID, prop.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s approves: %v", c, err)
		}
	}
	if _, err := admin.NotifySite(ctx, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: humanitarian.SiteFields{Name: "Clinic", Category: humanitarian.HealthFacility,
		Organisation: "O", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,32.6]}`), ValidFrom: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	us := e.client(e.tokens["us-op"])
	if in, _, err := us.Inbox(ctx, "", "", 0); err != nil || len(in) != 0 {
		t.Fatalf("us's inbox before the relay: %v %+v", err, in)
	}
	in, _, err := un.Inbox(ctx, "", "", 0)
	if err != nil || len(in) != 1 || !in[0].Relay {
		t.Fatalf("the coordinator's inbox: %v %+v", err, in)
	}
	before := e.journalSize()
	status, _, body := e.do("POST", "/api/v1/transmissions/"+in[0].ID+"/relay", e.tokens["us-op"], "")
	if status != http.StatusForbidden || !json.Valid(body) {
		t.Fatalf("a guarantor's relay: %d %s", status, body)
	}
	res, err := un.Relay(ctx, in[0].ID)
	if err != nil || len(res.Items) != 2 {
		t.Fatalf("relay: %v %+v", err, res)
	}
	if got := e.journalSize() - before; got != 3 {
		t.Fatalf("relay grew the journal by %d, want 3", got)
	}
	if got, _, err := us.Inbox(ctx, "", "", 0); err != nil || len(got) != 1 || got[0].Via != in[0].ID {
		t.Fatalf("us's inbox after the relay: %v %+v", err, got)
	}
	before = e.journalSize()
	if _, err := un.Relay(ctx, in[0].ID); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("relaying twice: %v", err)
	}
	if got := e.journalSize() - before; got != 0 {
		t.Fatalf("a refused relay grew the journal by %d", got)
	}
}
