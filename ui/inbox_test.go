package ui_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

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
