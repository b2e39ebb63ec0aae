package truce_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/note"
)

// signedZone is a zone body at entry index whose version carries the
// decisions, each signed by its signer over the version's statement.
func signedZone(t *testing.T, v *truce.ZoneVersion, signers map[string]note.Signer) []byte {
	t.Helper()
	for i, d := range v.Decisions {
		st, err := truce.DecisionStatement(v, d.Approve)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := note.Sign(&note.Note{Text: st}, signers[d.PartyID])
		if err != nil {
			t.Fatal(err)
		}
		v.Decisions[i].Signature = string(msg)
	}
	b, err := json.Marshal(map[string]any{"zone": map[string]any{"id": v.ZoneID}, "version": v})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func partyKey(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func partyBody(id, key string) []byte {
	b, _ := json.Marshal(truce.Party{ID: id, Slug: "ru", PublicKey: key})
	return b
}

// TestPartyKeys_Rotation checks that a signature is checked with the key
// the party had when it signed: the first key before the rotation (entry
// 10), the second after it; the old key no longer signs after it.
func TestPartyKeys_Rotation(t *testing.T) {
	old, oldKey := partyKey(t, "ru.example")
	next, nextKey := partyKey(t, "ru.example")
	var keys truce.PartyKeys
	// Added out of order, as a verifier may meet them.
	if err := keys.Add(10, truce.Entry{Kind: "party", Subject: "ru"}, partyBody("ru", nextKey)); err != nil {
		t.Fatal(err)
	}
	if err := keys.Add(2, truce.Entry{Kind: "party", Subject: "ru"}, partyBody("ru", oldKey)); err != nil {
		t.Fatal(err)
	}
	version := func(decidedAt int64) *truce.ZoneVersion {
		return &truce.ZoneVersion{ZoneID: "z1", AgreementID: "a1", Version: 1, Action: truce.ZoneProposed,
			EffectiveFrom: time.Date(2017, 7, 9, 9, 0, 0, 0, time.UTC),
			Decisions:     []truce.Decision{{PartyID: "ru", Approve: true, JournalIndex: decidedAt}}}
	}
	tests := []struct {
		name    string
		signer  note.Signer
		decided int64 // the decision's own index; 0: the entry's
		entry   int64
		wantErr string
	}{
		{"OldKeyBeforeRotation", old, 5, 20, ""},
		{"NewKeyAfterRotation", next, 12, 20, ""},
		{"DecisionIndexUnknownUsesTheEntry", next, 0, 20, ""},
		{"ErrOldKeyAfterRotation", old, 12, 20, "does not verify with the party's key (key of entry 10)"},
		{"ErrNewKeyBeforeRotation", next, 5, 20, "does not verify with the party's key (key of entry 2)"},
		{"ErrNoKeyYet", old, 1, 20, "no journalled key of party ru before entry 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := signedZone(t, version(tc.decided), map[string]note.Signer{"ru": tc.signer})
			sigs, err := truce.SignaturesInBody("zone", tc.entry, body)
			if err != nil || len(sigs) != 1 {
				t.Fatalf("SignaturesInBody = %v, %v", sigs, err)
			}
			err = keys.Verify(sigs[0])
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}

	t.Run("ErrSignedAnotherStatement", func(t *testing.T) {
		v := version(5)
		signedZone(t, v, map[string]note.Signer{"ru": old})
		// The same signature presented as a rejection.
		other := version(5)
		other.Decisions[0].Approve = false
		other.Decisions[0].Signature = v.Decisions[0].Signature
		b, _ := json.Marshal(map[string]any{"version": other})
		sigs, _ := truce.SignaturesInBody("zone", 20, b)
		if err := keys.Verify(sigs[0]); !errors.Is(err, truce.ErrPartySignature) || !strings.Contains(err.Error(), "not the statement") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("ErrPartyRecordOfAnotherParty", func(t *testing.T) {
		var k truce.PartyKeys
		if err := k.Add(3, truce.Entry{Kind: "party", Subject: "us"}, partyBody("ru", oldKey)); err == nil {
			t.Fatal("a body of party ru was taken as us's record")
		}
		if err := k.Add(3, truce.Entry{Kind: "zone", Subject: "ru"}, partyBody("ru", oldKey)); err == nil {
			t.Fatal("a zone entry was taken as a party record")
		}
	})
}

func TestCheckBodyLabels(t *testing.T) {
	tests := []struct {
		name  string
		entry truce.Entry
		body  string
		ok    bool
	}{
		{"SameID", truce.Entry{Kind: "party", Subject: "p1"}, `{"id":"p1","slug":"us"}`, true},
		{"ErrOtherID", truce.Entry{Kind: "party", Subject: "p1"}, `{"id":"p2"}`, false},
		{"NoID", truce.Entry{Kind: "token", Subject: "t1"}, `{"name":"x"}`, true},
		{"NotAnObject", truce.Entry{Kind: "x", Subject: "s"}, `[1,2]`, true},
		{"Zone", truce.Entry{Kind: "zone", Subject: "z1"}, `{"zone":{"id":"z1"},"version":{"zone_id":"z1"}}`, true},
		{"ErrZoneOfAnother", truce.Entry{Kind: "zone", Subject: "z1"}, `{"zone":{"id":"z2"},"version":{"zone_id":"z1"}}`, false},
		{"ErrVersionOfAnother", truce.Entry{Kind: "zone", Subject: "z1"}, `{"zone":{"id":"z1"},"version":{"zone_id":"z2"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := truce.CheckBodyLabels(tc.entry, []byte(tc.body)); (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// TestSignaturesInBody_Incident: an incident body's decisions are party
// signatures over IncidentDecisionStatement of the version each names; a
// decision recorded before decisions named their version is checked in
// the entry that recorded it (the version before the body's), and left
// to that entry in later ones.
func TestSignaturesInBody_Incident(t *testing.T) {
	body := []byte(`{"id":"inc-1","version":5,"decisions":[
		{"action":"verify","party_id":"p1","user_id":"u1","reason":"first\nlook","signature":"s1","journal_index":10},
		{"action":"dispute","party_id":"p2","user_id":"u2","reason":"second","signature":"s2","version":3,"journal_index":12},
		{"action":"verify","party_id":"p1","user_id":"u1","reason":"third","signature":"s3","journal_index":14}]}`)
	for _, tc := range []struct {
		index int64
		want  []truce.PartySignature
	}{
		{14, []truce.PartySignature{
			{Party: "p2", User: "u2", Note: "s2", Index: 12, Statement: "truce incident decision\nincident inc-1\nversion 3\naction dispute\nreason second\n", What: "decision dispute on incident inc-1 version 3"},
			{Party: "p1", User: "u1", Note: "s3", Index: 14, Statement: "truce incident decision\nincident inc-1\nversion 4\naction verify\nreason third\n", What: "decision verify on incident inc-1 version 4"},
		}},
		{10, []truce.PartySignature{
			{Party: "p1", User: "u1", Note: "s1", Index: 10, Statement: "truce incident decision\nincident inc-1\nversion 4\naction verify\nreason first look\n", What: "decision verify on incident inc-1 version 4"},
			{Party: "p2", User: "u2", Note: "s2", Index: 10, Statement: "truce incident decision\nincident inc-1\nversion 3\naction dispute\nreason second\n", What: "decision dispute on incident inc-1 version 3"},
		}},
	} {
		got, err := truce.SignaturesInBody("incident", tc.index, body)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("at %d: %+v %v\nwant %+v", tc.index, got, err, tc.want)
		}
	}
}
