package main_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"golang.org/x/mod/sumdb/note"
)

// TestCLI_Sites notifies sites from the command line, one by hand and two
// from an HXL spreadsheet, and answers them: a custodial party with one
// command, a party holding its own key by signing locally with --key. A
// spreadsheet with bad rows is refused with each row on its own line.
func TestCLI_Sites(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok, srv := cs.dir, cs.admin, cs.srv
	cmd, run := cs.cmd, cs.run
	skey, vkey, err := note.GenerateKey(rand.Reader, "ru")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "ru.key")
	os.WriteFile(keyFile, []byte(skey+"\n"), 0o600)
	tokens := map[string]string{}
	for _, p := range []struct{ slug, kind, key, role string }{{"us", "guarantor", "", "operator"}, {"ru", "guarantor", vkey, "operator"}, {"sarc", "humanitarian", "", "humanitarian"}} {
		args := []string{"party", "add", "--slug", p.slug, "--name", p.slug, "--kind", p.kind}
		if p.key != "" {
			args = append(args, "--public-key", p.key)
		}
		run(tok, args...)
		run(tok, "user", "add", "--party", p.slug, "--username", p.slug+"-user", "--roles", p.role)
		tokens[p.slug] = tokenRE.FindString(run(tok, "token", "create", "--user", p.slug+"-user", "--name", "cli"))
	}
	out := run(tokens["us"], "agreement", "create", "--title", "Memorandum", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	// In force once both signatories have signed (ru with its own key).
	run(tokens["us"], "agreement", "propose", agID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", agID)
	run(tokens["ru"], "agreement", "approve", agID, "--key", keyFile)

	out = run(tokens["sarc"], "site", "add", "--agreement", agID, "--name", "Dar'a hospital", "--category", "hospital", "--org", "SARC",
		"--lat", "32.61889", "--lon", "36.10213", "--buffer", "300")
	m := regexp.MustCompile(`Notified site (\S+) .*P-codes SY12 SY1200\).*LATE`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("site add: %s", out)
	}
	site := m[1]

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("Name,Type,Org,Lat,Lon,From\n#loc+name,#loc+type,#org,#geo+lat,#geo+lon,#date+start\nSchool,school,SARC,32.86709,36.25072,2030-01-01\nDepot,depot,SARC,95,36.1,2030-01-01\n"), 0o644)
	_, errs, code := cmd(tokens["sarc"], "site", "import", "--agreement", agID, bad)
	if code == 0 || !strings.Contains(errs, "line 4, category:") || !strings.Contains(errs, "\nline 4, lat:") {
		t.Fatalf("bad import: exit %d: %s", code, errs)
	}
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte(strings.Replace(strings.Replace(mustRead(t, bad), "depot", "warehouse", 1), ",95,", ",33.18378,", 1)), 0o644)
	if out := run(tokens["sarc"], "site", "import", "--agreement", agID, good); !strings.Contains(out, "Notified 2 sites") {
		t.Fatalf("import: %s", out)
	}

	inbox := func(token string) []string {
		t.Helper()
		return regexp.MustCompile(`(?m)^([0-9a-f-]{36})\s`).FindAllString(run(token, "inbox"), -1)
	}
	if n := len(inbox(tokens["us"])); n != 3 {
		t.Fatalf("us inbox holds %d", n)
	}
	ids := inbox(tokens["ru"])
	if len(ids) != 3 {
		t.Fatalf("ru inbox holds %d", len(ids))
	}
	// ru holds its own key: without it the server cannot sign.
	if _, errs, code := cmd(tokens["ru"], "ack", strings.TrimSpace(ids[0])); code == 0 || !strings.Contains(errs, "holds its own key") {
		t.Fatalf("ack without a key: %d %s", code, errs)
	}
	// A key that is not the party's on record signs nothing.
	otherKey, _, _ := note.GenerateKey(rand.Reader, "ru")
	otherFile := filepath.Join(dir, "other.key")
	os.WriteFile(otherFile, []byte(otherKey+"\n"), 0o600)
	if _, errs, code := cmd(tokens["ru"], "ack", strings.TrimSpace(ids[0]), "--key", otherFile); code == 0 || !strings.Contains(errs, "refusing to sign: party ru's key on record") {
		t.Fatalf("ack with another key: %d %s", code, errs)
	}
	out, errs, code = cmd(tokens["ru"], "ack", strings.TrimSpace(ids[0]), "--key", keyFile, "--concern", "Active operations on the southern road", "--from", "2030-01-01T00:00:00Z", "--to", "2030-01-02T00:00:00Z")
	if code != 0 || !strings.Contains(out, "concern") || !strings.Contains(out, "receipt, not permission") {
		t.Fatalf("ack --concern: %d %s %s", code, out, errs)
	}
	// What was signed was shown first: the version read and hashed here.
	if !regexp.MustCompile(`Signing a concern as party ru of transmission \S+:\n  site \S+ "[^"]+" \((hospital|school|warehouse), SARC\) version 1`).MatchString(errs) ||
		!regexp.MustCompile(`hash [0-9a-f]{64} \(computed here`).MatchString(errs) {
		t.Fatalf("ack --key did not show what it signs: %s", errs)
	}
	usIDs := inbox(tokens["us"])
	out = run(tokens["us"], "ack", strings.TrimSpace(usIDs[0]))
	if !strings.Contains(out, "acknowledged") {
		t.Fatalf("ack: %s", out)
	}
	out = run(tokens["sarc"], "site", "show", site)
	if !regexp.MustCompile(`(?m)^us\s+acknowledged`).MatchString(out) || !regexp.MustCompile(`(?m)^ru\s+concern`).MatchString(out) {
		t.Fatalf("site show: %s", out)
	}
	if out := run(tokens["us"], "site", "list"); strings.Count(out, "\n") != 4 {
		t.Fatalf("site list: %s", out)
	}

	// A move is version 2, notified again; us acknowledges it, ru stays
	// silent. The proof holds both versions and all four transmissions,
	// and verifies offline with the log's key alone.
	c := api.NewClient(srv.url, tokens["sarc"])
	if _, err := c.Do(context.Background(), "POST", "/api/v1/sites/"+site+"/versions", humanitarian.SiteUpdate{SiteFields: humanitarian.SiteFields{
		Name: "Dar'a hospital", Category: "hospital", Organisation: "SARC", Geometry: []byte(`{"type":"Point","coordinates":[36.11,32.62]}`),
		ValidFrom: time.Now()}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	usIDs = inbox(tokens["us"])
	run(tokens["us"], "ack", strings.TrimSpace(usIDs[len(usIDs)-1]))
	file := filepath.Join(dir, "site-proof.json")
	if out := run(tokens["ru"], "humanitarian", "proof", site, "-o", file); !strings.Contains(out, "(5 records)") {
		t.Fatalf("humanitarian proof: %s", out)
	}
	logKey := strings.TrimSpace(mustRead(t, filepath.Join(dir, "log.key.pub")))
	out = run("", "log", "verify-proof", file, "--key", logKey)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`party \S+: version 1 notified at \S+ \(entry \d+\); acknowledged at \S+ with key us\+[0-9a-f]{8}`),
		regexp.MustCompile(`party \S+: version 1 notified at \S+ \(entry \d+\); concern raised at \S+ with key ru\+[0-9a-f]{8} \(entry \d+\): "Active operations on the southern road"`),
		regexp.MustCompile(`party \S+: version 2 notified at \S+ \(entry \d+\); acknowledged at \S+ with key us\+`),
		regexp.MustCompile(`party \S+: version 2 notified at \S+ \(entry \d+\); no acknowledgement`),
	} {
		if !want.MatchString(out) {
			t.Errorf("verify-proof lacks %s:\n%s", want, out)
		}
	}
	// A proof relabelled as another site's, or with a transmission's
	// answer changed, does not verify.
	orig := mustRead(t, file)
	bad = filepath.Join(dir, "bad-proof.json")
	os.WriteFile(bad, []byte(strings.Replace(orig, `"site": "`+site+`"`, `"site": "`+usIDs[0]+`"`, 1)), 0o644)
	if _, errs, code := cmd("", "log", "verify-proof", bad, "--key", logKey); code == 0 || !strings.Contains(errs, "NOT verify") {
		t.Errorf("relabelled proof: exit %d %s", code, errs)
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
