package main_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestCLI_Relay notifies a site under an agreement whose coordinator
// relays notifications: it reaches the coordinator's inbox alone; a
// guarantor's relay is a one-line error; the coordinator's relay reaches
// both guarantors, and a second relay is refused.
func TestCLI_Relay(t *testing.T) {
	cs := newCLIServer(t)
	tok, cmd, run := cs.admin, cs.cmd, cs.run
	tokens := map[string]string{}
	for _, p := range []struct{ slug, kind, role string }{{"us", "guarantor", "operator"}, {"ru", "guarantor", "operator"}, {"un", "coordinator", "operator"}, {"sarc", "humanitarian", "humanitarian"}} {
		run(tok, "party", "add", "--slug", p.slug, "--name", p.slug, "--kind", p.kind)
		run(tok, "user", "add", "--party", p.slug, "--username", p.slug+"-user", "--roles", p.role)
		tokens[p.slug] = tokenRE.FindString(run(tok, "token", "create", "--user", p.slug+"-user", "--name", "cli"))
	}
	if _, errs, code := cmd(tokens["us"], "agreement", "create", "--title", "Bad", "--signatories", "us,ru", "--relay", "un"); code == 0 || !strings.Contains(errs, "not a signatory") {
		t.Fatalf("a relay that is not a signatory: exit %d: %s", code, errs)
	}
	out := run(tokens["us"], "agreement", "create", "--title", "Memorandum", "--signatories", "us,ru,un", "--from", "2017-07-09T12:00:00Z", "--relay", "un")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	run(tokens["us"], "agreement", "propose", agID, "bring_into_force")
	for _, p := range []string{"us", "ru", "un"} {
		run(tokens[p], "agreement", "approve", agID)
	}
	run(tokens["sarc"], "site", "add", "--agreement", agID, "--name", "Dar'a hospital", "--category", "hospital", "--org", "SARC",
		"--lat", "32.61889", "--lon", "36.10213", "--buffer", "300")
	ids := func(token string) []string {
		t.Helper()
		return regexp.MustCompile(`(?m)^[0-9a-f-]{36}`).FindAllString(run(token, "inbox"), -1)
	}
	if got := ids(tokens["us"]); len(got) != 0 {
		t.Fatalf("us's inbox before the relay: %v", got)
	}
	relay := ids(tokens["un"])
	if len(relay) != 1 {
		t.Fatalf("the coordinator's inbox: %v", relay)
	}
	if _, errs, code := cmd(tokens["us"], "relay", relay[0]); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "another party") {
		t.Fatalf("a guarantor's relay: exit %d: %q", code, errs)
	}
	if out := run(tokens["un"], "relay", relay[0]); strings.Count(out, "Relayed site") != 2 {
		t.Fatalf("relay: %s", out)
	}
	if got := ids(tokens["us"]); len(got) != 1 {
		t.Fatalf("us's inbox after the relay: %v", got)
	}
	if _, errs, code := cmd(tokens["un"], "relay", relay[0]); code == 0 || !strings.Contains(errs, "relayed already") {
		t.Fatalf("relaying twice: exit %d: %s", code, errs)
	}
}
