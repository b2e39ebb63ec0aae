package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCLI_Operations walks the op verbs: a US patrol filed, a Russian
// patrol that conflicts with it (the conflict printed), a strike refused
// with one line, a joint operation approved by the US (custodial) and by
// Russia with the key it holds (--key), listed and shown.
func TestCLI_Operations(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok, srv := cs.dir, cs.admin, cs.srv
	run := cs.run
	keyFile := filepath.Join(dir, "ru", "ru.key")
	run("", "key", "generate", "--party", "ru", "--out", keyFile)
	vkey, err := os.ReadFile(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, p := range []string{"us", "ru"} {
		args := []string{"party", "add", "--slug", p, "--name", p, "--kind", "guarantor"}
		if p == "ru" {
			args = append(args, "--public-key", strings.TrimSpace(string(vkey)))
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

	from := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	at := func(h int) string { return from.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	box := `{"type":"Polygon","coordinates":[[[36,32.6],[36.2,32.6],[36.2,32.8],[36,32.8],[36,32.6]]]}`
	out = run(tokens["us"], "op", "file", "--agreement", agID, "--name", "US patrol", "--kind", "air_patrol", "--geometry", box, "--floor", "3000", "--ceiling", "6000", "--from", at(0), "--to", at(3))
	if !strings.Contains(out, "filed") || !strings.Contains(out, "no conflicts") {
		t.Fatalf("US patrol: %s", out)
	}
	out = run(tokens["ru"], "op", "file", "--agreement", agID, "--name", "RU patrol", "--kind", "air_patrol", "--geometry", `{"type":"Point","coordinates":[36.1,32.7]}`, "--buffer", "5000",
		"--floor", "4000", "--ceiling", "9000", "--from", at(1), "--to", at(2))
	if !regexp.MustCompile(`operation\s+air_patrol\s+.*4000-6000.*warning`).MatchString(out) {
		t.Fatalf("RU patrol's conflict: %s", out)
	}
	_, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "op", "file", "--agreement", agID, "--name", "strike", "--kind", "air_strike",
		"--geometry", box, "--floor", "0", "--ceiling", "9000", "--from", at(1), "--to", at(2))
	if code == 0 || !strings.Contains(errs, "refused") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("strike over the patrol: %d %q", code, errs)
	}
	out = run(tokens["us"], "op", "file", "--agreement", agID, "--name", "Joint demining", "--kind", "demining", "--with", "ru",
		"--geometry", `{"type":"LineString","coordinates":[[36.5,33],[36.6,33.1]]}`, "--buffer", "200", "--floor", "0", "--ceiling", "10", "--from", at(5), "--to", at(9))
	id := regexp.MustCompile(`draft: (\S+)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("joint draft: %s", out)
	}
	if out := run(tokens["us"], "op", "approve", id[1]); !strings.Contains(out, "(1 of 2 parties): draft") {
		t.Fatalf("US approval: %s", out)
	}
	_, errs, code = truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "op", "approve", id[1])
	if code == 0 || !strings.Contains(errs, "own key") {
		t.Fatalf("Russia approving without its key: %d %q", code, errs)
	}
	if out := run(tokens["ru"], "op", "approve", id[1], "--key", keyFile); !strings.Contains(out, "(2 of 2 parties): filed") {
		t.Fatalf("Russian approval: %s", out)
	}
	if out := run(tokens["ru"], "op", "list"); !strings.Contains(out, "RU patrol") || !strings.Contains(out, "Joint demining") || strings.Contains(out, "US patrol") {
		t.Fatalf("Russia's list: %s", out)
	}
	if out := run(tokens["us"], "op", "show", id[1]); !strings.Contains(out, "approved by") || strings.Count(out, "approved by") != 2 {
		t.Fatalf("show: %s", out)
	}
}
