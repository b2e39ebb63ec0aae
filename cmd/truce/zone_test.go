package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCLI_Zones(t *testing.T) {
	cs := newCLIServer(t)
	dir, srv := cs.dir, cs.srv
	run := cs.run
	tokens := cs.guarantors("us", "ru")
	out := run(tokens["us"], "agreement", "create", "--title", "South-west Syria memorandum", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	// In force once both have signed: Russia proposes and approves, the
	// United States approves last.
	if out := run(tokens["ru"], "agreement", "propose", agID, "bring_into_force", "--note", "as announced"); !strings.Contains(out, "Proposal 1 (bring_into_force)") {
		t.Fatalf("propose: %s", out)
	}
	if out := run(tokens["ru"], "agreement", "approve", agID); !strings.Contains(out, "the agreement is draft") {
		t.Fatalf("approved by one: %s", out)
	}
	if out := run(tokens["us"], "agreement", "approve", agID); !strings.Contains(out, "approved") || !strings.Contains(out, "the agreement is in_force") {
		t.Fatalf("approved by both: %s", out)
	}
	file := filepath.Join(dir, "nfz.geojson")
	os.WriteFile(file, []byte(`{"type":"Feature","properties":{"name":"Dar'a no-fly"},"geometry":{"type":"Polygon","coordinates":[[[35.9,32.5],[36.6,32.5],[36.6,33.0],[35.9,33.0],[35.9,32.5]]]}}`), 0o644)
	out = run(tokens["us"], "zone", "propose", "--agreement", agID, "--file", file, "--kind", "no_fly", "--floor", "0", "--ceiling", "FL200")
	zoneID := regexp.MustCompile(`zone (\S+) "Dar'a no-fly"`).FindStringSubmatch(out)[1]
	if out := run(tokens["us"], "zone", "at", "36.1", "32.6"); !strings.Contains(out, "No zone") {
		t.Fatalf("in force before approval: %s", out)
	}
	run(tokens["us"], "zone", "approve", zoneID)
	out = run(tokens["ru"], "zone", "approve", zoneID)
	if !strings.Contains(out, "approved") || !strings.Contains(out, "In force from") {
		t.Fatalf("approve: %s", out)
	}
	if out := run(tokens["ru"], "zone", "at", "36.1", "32.6", "--alt", "3000"); !strings.Contains(out, zoneID) || !strings.Contains(out, "0m-6096m") {
		t.Fatalf("zone at: %s", out)
	}
	if out := run(tokens["ru"], "zone", "at", "36.1", "32.6", "--alt", "9000"); !strings.Contains(out, "No zone") {
		t.Fatalf("above the ceiling: %s", out)
	}
	if out := run(tokens["us"], "zone", "list", "--at", "now"); !strings.Contains(out, zoneID) {
		t.Fatalf("list --at: %s", out)
	}
	if out := run(tokens["us"], "zone", "list", "--at", "2017-07-10T00:00:00Z"); strings.Contains(out, zoneID) {
		t.Fatalf("in force in 2017: %s", out)
	}
	out = run(tokens["us"], "zone", "history", zoneID)
	if strings.Count(out, "approved by party") != 2 {
		t.Fatalf("history: %s", out)
	}
	if out := run(tokens["us"], "zone", "export"); !strings.Contains(out, `"FeatureCollection"`) || !strings.Contains(out, zoneID) {
		t.Fatalf("export: %s", out)
	}
	os.WriteFile(file, []byte(`{"type":"Polygon","coordinates":[[[35,32],[36,33],[36,32],[35,33],[35,32]]]}`), 0o644)
	_, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["us"]}, "zone", "propose", "--agreement", agID, "--file", file, "--kind", "buffer", "--name", "bow tie")
	if code == 0 || !strings.Contains(errs, "self-intersection") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("bow tie: %d %q", code, errs)
	}

	// Russia gives notice of withdrawal: until it takes effect (30 days)
	// the zone is in force, and shown with the notice.
	if out := run(tokens["ru"], "agreement", "withdraw", agID, "--reason", "talks failed"); !strings.Contains(out, "takes effect at") {
		t.Fatalf("withdraw: %s", out)
	}
	if out := run(tokens["us"], "zone", "at", "36.1", "32.6"); !strings.Contains(out, zoneID) || !strings.Contains(out, "notice of withdrawal") {
		t.Fatalf("zone at after the notice: %s", out)
	}
	if out := run(tokens["us"], "agreement", "show", agID); !strings.Contains(out, "withdrawal:") {
		t.Fatalf("agreement show after the notice: %s", out)
	}
	_, errs, code = truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "agreement", "withdraw", agID)
	if code == 0 || !strings.Contains(errs, "already given notice") {
		t.Fatalf("a second notice: %d %q", code, errs)
	}
}
