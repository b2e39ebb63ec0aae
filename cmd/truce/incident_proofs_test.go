package main_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
	"golang.org/x/mod/sumdb/note"
)

// TestLogProofs_ForgedIncidentDecision: a monitoring centre's decision to
// verify an incident is a party signature inside the incident's body, so
// `truce log verify-proof` checks it with the key the journal records for
// the centre: the decision verifies, and the same decision journalled
// again with a signature made by another key in the centre's name is
// refused. Before decisions were in SignaturesInBody, a proof bundle
// carried the signature unchecked.
func TestLogProofs_ForgedIncidentDecision(t *testing.T) {
	w := newProofWorld(t, "")
	ctx := context.Background()
	n := w.n
	p, err := n.Accounts.CreateParty(truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "admin", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "admin"}}),
		truce.PartyCreate{Slug: "centre", Name: "Monitoring centre", Kind: truce.PartyMonitor})
	if err != nil {
		t.Fatal(err)
	}
	member := func(name string, role truce.Role) *truce.Caller {
		u, err := n.Accounts.CreateUser(truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "admin", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "admin"}}),
			truce.UserCreate{Party: p.ID, Username: name, Roles: []truce.Role{role}})
		if err != nil {
			t.Fatal(err)
		}
		return &truce.Caller{User: u, Party: p}
	}
	observer, operator := member("team-a", truce.RoleObserver), member("centre-op", truce.RoleOperator)
	end := time.Now().UTC()
	o, err := n.Observation.AddObservation(truce.NewContext(ctx, observer), observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: 36.08, Lat: 33.1},
		Location: &observation.Point{Lon: 36.1, Lat: 33.1}, Accuracy: 300, Start: end.Add(-time.Minute), End: end,
		Category: observation.CatExplosion, SubCategory: "artillery", Events: observation.Count{Best: 2, Low: 1, High: 3}})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := n.Observation.DecideIncident(truce.NewContext(ctx, operator), o.IncidentID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Two teams' bearings cross on the impact area."})
	if err != nil {
		t.Fatal(err)
	}
	w.waitCosigned(t)
	policy := []string{"--key", w.logKey, "--witness", w.witness}
	verify := func(file string) (string, string, int) {
		return truceCmd(t, nil, append([]string{"log", "verify-proof", file}, policy...)...)
	}
	what := "decision verify on incident " + inc.ID + " version " + strconv.Itoa(inc.Version-1) + " by party centre (" + p.ID + ")"
	if out, errs, code := verify(w.proof(t, "incident", inc.ID)); code != 0 || !strings.Contains(out, "signature verified: "+what) {
		t.Fatalf("verify-proof of the verified incident: exit %d: %s %s", code, out, errs)
	}

	// The server journals the decision again with a signature of its own
	// making, in the centre's name.
	rs, err := n.Store.SubjectJournal(ctx, "incident", inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(rs[len(rs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	decisions := body["decisions"].([]any)
	d := decisions[len(decisions)-1].(map[string]any)
	name, _, _ := strings.Cut(p.PublicKey, "+")
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := note.Sign(&note.Note{Text: observation.DecisionStatement(&observation.Incident{ID: inc.ID, Version: inc.Version - 1}, observation.ActionVerify, d["reason"].(string))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	d["signature"] = string(forged)
	w.journal(t, "incident", inc.ID, operator, body)
	out, errs, code := verify(w.proof(t, "incident", inc.ID))
	want := "party signature does not verify: " + what + ": the signature does not verify with the party's key"
	if code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("verify-proof of the forged decision: exit %d: %s %s", code, out, errs)
	}
}
