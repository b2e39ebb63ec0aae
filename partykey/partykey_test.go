package partykey_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
	"golang.org/x/mod/sumdb/note"
)

func testVersion() *truce.ZoneVersion {
	return &truce.ZoneVersion{ZoneID: "z1", AgreementID: "a1", Version: 2, Action: truce.ZoneChange,
		Spec: truce.ZoneSpec{Name: "Box", Kind: truce.ZoneNoFly}, EffectiveFrom: time.Date(2017, 7, 9, 9, 0, 0, 0, time.UTC)}
}

func writeKey(t *testing.T) (string, *partykey.Key) {
	t.Helper()
	skey, vkey, err := partykey.Generate("ru")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k", "ru.key")
	if err := partykey.Write(path, skey, vkey); err != nil {
		t.Fatal(err)
	}
	k, err := partykey.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Verifier != vkey {
		t.Fatalf("verifier %q, want %q", k.Verifier, vkey)
	}
	return path, k
}

func TestWriteLoad(t *testing.T) {
	path, _ := writeKey(t)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	if err := partykey.Write(path, "x", "y"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("overwrote a key file: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := partykey.Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("loaded a key others can read: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("ru+01234567+AAAA"), 0o600)
	if _, err := partykey.Load(bad); err == nil {
		t.Fatal("loaded a verifier key as a signer key")
	}
	if _, _, err := partykey.Generate("Not A Slug"); err == nil {
		t.Fatal("generated a key for an invalid slug")
	}
}

func TestSignZoneDecision(t *testing.T) {
	_, k := writeKey(t)
	v := testVersion()
	good, err := truce.DecisionStatement(v, true)
	if err != nil {
		t.Fatal(err)
	}
	other := testVersion()
	other.Spec.Name = "Bigger box"
	otherSt, _ := truce.DecisionStatement(other, true)
	digest := func(s string) string { return s[strings.Index(s, "digest "):] }
	for _, tc := range []struct {
		name, statement, want string
	}{
		{"ErrOtherZone", strings.Replace(good, "zone z1", "zone z9", 1), "names zone z9, not z1"},
		{"ErrOtherVersion", strings.Replace(good, "version 2", "version 1", 1), "names version 1, not 2"},
		{"ErrOtherDecision", strings.Replace(good, "decision approve", "decision reject", 1), "says reject, not approve"},
		{"ErrOtherContent", strings.Replace(good, digest(good), digest(otherSt), 1), "carries digest"},
		{"ErrExtraLine", good + "and more\n", "not a zone decision statement"},
		{"ErrOtherFormat", strings.Replace(good, "v1", "v2", 1), "not a zone decision statement"},
		{"ErrNoVersion", strings.Replace(good, "version 2", "version two", 1), "no valid version"},
		{"ErrSpaces", strings.Replace(good, "version 2", "version  2", 1), "no version line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := partykey.SignZoneDecision(k, tc.statement, v, true); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("signed %q: %v", tc.statement, err)
			}
		})
	}
	msg, err := partykey.SignZoneDecision(k, good, v, true)
	if err != nil {
		t.Fatal(err)
	}
	ver, _ := note.NewVerifier(k.Verifier)
	n, err := note.Open([]byte(msg), note.VerifierList(ver))
	if err != nil || n.Text != good {
		t.Fatalf("signed note: %v %+v", err, n)
	}
}

// TestSignBreachResponse: the client signs a breach response statement
// only when it names the breach and carries the action the user gave, in
// the statement's own format.
func TestSignBreachResponse(t *testing.T) {
	_, k := writeKey(t)
	const action = "Military police deployed."
	multi := "Military police deployed.\nThe faction withdrew."
	area := truce.BreachResponseStatement("b1", "g1", "faction", "c1", "", action)
	byIncident := truce.BreachResponseStatement("b1", "g1", "", "", "i1", multi)
	tests := []struct {
		name, statement, breach, action, want string
	}{
		{"control area breach", area, "b1", action, ""},
		{"incident breach, unknown actor, action of two lines", byIncident, "b1", multi, ""},
		{"another breach", truce.BreachResponseStatement("b2", "g1", "faction", "c1", "", action), "b1", action, `names breach "b2"`},
		{"another action", truce.BreachResponseStatement("b1", "g1", "faction", "c1", "", "Nothing."), "b1", action, "does not carry the action"},
		{"another multi-line action", byIncident, "b1", multi + "\n", "does not carry the action"},
		{"extra line", strings.Replace(area, "\naction", "\nnote x\naction", 1), "b1", action, "not a breach response statement"},
		{"extra space", strings.Replace(area, "guarantee g1", "guarantee  g1", 1), "b1", action, "not in the breach response format"},
		{"another kind of statement", "truce zone decision v1\nzone z\nversion 1\ndecision approve\ndigest d\n\n", "b1", action, "not a breach response statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := partykey.SignBreachResponse(k, tt.statement, tt.breach, tt.action)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := truce.VerifySignedNote(sig, tt.statement, k.Verifier); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
		})
	}
}

// TestSignIncidentResponse: the client signs an incident response
// statement only when it names the incident and carries the stance and
// text the user gave, in the statement's own format.
func TestSignIncidentResponse(t *testing.T) {
	_, k := writeKey(t)
	const text = "Our batteries were silent."
	multi := "A battery fired\nagainst orders."
	st := truce.IncidentResponseStatement("i1", 3, "p1", "dispute", text)
	tests := []struct {
		name, statement, incident, stance, text, want string
	}{
		{"one line", st, "i1", "dispute", text, ""},
		{"two lines", truce.IncidentResponseStatement("i1", 3, "p1", "accept", multi), "i1", "accept", multi, ""},
		{"another incident", truce.IncidentResponseStatement("i2", 3, "p1", "dispute", text), "i1", "dispute", text, `names incident "i2"`},
		{"another stance", st, "i1", "accept", text, "does not carry"},
		{"another text", st, "i1", "dispute", "Nothing.", "does not carry"},
		{"extra line", strings.Replace(st, "\ntext", "\nnote x\ntext", 1), "i1", "dispute", text, "not an incident response statement"},
		{"another kind of statement", "truce zone decision v1\nzone z\nversion 1\ndecision approve\ndigest d\n\n", "i1", "dispute", text, "not an incident response statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := partykey.SignIncidentResponse(k, tt.statement, tt.incident, tt.stance, tt.text)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := truce.VerifySignedNote(sig, tt.statement, k.Verifier); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
		})
	}
}
