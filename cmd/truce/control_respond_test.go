package main_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"golang.org/x/mod/sumdb/note"
)

// TestCLI_ControlRespondWithKey: Russia holds its own key; a breach of its
// guarantee is answered with `truce control respond --key`, the statement
// checked and signed on the client; the server cannot answer in its name,
// refuses another key's signature, and a statement for another action
// gets no signature. The breach's proof shows Russia's signature
// verified offline.
func TestCLI_ControlRespondWithKey(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok := cs.dir, cs.admin
	env, run, fail := cs.env, cs.run, cs.fail
	held := t.TempDir()
	keyFile := filepath.Join(held, "ru.key")
	run("", "key", "generate", "--party", "ru", "--out", keyFile)
	vkey := trimFile(t, keyFile+".pub")
	tokens := map[string]string{}
	for _, p := range []string{"us", "ru"} {
		args := []string{"party", "add", "--slug", p, "--name", p, "--kind", "guarantor"}
		if p == "ru" {
			args = append(args, "--public-key", vkey)
		}
		run(tok, args...)
		run(tok, "user", "add", "--party", p, "--username", p+"-op", "--roles", "operator")
		tokens[p] = tokenRE.FindString(run(tok, "token", "create", "--user", p+"-op", "--name", "cli"))
	}
	out := run(tokens["us"], "agreement", "create", "--title", "Memo", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	run(tokens["us"], "agreement", "propose", agID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", agID)
	run(tokens["ru"], "agreement", "approve", agID, "--key", keyFile)
	area := filepath.Join(dir, "basin.geojson")
	os.WriteFile(area, []byte(`{"type":"Feature","properties":{"name":"Basin"},"geometry":{"type":"Polygon","coordinates":[[[35.9,32.7],[36.0,32.7],[36.0,32.8],[35.9,32.8],[35.9,32.7]]]}}`), 0o644)
	out = run(tokens["us"], "zone", "propose", "--agreement", agID, "--file", area, "--kind", "liberated_area")
	zoneID := regexp.MustCompile(`zone (\S+) "Basin"`).FindStringSubmatch(out)[1]
	run(tokens["us"], "zone", "approve", zoneID)
	run(tokens["ru"], "zone", "approve", zoneID, "--key", keyFile)
	run(tokens["us"], "actor", "add", "--slug", "saa", "--name-en", "Syrian government forces", "--type", "state_forces", "--guarantor", "ru")
	run(tokens["us"], "actor", "add", "--slug", "faction", "--name-en", "Faction", "--type", "rebel_group")
	run(tokens["ru"], "guarantee", "add", "--agreement", agID, "--zone", zoneID, "--guarantors", "ru", "--allowed", "saa", "--from", "2026-01-01T00:00:00Z")
	village := filepath.Join(dir, "village.geojson")
	os.WriteFile(village, []byte(`{"type":"Polygon","coordinates":[[[35.93,32.73],[35.95,32.73],[35.95,32.75],[35.93,32.75],[35.93,32.73]]]}`), 0o644)
	out = run(tokens["us"], "control", "add", "--actor", "faction", "--from", "2026-03-01T00:00:00Z", "--source", "monitor report", village)
	breach := regexp.MustCompile(`BREACH (\S+)`).FindStringSubmatch(out)[1]

	action := "Military police deployed to the village."
	fail(tokens["ru"], "holds its own key", "control", "respond", "--action", action, breach)
	impostor := filepath.Join(held, "impostor.key")
	run("", "key", "generate", "--party", "ru", "--out", impostor)
	fail(tokens["ru"], "does not verify", "control", "respond", "--action", action, "--key", impostor, breach)
	fail(tokens["us"], "guarantor", "control", "respond", "--action", action, "--key", keyFile, breach)
	if out := run(tokens["ru"], "control", "respond", "--action", "  "+action+" ", "--key", keyFile, breach); !strings.Contains(out, "breach "+breach+" answered") {
		t.Fatalf("respond with the party's key: %s", out)
	}
	fail(tokens["ru"], "answered", "control", "respond", "--action", action, "--key", keyFile, breach)

	// The breach's proof, with Russia's signature checked offline.
	file := filepath.Join(t.TempDir(), "breach.json")
	if got, errs, code := truceCmd(t, env(tokens["us"]), "log", "proof", "breach", breach, "-o", file); code != 0 {
		t.Fatalf("log proof: %s %s", got, errs)
	}
	logKey := trimFile(t, filepath.Join(dir, "log.key.pub"))
	got, errs, code := truceCmd(t, nil, "log", "verify-proof", file, "--key", logKey)
	if code != 0 || !strings.Contains(got, "signature verified: response to breach "+breach) || !strings.Contains(got, "by party ru") {
		t.Fatalf("verify-proof: exit %d: %s %s", code, got, errs)
	}
}

// TestLogProofs_ForgedBreachResponse: a guarantor's response to a breach
// is a party signature inside the breach's body, so `truce log
// verify-proof` checks it with the key the journal records for the
// party: Russia's answer verifies, and the same answer journalled again
// with a signature made by another key in Russia's name is refused.
func TestLogProofs_ForgedBreachResponse(t *testing.T) {
	w := newProofWorld(t, "")
	ctx := context.Background()
	asUS, asRU := truce.NewContext(ctx, w.us), truce.NewContext(ctx, w.ru)
	_, v, err := w.n.Zones.ProposeZone(asUS, truce.ZoneProposal{Agreement: w.zone.AgreementID, Name: "Yarmouk basin", Kind: truce.ZoneLiberated,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[35.9,32.7],[36.0,32.7],[36.0,32.8],[35.9,32.8],[35.9,32.7]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []context.Context{asUS, asRU} {
		if v, err = w.n.Zones.DecideZone(c, v.ZoneID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
	}
	ctl := w.n.Control
	for _, a := range []control.ActorInput{
		{Slug: "saa", Names: map[string]string{"en": "Syrian government forces"}, Type: control.StateForces, Guarantor: "ru"},
		{Slug: "faction", Names: map[string]string{"en": "Faction"}, Type: control.RebelGroup},
	} {
		if _, err := ctl.AddActor(asUS, a); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g, err := ctl.AddGuarantee(asRU, control.GuaranteeInput{AgreementID: v.AgreementID, ZoneID: v.ZoneID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: from})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ctl.AddControl(asUS, control.ControlInput{Actor: "faction", Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[35.93,32.73],[35.95,32.73],[35.95,32.75],[35.93,32.75],[35.93,32.73]]]}`),
		From: from.Add(24 * time.Hour), Source: "monitor report", Confidence: control.ConfidenceHigh})
	if err != nil || len(rec.Breaches) != 1 {
		t.Fatalf("control change: %+v %v", rec, err)
	}
	b := rec.Breaches[0]
	if _, err := ctl.Respond(asRU, b.ID, "Military police deployed.", ""); err != nil {
		t.Fatal(err)
	}
	w.waitCosigned(t)
	policy := []string{"--key", w.logKey, "--witness", w.witness}
	verify := func(file string) (string, string, int) {
		return truceCmd(t, nil, append([]string{"log", "verify-proof", file}, policy...)...)
	}
	what := "response to breach " + b.ID + " of guarantee " + g.ID + " by party ru (" + w.ru.Party.ID + ")"
	if out, errs, code := verify(w.proof(t, "breach", b.ID)); code != 0 || !strings.Contains(out, "signature verified: "+what) {
		t.Fatalf("verify-proof of the answered breach: exit %d: %s %s", code, out, errs)
	}

	// The server journals the answer again with a signature of its own
	// making, in Russia's name.
	rs, err := w.n.Store.SubjectJournal(ctx, "breach", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(rs[len(rs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	resp := body["response"].(map[string]any)
	name, _, _ := strings.Cut(w.ru.Party.PublicKey, "+")
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := note.Sign(&note.Note{Text: truce.BreachResponseStatement(b.ID, b.GuaranteeID, b.ActorID, b.ControlAreaID, "", resp["action"].(string))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	resp["signature"] = string(forged)
	w.journal(t, "breach", b.ID, w.ru, body)
	out, errs, code := verify(w.proof(t, "breach", b.ID))
	want := "party signature does not verify: " + what + ": the signature does not verify with the party's key"
	if code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("verify-proof of the forged answer: exit %d: %s %s", code, out, errs)
	}
}
