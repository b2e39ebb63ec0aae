package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLI_Control walks the control verbs: actors, a guarantee over an
// approved zone, a control area that breaches it, the breach listed and
// answered, the map; and a bad period refused with one line.
func TestCLI_Control(t *testing.T) {
	cs := newCLIServer(t)
	dir, srv := cs.dir, cs.srv
	run := cs.run
	tokens := cs.guarantors("us", "ru")
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

	run(tokens["us"], "actor", "add", "--slug", "saa", "--name-en", "Syrian government forces", "--name-ar", "القوات الحكومية السورية", "--type", "state_forces", "--guarantor", "ru")
	run(tokens["us"], "actor", "add", "--slug", "faction", "--name-en", "Faction", "--type", "rebel_group")
	if out := run(tokens["us"], "actor", "list"); !strings.Contains(out, "saa") || !strings.Contains(out, "faction") {
		t.Fatalf("actor list: %s", out)
	}
	out = run(tokens["ru"], "guarantee", "add", "--agreement", agID, "--zone", zoneID, "--guarantors", "ru", "--allowed", "saa", "--from", "2026-01-01T00:00:00Z")
	if !strings.Contains(out, "response within 72h0m0s") {
		t.Fatalf("guarantee add: %s", out)
	}
	village := filepath.Join(dir, "village.geojson")
	os.WriteFile(village, []byte(`{"type":"Polygon","coordinates":[[[35.93,32.73],[35.95,32.73],[35.95,32.75],[35.93,32.75],[35.93,32.73]]]}`), 0o644)
	_, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["us"]}, "control", "add", "--actor", "faction", "--from", "2026-03-01T00:00:00Z", "--to", "2026-02-01T00:00:00Z", "--source", "s", village)
	if code == 0 || !strings.Contains(errs, "ends") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("bad period: %d %q", code, errs)
	}
	out = run(tokens["us"], "control", "add", "--actor", "faction", "--from", "2026-03-01T00:00:00Z", "--source", "monitor report", village)
	m := regexp.MustCompile(`BREACH (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no breach raised: %s", out)
	}
	if out := run(tokens["us"], "breach", "list", "--open"); !strings.Contains(out, m[1]) || !strings.Contains(out, "open") {
		t.Fatalf("breach list: %s", out)
	}
	_, errs, code = truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["us"]}, "breach", "respond", "--action", "x", m[1])
	if code == 0 || !strings.Contains(errs, "guarantor") {
		t.Fatalf("response by a non-guarantor: %d %q", code, errs)
	}
	if out := run(tokens["ru"], "breach", "respond", "--action", "Military police deployed.", m[1]); !strings.Contains(out, "answered") {
		t.Fatalf("respond: %s", out)
	}
	if out := run(tokens["us"], "control", "map", "--at", "2026-03-02T00:00:00Z"); !strings.Contains(out, "1 areas") {
		t.Fatalf("map: %s", out)
	}
	// The changes between two times, and an actor's ground over time.
	if out := run(tokens["us"], "control", "changes", "--from", "2026-02-01T00:00:00Z", "--to", "2026-03-02T00:00:00Z"); !strings.Contains(out, "1 changes") ||
		!regexp.MustCompile(`2026-03-01T00:00:00Z\s+gained\s+faction\s`).MatchString(out) || !regexp.MustCompile(`(?m)^faction\s+0\.0\s+\d+\.\d\s+\+\d+\.\d`).MatchString(out) {
		t.Fatalf("control changes: %s", out)
	}
	if _, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["us"]}, "control", "changes", "--from", "2026-03-02T00:00:00Z", "--to", "2026-02-01T00:00:00Z"); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("changes backwards: %d %q", code, errs)
	}
	if out := run(tokens["us"], "actor", "show", "faction"); !strings.Contains(out, "Faction (faction, rebel_group)") || !strings.Contains(out, "1 areas held") ||
		!regexp.MustCompile(`2026-03-01T00:00:00Z\s+\d+\.\d`).MatchString(out) {
		t.Fatalf("actor show: %s", out)
	}
	if out := run(tokens["us"], "actor", "show", "saa"); !strings.Contains(out, "answered for by ru") {
		t.Fatalf("actor show saa: %s", out)
	}
	if out := run(tokens["us"], "guarantee", "record", "ru"); !strings.Contains(out, "1 breaches owed a response: 1 answered (0 late), 0 unanswered") {
		t.Fatalf("guarantee record: %s", out)
	}
	if out := run(tokens["us"], "guarantee", "record", "ru", "--format", "csv"); !strings.HasPrefix(out, "breach_id,guarantee_id,") || !strings.Contains(out, m[1]+",") || !strings.Contains(out, "Military police deployed.") {
		t.Fatalf("guarantee record as CSV: %s", out)
	}
	out = run(tokens["us"], "guarantee", "record", "ru", "--format", "geojson")
	var fc struct {
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &fc); err != nil || len(fc.Features) != 1 || fc.Features[0].ID != m[1] || fc.Features[0].Geometry.Type != "Polygon" {
		t.Fatalf("guarantee record as GeoJSON: %v %s", err, out)
	}
}
