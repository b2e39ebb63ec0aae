package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// TestPartyHeldKey_Approve: Jordan registers only its verifier key and
// approves a zone with its own key through the client (statement
// endpoint, check, local signature). The server holds no key of
// Jordan's and cannot sign for it; an unsigned decision, one signed by
// another key, and one signed over the other decision's statement are
// refused and change nothing.
func TestPartyHeldKey_Approve(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := e.client(e.admin)
		skey, vkey, err := partykey.Generate("jo")
		if err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(t.TempDir(), "jo.key")
		if err := partykey.Write(keyFile, skey, vkey); err != nil {
			t.Fatal(err)
		}
		key, err := partykey.Load(keyFile)
		if err != nil || key.Verifier != vkey {
			t.Fatalf("loaded key: %v, verifier %q want %q", err, key.Verifier, vkey)
		}
		jo, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: vkey})
		if err != nil || jo.Custodial {
			t.Fatalf("party jo: %v custodial %v", err, jo.Custodial)
		}
		if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "jo", Username: "jo-op", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
			t.Fatal(err)
		}
		tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: "jo-op", Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		joc := e.client(tk.Secret)
		ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Jordan–US", Signatories: []string{"us", "jo"}, EffectiveFrom: e.agreement.EffectiveFrom})
		if err != nil {
			t.Fatal(err)
		}
		// In force once the United States (custodial) and Jordan (with
		// its own key, signing here) have signed its text.
		if _, err := admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client(e.tokens["us-op"]).DecideAgreement(ctx, ag.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		if got, err := partykey.DecideAgreement(ctx, joc, key, ag.ID, 0, true, ""); err != nil || got.Status != truce.AgreementInForce {
			t.Fatalf("Jordan signs the text with its own key: %+v, %v", got, err)
		}
		z, v, err := e.client(e.tokens["us-op"]).ProposeZone(ctx, truce.ZoneProposal{Agreement: ag.ID, Name: "Border", Kind: truce.ZoneBuffer, Geometry: []byte(boxJSON)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client(e.tokens["us-op"]).DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}

		// The statement the endpoint serves is the one the rules sign.
		st, err := joc.ZoneDecisionStatement(ctx, z.ID, 1, true)
		if want, _ := truce.DecisionStatement(v, true); err != nil || st != want {
			t.Fatalf("statement %q, %v; want %q", st, err, want)
		}
		// The server has nothing to sign with for Jordan.
		if _, err := e.node.Store.Accounts().PartyKey(ctx, jo.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
			t.Fatalf("the store holds a key for jo: %v", err)
		}
		if _, err := e.node.Accounts.Keys.PartySigner(ctx, e.node.Store.Accounts(), jo); err == nil {
			t.Fatal("the server has a signer for jo")
		}
		size := e.journalSize()
		other, _, _ := partykey.Generate("jo")
		otherSigner, _ := note.NewSigner(other)
		rejectSt, _ := truce.DecisionStatement(v, false)
		for _, tc := range []struct {
			name string
			sig  string
			code string
		}{
			{"ErrUnsigned", "", truce.EINVALID},
			{"ErrOtherKey", sign(t, otherSigner, st), truce.EUNPROCESSABLE},
			{"ErrOtherStatement", sign(t, key.Signer, rejectSt), truce.EUNPROCESSABLE},
			{"ErrNotANote", "approve", truce.EUNPROCESSABLE},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := joc.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true, Signature: tc.sig})
				if truce.ErrorCode(err) != tc.code {
					t.Fatalf("decision: %v, want %s", err, tc.code)
				}
			})
		}
		if n := e.journalSize(); n != size {
			t.Fatalf("refused decisions journalled %d entries", n-size)
		}

		got, err := partykey.DecideZone(ctx, joc, key, z.ID, 0, true, "signed in Amman")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != truce.VersionApproved || len(got.Decisions) != 2 {
			t.Fatalf("after Jordan's decision: %s with %d decisions", got.Status, len(got.Decisions))
		}
		d := got.Decisions[1]
		if d.PartyID != jo.ID || zones.VerifyDecision(got, d, vkey) != nil || zones.VerifyDecision(got, got.Decisions[0], vkey) == nil {
			t.Fatalf("Jordan's decision %+v does not verify with its key alone", d)
		}
		// Nothing of Jordan's key in the server's key directory. A signer
		// key is PRIVATE+KEY+name+hash+base64, and the base64 may itself
		// hold '+': the secret is everything after the fourth '+'.
		secret := strings.SplitN(skey, "+", 5)[4]
		if len(secret) < 40 {
			t.Fatalf("key secret %q too short to search for", secret)
		}
		filepath.Walk(e.node.Config.DataDir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(path); strings.Contains(string(b), secret) {
					t.Errorf("%s holds Jordan's key", path)
				}
			}
			return nil
		})
	})
}

func sign(t *testing.T, s note.Signer, text string) string {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
