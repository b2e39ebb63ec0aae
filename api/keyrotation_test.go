package api_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// TestPartyKey_Rotate: Jordan rotates its own key with a note signed by
// the current and the new key. Refused notes (one signature only, another
// party's, a stale current key, a caller who is not a party
// administrator) change nothing; after the rotation the old key signs
// nothing new, and each decision verifies with the key the journal says
// was Jordan's at its time.
func TestPartyKey_Rotate(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := e.client(e.admin)
		dir := t.TempDir()
		newKey := func(name string) *partykey.Key {
			skey, vkey, err := partykey.Generate("jo")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			if err := partykey.Write(path, skey, vkey); err != nil {
				t.Fatal(err)
			}
			k, err := partykey.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		k1, k2 := newKey("jo1.key"), newKey("jo2.key")
		jo, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: k1.Verifier})
		if err != nil {
			t.Fatal(err)
		}
		tokens := map[string]string{}
		for _, u := range []truce.UserCreate{{Party: "jo", Username: "jo-op", Roles: []truce.Role{truce.RoleOperator}},
			{Party: "jo", Username: "jo-admin", Roles: []truce.Role{truce.RolePartyAdmin}}} {
			if _, err := admin.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: u.Username, Name: "test"})
			if err != nil {
				t.Fatal(err)
			}
			tokens[u.Username] = tk.Secret
		}
		op, padmin := e.client(tokens["jo-op"]), e.client(tokens["jo-admin"])
		ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Jordan–US", Signatories: []string{"jo"}, EffectiveFrom: e.agreement.EffectiveFrom})
		if err != nil {
			t.Fatal(err)
		}
		// Jordan, its only signatory, signs its text with its own key.
		if _, err := admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := partykey.DecideAgreement(ctx, op, k1, ag.ID, 0, true, ""); err != nil {
			t.Fatal(err)
		}
		propose := func(name string) string {
			z, _, err := op.ProposeZone(ctx, truce.ZoneProposal{Agreement: ag.ID, Name: name, Kind: truce.ZoneBuffer, Geometry: []byte(boxJSON)})
			if err != nil {
				t.Fatal(err)
			}
			return z.ID
		}
		before := propose("Before")
		vBefore, err := partykey.DecideZone(ctx, op, k1, before, 0, true, "")
		if err != nil {
			t.Fatal(err)
		}

		signed := func(text string, ks ...*partykey.Key) string {
			var ss []note.Signer
			for _, k := range ks {
				ss = append(ss, k.Signer)
			}
			b, err := note.Sign(&note.Note{Text: text}, ss...)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		good, err := partykey.RotationNote(k1, k2)
		if err != nil {
			t.Fatal(err)
		}
		text := truce.KeyRotationText("jo", k1.Verifier, k2.Verifier)
		size := e.journalSize()
		for _, tc := range []struct {
			name string
			c    interface {
				RotatePartyKey(context.Context, truce.KeyRotation) (*truce.Party, error)
			}
			note, code string
		}{
			{"ErrOldKeyOnly", padmin, signed(text, k1), truce.EUNPROCESSABLE},
			{"ErrNewKeyOnly", padmin, signed(text, k2), truce.EUNPROCESSABLE},
			{"ErrOtherParty", padmin, signed(truce.KeyRotationText("us", k1.Verifier, k2.Verifier), k1, k2), truce.EFORBIDDEN},
			{"ErrStaleKey", padmin, signed(truce.KeyRotationText("jo", k2.Verifier, k1.Verifier), k1, k2), truce.EPRECONDITION},
			{"ErrNotANote", padmin, text, truce.EINVALID},
			{"ErrNotPartyAdmin", op, good, truce.EFORBIDDEN},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := tc.c.RotatePartyKey(ctx, truce.KeyRotation{Note: tc.note}); truce.ErrorCode(err) != tc.code {
					t.Fatalf("rotation: %v, want %s", err, tc.code)
				}
			})
		}
		if n := e.journalSize(); n != size {
			t.Fatalf("refused rotations journalled %d entries", n-size)
		}

		p, err := padmin.RotatePartyKey(ctx, truce.KeyRotation{Note: good})
		if err != nil {
			t.Fatal(err)
		}
		if p.PublicKey != k2.Verifier || p.Version != jo.Version+1 || p.Custodial {
			t.Fatalf("after the rotation: %+v", p)
		}
		if _, err := padmin.RotatePartyKey(ctx, truce.KeyRotation{Note: good}); truce.ErrorCode(err) != truce.EPRECONDITION {
			t.Fatalf("the same rotation again: %v", err)
		}
		// The journal entry holds the note; the party still vouches.
		rec, _, err := admin.JournalEntryProof(ctx, p.JournalIndex)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			PublicKey   string `json:"public_key"`
			KeyRotation string `json:"key_rotation"`
		}
		if err := json.Unmarshal(rec.Body, &body); err != nil || body.KeyRotation != good || body.PublicKey != k2.Verifier {
			t.Fatalf("journal body %s: %v", rec.Body, err)
		}
		if got, err := op.FindParty(ctx, "jo"); err != nil || got.PublicKey != k2.Verifier {
			t.Fatalf("party after rotation: %v %v", got, err)
		}

		after := propose("After")
		if _, err := partykey.DecideZone(ctx, op, k1, after, 0, true, ""); truce.ErrorCode(err) != truce.EUNPROCESSABLE {
			t.Fatalf("the retired key signed a decision: %v", err)
		}
		vAfter, err := partykey.DecideZone(ctx, op, k2, after, 0, true, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			v    *truce.ZoneVersion
			want *partykey.Key
		}{{vBefore, k1}, {vAfter, k2}} {
			d := c.v.Decisions[0]
			key, err := e.node.Accounts.PartyKeyAt(ctx, jo.ID, d.JournalIndex)
			if err != nil || key != c.want.Verifier {
				t.Fatalf("key at %d: %q %v, want %q", d.JournalIndex, key, err, c.want.Verifier)
			}
			if err := zones.VerifyDecision(c.v, d, key); err != nil {
				t.Fatalf("decision at %d with the key of its time: %v", d.JournalIndex, err)
			}
		}
		if strings.Contains(good, "PRIVATE") {
			t.Fatal("the rotation note carries a private key")
		}
	})
}
