package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLI_ControlIncidentBreach: a monitoring team reports a faction
// taking a village inside the guaranteed basin, the centre verifies the
// incident, and the running server raises the breach of the guarantee
// by itself (no control area recorded), naming the incident and the
// actor; the guarantor answers it.
func TestCLI_ControlIncidentBreach(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok, srv := cs.dir, cs.admin, cs.srv
	run := cs.run
	tokens := cs.guarantors("us", "ru")
	run(tok, "party", "add", "--slug", "centre", "--name", "Monitoring centre", "--kind", "monitor")
	for _, u := range []struct{ name, role string }{{"team-a", "observer"}, {"centre-op", "operator"}} {
		run(tok, "user", "add", "--party", "centre", "--username", u.name, "--roles", u.role)
		tokens[u.name] = tokenRE.FindString(run(tok, "token", "create", "--user", u.name, "--name", "cli"))
	}
	out := run(tokens["us"], "agreement", "create", "--title", "Memo", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	run(tokens["ru"], "agreement", "propose", agID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", agID)
	run(tokens["ru"], "agreement", "approve", agID)
	area := filepath.Join(dir, "basin.geojson")
	os.WriteFile(area, []byte(`{"type":"Feature","properties":{"name":"Basin"},"geometry":{"type":"Polygon","coordinates":[[[35.9,32.7],[36.0,32.7],[36.0,32.8],[35.9,32.8],[35.9,32.7]]]}}`), 0o644)
	out = run(tokens["us"], "zone", "propose", "--agreement", agID, "--file", area, "--kind", "liberated_area")
	zoneID := regexp.MustCompile(`zone (\S+) "Basin"`).FindStringSubmatch(out)[1]
	run(tokens["us"], "zone", "approve", zoneID)
	run(tokens["ru"], "zone", "approve", zoneID)
	run(tokens["us"], "actor", "add", "--slug", "saa", "--name-en", "Syrian government forces", "--type", "state_forces", "--guarantor", "ru")
	run(tokens["us"], "actor", "add", "--slug", "faction", "--name-en", "Armed faction", "--alias", "Jaish Khalid", "--type", "rebel_group")
	run(tokens["ru"], "guarantee", "add", "--agreement", agID, "--zone", zoneID, "--guarantors", "ru", "--allowed", "saa", "--from", "2026-01-01T00:00:00Z")

	out = run(tokens["team-a"], "observation", "add", "--mode", "saw", "--from", "35.90,32.69", "--at", "35.94,32.74", "--accuracy", "300",
		"--category", "territory_overtaken", "--actor", "Jaish Khalid", "--confidence", "0.8", "--narrative", "Fighters raised their flag over the village.")
	inc := regexp.MustCompile(`in incident (\S+)\.`).FindStringSubmatch(out)[1]
	// Reported, not verified: no breach.
	if out := run(tokens["us"], "breach", "list"); strings.Contains(out, inc) {
		t.Fatalf("a breach before the incident was verified: %s", out)
	}
	run(tokens["centre-op"], "incident", "verify", inc, "--reason", "Two patrols saw the flag.")
	var list string
	waitUntil(t, "the breach of the verified incident", func() bool {
		list = run(tokens["us"], "breach", "list", "--open")
		return strings.Contains(list, "incident "+inc)
	})
	m := regexp.MustCompile(`(?m)^(\S+)\s+open\s+(\S+)\s+\S+\s+\S+\s+incident ` + regexp.QuoteMeta(inc)).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("breach list: %s", list)
	}
	actors := run(tokens["us"], "actor", "list")
	if !strings.Contains(actors, "faction") || !strings.Contains(actors, m[2]) {
		t.Fatalf("the breach names actor %s, not the faction: %s", m[2], actors)
	}
	// Disputed, the incident no longer supports the breach: it is
	// withdrawn (nothing owed, a response refused); verified again, it
	// stands once more.
	run(tokens["us"], "incident", "dispute", inc, "--reason", "The flag was the government's.")
	withdrawn := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `\s+withdrawn\s.*incident ` + regexp.QuoteMeta(inc) + ` \(withdrawn: Incident ` + regexp.QuoteMeta(inc) + ` is now disputed`)
	waitUntil(t, "the breach withdrawn after the dispute", func() bool { return withdrawn.MatchString(run(tokens["us"], "breach", "list")) })
	if out := run(tokens["us"], "breach", "list", "--open"); strings.Contains(out, m[1]) {
		t.Fatalf("a withdrawn breach listed as open: %s", out)
	}
	if _, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "breach", "respond", "--action", "x", m[1]); code == 0 || !strings.Contains(errs, "withdrawn") {
		t.Fatalf("a response to a withdrawn breach: exit %d: %s", code, errs)
	}
	run(tokens["centre-op"], "incident", "verify", inc, "--reason", "A third patrol saw the faction's flag.")
	waitUntil(t, "the breach reinstated", func() bool {
		return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `\s+open\s`).MatchString(run(tokens["us"], "breach", "list", "--open"))
	})
	if out := run(tokens["ru"], "breach", "respond", "--action", "Military police sent to the village.", m[1]); !strings.Contains(out, "answered") {
		t.Fatalf("respond: %s", out)
	}
	if out := run(tokens["us"], "breach", "list", "--open"); strings.Contains(out, m[1]) {
		t.Fatalf("answered breach still open: %s", out)
	}
}
