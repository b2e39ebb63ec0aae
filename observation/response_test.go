package observation_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
	"golang.org/x/mod/sumdb/note"
)

// TestService_RespondIncident: the party a verified violation is
// attributed to answers it, on both stores. Before verification, by
// another party, with a bad stance or a forged signature, nothing is
// recorded; the custodial party's response is signed here, journalled
// and alerted to every party; a second response is refused; a party that
// holds its own key signs the statement the service gives it.
func TestService_RespondIncident(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			rules := truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
			w := newWorld(t, st, zonesAt{{AgreementID: "ag-1", Rules: rules, ZoneID: "z-daraa", ZoneVersion: 3, Kind: truce.ZoneDeescalation}})
			file := func(actor string, far bool) *observation.Incident {
				in := heardFrom(orb.Point{36.10, 32.58}, 0)
				in.Actor, in.Confidence = actor, 0.8
				if far { // 150 km away: another incident
					in.Bearing, in.Location, in.Accuracy = nil, &observation.Point{Lon: 37.5, Lat: 33.5}, 1000
				}
				o, err := w.svc.AddObservation(as(w.obs1), in)
				if err != nil {
					t.Fatal(err)
				}
				inc, err := w.svc.FindIncident(as(w.op), o.IncidentID)
				if err != nil {
					t.Fatal(err)
				}
				return inc
			}
			inc := file("jo", false)
			resp := observation.ResponseInput{Stance: observation.StanceDispute, Text: "Our batteries were silent that hour."}
			size, _ := st.JournalSize(ctx)
			if _, err := w.svc.RespondIncident(as(w.gop), inc.ID, resp); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Fatalf("a response before verification: %v, want %s", err, truce.ECONFLICT)
			}
			if after, _ := st.JournalSize(ctx); after != size {
				t.Fatalf("the refusal before verification journalled %d entries", after-size)
			}
			v, err := w.svc.DecideIncident(as(w.op), inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Two bearings cross."})
			if err != nil || len(v.Violations) != 1 {
				t.Fatalf("verify: %+v, %v", v, err)
			}
			size, _ = st.JournalSize(ctx)
			refusals := []struct {
				name string
				a    *truce.Caller
				in   observation.ResponseInput
				code string
			}{
				{"ErrAnotherParty", w.op, resp, truce.EFORBIDDEN},
				{"ErrStrangerParty", w.stranger, resp, truce.EFORBIDDEN},
				{"ErrStance", w.gop, observation.ResponseInput{Stance: "deny", Text: "x"}, truce.EINVALID},
				{"ErrNoText", w.gop, observation.ResponseInput{Stance: observation.StanceAccept, Text: " "}, truce.EINVALID},
				{"ErrStaleVersion", w.gop, observation.ResponseInput{Stance: observation.StanceAccept, Text: "x", Version: 1}, truce.EPRECONDITION},
				{"ErrForgedSignature", w.gop, observation.ResponseInput{Stance: observation.StanceAccept, Text: "x", Signature: "— x y\n"}, truce.EUNPROCESSABLE},
			}
			for _, r := range refusals {
				if _, err := w.svc.RespondIncident(as(r.a), inc.ID, r.in); truce.ErrorCode(err) != r.code {
					t.Errorf("%s: %v, want %s", r.name, err, r.code)
				}
			}
			if after, _ := st.JournalSize(ctx); after != size {
				t.Fatalf("refusals journalled %d entries", after-size)
			}

			got, err := w.svc.RespondIncident(as(w.gop), inc.ID, resp)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Responses) != 1 || got.Version != v.Version+1 || got.Status != observation.StatusVerified {
				t.Fatalf("answered incident %+v", got)
			}
			r := got.Responses[0]
			if r.PartyID != w.guarantor.ID || r.UserID != w.gop.User.ID || r.Stance != observation.StanceDispute || r.Version != v.Version || r.JournalIndex != got.JournalIndex {
				t.Fatalf("response %+v", r)
			}
			if err := observation.VerifyStatement(r.Signature, observation.ResponseStatement(v, w.guarantor.ID, r.Stance, r.Text), w.guarantor.PublicKey); err != nil {
				t.Fatalf("the response's signature: %v", err)
			}
			if err := observation.VerifyStatement(r.Signature, observation.ResponseStatement(v, w.guarantor.ID, observation.StanceAccept, r.Text), w.guarantor.PublicKey); err == nil {
				t.Fatal("the signature verifies for the other stance")
			}
			// The offline verifier rebuilds the response's statement from
			// the journalled body, and it verifies with the party's key.
			body, _ := json.Marshal(got)
			sigs, err := truce.SignaturesInBody("incident", got.JournalIndex, body)
			if err != nil || len(sigs) != 2 || sigs[1].Party != w.guarantor.ID || sigs[1].Index != got.JournalIndex {
				t.Fatalf("signatures in the body: %+v, %v", sigs, err)
			}
			if err := truce.VerifySignedNote(sigs[1].Note, sigs[1].Statement, w.guarantor.PublicKey); err != nil {
				t.Fatalf("the offline verifier's statement: %v", err)
			}
			if reread, err := w.svc.FindIncident(as(w.stranger), inc.ID); err != nil || len(reread.Responses) != 1 {
				t.Fatalf("another party reads %+v, %v", reread, err)
			}
			alerts, err := st.Airspace().Alerts(ctx, truce.AlertFilter{Kind: observation.AlertViolationResponse})
			if err != nil || len(alerts) != 1 || alerts[0].Episode != inc.ID {
				t.Fatalf("response alerts %+v, %v", alerts, err)
			}
			if _, err := w.svc.RespondIncident(as(w.gop), inc.ID, resp); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Fatalf("answered twice: %v", err)
			}

			// A party that holds its own key signs the statement.
			skey, vkey, err := note.GenerateKey(nil, "sy")
			if err != nil {
				t.Fatal(err)
			}
			signer, _ := note.NewSigner(skey)
			sy, err := w.acc.CreateParty(truce.NewContext(ctx, w.admin), truce.PartyCreate{Slug: "sy", Name: "sy", Kind: truce.PartyGuarantor, PublicKey: vkey})
			if err != nil || sy.Custodial {
				t.Fatalf("own-key party %+v, %v", sy, err)
			}
			u, err := w.acc.CreateUser(truce.NewContext(ctx, w.admin), truce.UserCreate{Party: sy.ID, Username: "sy-op", Roles: []truce.Role{truce.RoleOperator}})
			if err != nil {
				t.Fatal(err)
			}
			syop := &truce.Caller{User: u, Party: sy}
			inc2 := file("sy", true)
			if inc2.ID == inc.ID {
				t.Fatal("the second report joined the answered incident")
			}
			if _, err := w.svc.DecideIncident(as(w.op), inc2.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen"}); err != nil {
				t.Fatal(err)
			}
			accept := observation.ResponseInput{Stance: observation.StanceAccept, Text: "A battery fired\nagainst orders; it is withdrawn."}
			if _, err := w.svc.RespondIncident(as(syop), inc2.ID, accept); truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("an own-key party's unsigned response: %v", err)
			}
			if _, err := w.svc.IncidentResponseStatement(as(w.gop), inc2.ID, accept); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Fatalf("another party asks for the statement: %v", err)
			}
			statement, err := w.svc.IncidentResponseStatement(as(syop), inc2.ID, accept)
			if err != nil {
				t.Fatal(err)
			}
			signed, err := note.Sign(&note.Note{Text: statement}, signer)
			if err != nil {
				t.Fatal(err)
			}
			accept.Signature = string(signed)
			got2, err := w.svc.RespondIncident(as(syop), inc2.ID, accept)
			if err != nil || len(got2.Responses) != 1 || got2.Responses[0].Signature != string(signed) || got2.Responses[0].Stance != observation.StanceAccept {
				t.Fatalf("own-key response %+v, %v", got2, err)
			}
		})
	}
}
