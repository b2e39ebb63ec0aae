package main_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/zones"
)

// TestCLI_PartyHeldKey: Russia generates its own key with truce key
// generate, the administrator registers only the verifier key, and
// Russia approves a zone with truce zone approve --key. The server's
// store and data directory hold no private key of Russia's; a decision
// without a signature, or signed with another key, is refused; and the
// CLI refuses to sign a statement that is not the one asked for.
func TestCLI_PartyHeldKey(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok, srv := cs.dir, cs.admin, cs.srv
	run, fail := cs.run, cs.fail

	// Russia's operator keeps the key on a machine of its own: not the
	// server's data directory.
	held := t.TempDir()
	keyFile := filepath.Join(held, "ru.key")
	out := run("", "key", "generate", "--party", "ru", "--out", keyFile)
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st)
	}
	pub, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(string(pub))
	if !strings.HasPrefix(vkey, "ru+") || !strings.Contains(out, vkey) {
		t.Fatalf("verifier key %q; output %s", vkey, out)
	}
	skey, _ := os.ReadFile(keyFile)
	if !strings.HasPrefix(string(skey), "PRIVATE+KEY+ru+") || strings.Contains(out, strings.TrimSpace(string(skey))) {
		t.Fatalf("key file %q, or it was printed: %s", skey, out)
	}
	fail("", "already exists", "key", "generate", "--party", "ru", "--out", keyFile)

	tokens := map[string]string{}
	for _, p := range []string{"us", "ru"} {
		args := []string{"party", "add", "--slug", p, "--name", p, "--kind", "guarantor"}
		if p == "ru" {
			args = append(args, "--public-key", vkey)
		}
		run(tok, args...)
		run(tok, "user", "add", "--party", p, "--username", p+"-op", "--roles", "operator,party_admin")
		tokens[p] = tokenRE.FindString(run(tok, "token", "create", "--user", p+"-op", "--name", "cli"))
	}
	out = run(tokens["us"], "agreement", "create", "--title", "Memorandum", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	// Russia signs the memorandum's text with its own key, here.
	run(tokens["us"], "agreement", "propose", agID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", agID)
	fail(tokens["ru"], "holds its own key", "agreement", "approve", agID)
	if out := run(tokens["ru"], "agreement", "approve", agID, "--key", keyFile); !strings.Contains(out, "the agreement is in_force") {
		t.Fatalf("Russia signs with its key: %s", out)
	}
	file := filepath.Join(dir, "nfz.geojson")
	os.WriteFile(file, []byte(`{"type":"Polygon","coordinates":[[[35.9,32.5],[36.6,32.5],[36.6,33.0],[35.9,33.0],[35.9,32.5]]]}`), 0o644)
	out = run(tokens["us"], "zone", "propose", "--agreement", agID, "--file", file, "--kind", "no_fly", "--name", "Daraa")
	zoneID := regexp.MustCompile(`zone (\S+) "Daraa"`).FindStringSubmatch(out)[1]
	run(tokens["us"], "zone", "approve", zoneID)

	// The server cannot decide in Russia's name: it has no key to sign
	// with, and refuses what another key signed.
	fail(tokens["ru"], "holds its own key", "zone", "approve", zoneID)
	otherKey := filepath.Join(held, "impostor.key")
	run("", "key", "generate", "--party", "ru", "--out", otherKey)
	fail(tokens["ru"], "does not verify", "zone", "approve", zoneID, "--key", otherKey)

	// A server (or whatever sits between) that hands over another
	// decision's statement gets no signature.
	for _, tc := range []struct{ from, to, want string }{
		{"decision approve", "decision reject", "says reject, not approve"},
		{"version 1", "version 2", "names version 2, not 1"},
		{"zone " + zoneID, "zone 0198aaaa-0000-7000-8000-000000000000", "names zone"},
		{"digest ", "digest 00", "carries digest"},
	} {
		proxy := statementRewriter(t, srv.url, tc.from, tc.to)
		_, errs, code := truceCmd(t, []string{"TRUCE_URL=" + proxy, "TRUCE_TOKEN=" + tokens["ru"]}, "zone", "approve", zoneID, "--key", keyFile)
		if code == 0 || !strings.Contains(errs, "refusing to sign") || !strings.Contains(errs, tc.want) {
			t.Fatalf("statement with %q for %q: exit %d %q", tc.to, tc.from, code, errs)
		}
	}
	// Asking for a version that is not pending is refused by the rules.
	fail(tokens["ru"], "no version 7", "zone", "approve", zoneID, "--version", "7", "--key", keyFile)

	out = run(tokens["ru"], "zone", "approve", zoneID, "--key", keyFile, "--reason", "signed in Moscow")
	if !strings.Contains(out, "approved") || !strings.Contains(out, "In force from") {
		t.Fatalf("approve --key: %s", out)
	}

	// Russia rotates its key: the old key signs nothing new, the new one
	// does.
	out = run(tokens["us"], "zone", "propose", "--agreement", agID, "--file", file, "--kind", "buffer", "--name", "Later")
	later := regexp.MustCompile(`zone (\S+) "Later"`).FindStringSubmatch(out)[1]
	run(tokens["us"], "zone", "approve", later)
	newKeyFile := filepath.Join(held, "ru-2.key")
	out = run(tokens["ru"], "key", "rotate", "--key", keyFile, "--out", newKeyFile)
	pub2, err := os.ReadFile(newKeyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	vkey2 := strings.TrimSpace(string(pub2))
	if vkey2 == vkey || !strings.Contains(out, vkey2) {
		t.Fatalf("key rotate: %s (new key %s)", out, vkey2)
	}
	fail(tokens["ru"], "does not verify", "zone", "approve", later, "--key", keyFile)
	if out := run(tokens["ru"], "zone", "approve", later, "--key", newKeyFile); !strings.Contains(out, "In force from") {
		t.Fatalf("approve with the new key: %s", out)
	}

	// A proof of the later zone, checked offline, verifies Russia's
	// approval with the key the journal records for its time: the new one.
	logKey, err := os.ReadFile(filepath.Join(dir, "log.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	proof := filepath.Join(held, "later.json")
	run(tokens["ru"], "log", "proof", "zone", later, "-o", proof)
	if out, errs, code := truceCmd(t, nil, "log", "verify-proof", proof, "--key", strings.TrimSpace(string(logKey))); code != 0 ||
		!strings.Contains(out, "signature verified: zone "+later+" version 1 approval by party ru (") {
		t.Fatalf("verify-proof after the rotation: exit %d: %s %s", code, out, errs)
	}

	// What the server holds: Russia's verifier keys, decisions that
	// verify with the key of their time, and no private key of Russia's
	// anywhere.
	srv.cmd.Process.Kill()
	srv.cmd.Wait()
	ctx := context.Background()
	svc, err := node.OpenService(ctx, node.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Store.Close()
	ru, err := svc.Accounts.Store.Party(ctx, "ru")
	if err != nil {
		t.Fatal(err)
	}
	if ru.Custodial || ru.PublicKey != vkey2 {
		t.Fatalf("ru custodial %v key %s", ru.Custodial, ru.PublicKey)
	}
	if _, err := svc.Accounts.Store.PartyKey(ctx, ru.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the store holds a key for ru: %v", err)
	}
	if _, err := svc.Accounts.Store.PartyKey(ctx, mustStoreParty(t, svc, "us").ID); err != nil {
		t.Fatalf("the store holds no key for the custodial us: %v", err)
	}
	skey2, _ := os.ReadFile(newKeyFile)
	seed := func(skey []byte) string {
		s := strings.TrimSpace(string(skey))
		return strings.SplitN(s, "+", 5)[4]
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "PRIVATE+KEY+ru+") || strings.Contains(string(b), seed(skey)) || strings.Contains(string(b), seed(skey2)) {
			t.Errorf("%s holds Russia's private key", path)
		}
		return nil
	})
	var signed int
	for _, z := range []struct{ id, key string }{{zoneID, vkey}, {later, vkey2}} {
		vs, err := svc.Zones.Store.ZoneVersions(ctx, z.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range vs[0].Decisions {
			if d.PartyID != ru.ID {
				continue
			}
			signed++
			key, err := svc.Accounts.PartyKeyAt(ctx, ru.ID, d.JournalIndex)
			if err != nil || key != z.key {
				t.Fatalf("Russia's key at %d: %q %v, want %q", d.JournalIndex, key, err, z.key)
			}
			if err := zones.VerifyDecision(vs[0], d, key); err != nil {
				t.Fatalf("Russia's decision: %v", err)
			}
		}
	}
	if signed != 2 {
		t.Fatalf("%d decisions of Russia's, want 2", signed)
	}
}

func mustStoreParty(t *testing.T, svc *node.Base, slug string) *truce.Party {
	t.Helper()
	p, err := svc.Accounts.Store.Party(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// statementRewriter is a proxy to target that replaces from with to in
// every decision statement it passes on.
func statementRewriter(t *testing.T, target, from, to string) string {
	t.Helper()
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		if !strings.HasSuffix(r.Request.URL.Path, "/statement") {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		r.Body.Close()
		if err != nil {
			return err
		}
		s := strings.Replace(string(b), from, to, 1)
		r.Body = io.NopCloser(strings.NewReader(s))
		r.ContentLength = int64(len(s))
		r.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}
