package main_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestCLI_Movements notifies a convoy from the command line, answers it
// (a custodial party in one command, a party holding its own key with
// --key, which reads and hashes the movement version it signs), steps
// it through its life, and gathers and verifies its proof offline.
func TestCLI_Movements(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok := cs.dir, cs.admin
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
	// Convoys need 120 h of notice under this agreement, medical
	// evacuations the 48 h default.
	out := run(tokens["us"], "agreement", "create", "--title", "Memorandum", "--signatories", "us,ru", "--from", "2017-07-09T12:00:00Z",
		"--lead-times", "movement/road_convoy=120h", "--reminders", "12h,2h")
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(out)[1]
	run(tokens["us"], "agreement", "propose", agID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", agID)
	run(tokens["ru"], "agreement", "approve", agID, "--key", keyFile)

	dep := time.Now().UTC().Add(96 * time.Hour).Truncate(time.Second)
	window := func(from time.Time, h int) string {
		return from.Format(time.RFC3339) + "/" + from.Add(time.Duration(h)*time.Hour).Format(time.RFC3339)
	}
	// The route from the Ramtha/Dar'a crossing to Dar'a city.
	waypoints := "36.0076,32.5560;36.0500,32.5900;36.1020,32.6189"
	if _, errs, code := cmd(tokens["sarc"], "movement", "add", "--agreement", agID, "--name", "Convoy", "--org", "SARC", "--waypoints", "36.0,32.5;36.0,32.5",
		"--departure", window(dep, 2), "--arrival", window(dep.Add(time.Hour), 4), "--vehicles", "6xtruck"); code == 0 || !strings.Contains(errs, "route: ") {
		t.Fatalf("a zero-length route: exit %d %s", code, errs)
	}
	out = run(tokens["sarc"], "movement", "add", "--agreement", agID, "--name", "Ramtha–Dar'a convoy", "--org", "SARC", "--waypoints", waypoints,
		"--corridor", "500", "--crossings", "Ramtha/Dar'a", "--departure", window(dep, 2), "--arrival", window(dep.Add(time.Hour), 4),
		"--vehicles", "6xtruck,1xambulance", "--personnel", "14", "--cargo", "food, medicines", "--notify")
	m := regexp.MustCompile(`Movement (\S+) "Ramtha–Dar'a convoy" version 1: notified \(LATE: less notice`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("movement add: %s", out)
	}
	mv := m[1]
	out = run(tokens["sarc"], "movement", "add", "--agreement", agID, "--name", "Evacuation", "--org", "SARC", "--waypoints", waypoints, "--kind", "medical_evacuation",
		"--departure", window(dep, 2), "--arrival", window(dep.Add(time.Hour), 4), "--vehicles", "1xambulance", "--notify")
	if !strings.Contains(out, "version 1: notified.") {
		t.Fatalf("a medical evacuation with 96 h of notice: %s", out)
	}
	if out := run(tokens["us"], "movement", "list", "--status", "notified"); !strings.Contains(out, mv) {
		t.Fatalf("movement list: %s", out)
	}

	inbox := func(token string) []string {
		t.Helper()
		return regexp.MustCompile(`(?m)^([0-9a-f-]{36})\s+movement`).FindAllStringSubmatch(run(token, "inbox"), -1)[0][1:]
	}
	run(tokens["us"], "ack", inbox(tokens["us"])[0])
	out, errs, code := cmd(tokens["ru"], "ack", inbox(tokens["ru"])[0], "--key", keyFile)
	if code != 0 || !strings.Contains(out, "acknowledged") {
		t.Fatalf("ack --key: exit %d %s %s", code, out, errs)
	}
	if !regexp.MustCompile(`Signing an acknowledgement \(receipt, not permission\) as party ru of transmission \S+:\n  movement `+mv+` "Ramtha–Dar'a convoy" \(SARC\) version 1`).MatchString(errs) ||
		!strings.Contains(errs, "36.0076") {
		t.Fatalf("ack --key did not show the movement it signs: %s", errs)
	}
	out = run(tokens["sarc"], "movement", "show", mv)
	if !regexp.MustCompile(`(?m)^us\s+acknowledged`).MatchString(out) || !regexp.MustCompile(`(?m)^ru\s+acknowledged`).MatchString(out) {
		t.Fatalf("movement show: %s", out)
	}
	// Its life goes on without superseding the notification; a step its
	// status does not allow is refused.
	if _, errs, code := cmd(tokens["sarc"], "movement", "status", mv, "arrived"); code == 0 || !strings.Contains(errs, "cannot become arrived") {
		t.Fatalf("notified → arrived: exit %d %s", code, errs)
	}
	if out := run(tokens["sarc"], "movement", "status", mv, "under_way"); !strings.Contains(out, "version 2: under_way") {
		t.Fatalf("under way: %s", out)
	}

	// The convoy reports its positions: on its route, then off it for
	// two minutes, which raises a deviation; convoy show and convoy
	// alerts find them; a position without a latitude is one line.
	ago := func(m int) string { return time.Now().UTC().Add(-time.Duration(m) * time.Minute).Format(time.RFC3339) }
	if out := run(tokens["sarc"], "convoy", "report", mv, "--lon", "36.05", "--lat", "32.59", "--time", ago(5)); !strings.Contains(out, "on its route, 0 m") {
		t.Fatalf("convoy report on the route: %s", out)
	}
	run(tokens["sarc"], "convoy", "report", mv, "--lon", "36.05", "--lat", "32.57", "--time", ago(4))
	out = run(tokens["sarc"], "convoy", "report", mv, "--lon", "36.05", "--lat", "32.57", "--time", ago(2), "--speed", "0")
	if !strings.Contains(out, "OFF its route") || !strings.Contains(out, "(convoy_deviation): Convoy") {
		t.Fatalf("convoy report off the route: %s", out)
	}
	if out := run(tokens["us"], "convoy", "show", mv); !strings.Contains(out, "under_way") || !strings.Contains(out, "Last position 36.05000,32.57000") {
		t.Fatalf("convoy show: %s", out)
	}
	if out := run(tokens["us"], "convoy", "alerts", "--movement", mv); strings.Count(out, "convoy_deviation") != 1 {
		t.Fatalf("convoy alerts: %s", out)
	}
	if _, errs, code := cmd(tokens["sarc"], "convoy", "report", mv, "--lon", "36.05"); code == 0 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "--lat") {
		t.Fatalf("no latitude: exit %d %q", code, errs)
	}

	// A phone's tracker: convoy tracker issues a device token and prints
	// the OsmAnd URL; that URL, filled in as OsmAnd fills it in, reports
	// a position with no other credential; once revoked, it is refused.
	out = run(tokens["sarc"], "convoy", "tracker", mv, "--name", "Lead truck phone")
	tm := regexp.MustCompile(`Tracker (\S+) for movement ` + mv + `[\s\S]*OsmAnd online tracking URL:\n(\S+)\n`).FindStringSubmatch(out)
	if tm == nil {
		t.Fatalf("convoy tracker: %s", out)
	}
	trackerURL := strings.NewReplacer("{0}", "32.5900", "{1}", "36.0500", "{2}", strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10), "{6}", "90").Replace(tm[2])
	resp, err := http.Get(trackerURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("OsmAnd's request: %d", resp.StatusCode)
	}
	if out := run(tokens["sarc"], "convoy", "trackers", mv); !strings.Contains(out, tm[1]) || !strings.Contains(out, "Lead truck phone") {
		t.Fatalf("convoy trackers: %s", out)
	}
	if out := run(tokens["sarc"], "convoy", "revoke-tracker", mv, tm[1]); !strings.Contains(out, "revoked") {
		t.Fatalf("convoy revoke-tracker: %s", out)
	}
	if resp, err := http.Get(trackerURL); err != nil || resp.StatusCode != 401 {
		t.Fatalf("a revoked tracker: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	file := filepath.Join(dir, "movement-proof.json")
	if out := run(tokens["us"], "humanitarian", "proof", mv, "-o", file); !strings.Contains(out, "proof of movement "+mv+" (3 records)") {
		t.Fatalf("humanitarian proof: %s", out)
	}
	logKey := strings.TrimSpace(mustRead(t, filepath.Join(dir, "log.key.pub")))
	out = run("", "log", "verify-proof", file, "--key", logKey)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Verified: the proof of movement ` + mv),
		regexp.MustCompile(`party \S+: version 1 notified at \S+ \(entry \d+\); acknowledged at \S+ with key us\+[0-9a-f]{8}`),
		regexp.MustCompile(`party \S+: version 1 notified at \S+ \(entry \d+\); acknowledged at \S+ with key ru\+[0-9a-f]{8}`),
	} {
		if !want.MatchString(out) {
			t.Errorf("verify-proof lacks %s:\n%s", want, out)
		}
	}
	// Relabelled as a site's proof, it does not verify.
	bad := filepath.Join(dir, "bad.json")
	orig := mustRead(t, file)
	os.WriteFile(bad, []byte(strings.Replace(strings.Replace(orig, `"movement": "`, `"site": "`, 1), "movement-proof@v1", "site-proof@v1", 1)), 0o644)
	if _, errs, code := cmd("", "log", "verify-proof", bad, "--key", logKey); code == 0 || !strings.Contains(errs, "NOT verify") {
		t.Errorf("relabelled proof: exit %d %s", code, errs)
	}

	// A route recorded by a GPS unit, as GPX: a track of two segments;
	// the same with a bad point is refused, the point named.
	gpx := func(pts ...string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>`)
		for i, p := range pts {
			if i == 2 {
				b.WriteString(`</trkseg><trkseg>`)
			}
			lon, lat, _ := strings.Cut(p, ",")
			fmt.Fprintf(&b, `<trkpt lat="%s" lon="%s"/>`, lat, lon)
		}
		b.WriteString(`</trkseg></trk></gpx>`)
		return b.String()
	}
	track := filepath.Join(dir, "track.gpx")
	os.WriteFile(track, []byte(gpx("36.0076,32.5560", "36.0500,32.5900", "36.1020,32.6189")), 0o644)
	out = run(tokens["sarc"], "movement", "add", "--agreement", agID, "--name", "Recorded convoy", "--org", "SARC", "--route", track,
		"--departure", window(dep, 2), "--arrival", window(dep.Add(time.Hour), 4), "--vehicles", "2xtruck", "--json")
	var rec struct {
		Route struct {
			Type        string       `json:"type"`
			Coordinates [][2]float64 `json:"coordinates"`
		} `json:"route"`
	}
	if json.Unmarshal([]byte(out), &rec) != nil || rec.Route.Type != "LineString" ||
		fmt.Sprint(rec.Route.Coordinates) != "[[36.0076 32.556] [36.05 32.59] [36.102 32.6189]]" {
		t.Fatalf("movement add --route track.gpx: %s", out)
	}
	os.WriteFile(track, []byte(gpx("36.0076,32.5560", "36.0500,132.5900", "36.1020,32.6189")), 0o644)
	if _, errs, code := cmd(tokens["sarc"], "movement", "add", "--agreement", agID, "--name", "Bad track", "--org", "SARC", "--route", track,
		"--departure", window(dep, 2), "--arrival", window(dep.Add(time.Hour), 4), "--vehicles", "2xtruck"); code == 0 || !strings.Contains(errs, "track segment 1 point 2") {
		t.Fatalf("a track with a bad point: exit %d %s", code, errs)
	}
}
