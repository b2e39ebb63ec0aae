package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
)

// TestCLI_Observation runs issue #15's core through the binary against a
// real server: a de-escalation zone around Dar'a under an agreement that
// prohibits shelling there; two teams of the monitoring centre hear
// shelling from two positions and file bearings; both reports are one
// incident, corroborated and cross-fixed; the centre's operator verifies
// it and the violation is found by the live zone index.
func TestCLI_Observation(t *testing.T) {
	cs := newCLIServer(t)
	dir, tok, srv := cs.dir, cs.admin, cs.srv
	run := cs.run
	tokens := cs.guarantors("us", "ru")
	run(tok, "party", "add", "--slug", "amman-centre", "--name", "Amman monitoring centre", "--kind", "monitor")
	for _, u := range []struct{ name, role string }{{"team-a", "observer"}, {"team-b", "observer"}, {"centre-op", "operator"}} {
		run(tok, "user", "add", "--party", "amman-centre", "--username", u.name, "--roles", u.role)
		tokens[u.name] = tokenRE.FindString(run(tok, "token", "create", "--user", u.name, "--name", "cli"))
	}
	// The CLI has no flag for an agreement's rules: the API sets them.
	ag, err := api.NewClient(srv.url, tokens["us"]).CreateAgreement(context.Background(), truce.AgreementCreate{Title: "South-west Syria memorandum",
		Signatories: []string{"us", "ru"}, EffectiveFrom: time.Date(2017, 7, 9, 12, 0, 0, 0, time.UTC),
		Rules: truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}})
	if err != nil {
		t.Fatal(err)
	}
	run(tokens["ru"], "agreement", "propose", ag.ID, "bring_into_force")
	run(tokens["us"], "agreement", "approve", ag.ID)
	run(tokens["ru"], "agreement", "approve", ag.ID)
	file := filepath.Join(dir, "daraa.geojson")
	os.WriteFile(file, []byte(`{"type":"Feature","properties":{"name":"Dar'a de-escalation"},"geometry":{"type":"Polygon","coordinates":[[[35.9,32.5],[36.6,32.5],[36.6,33.0],[35.9,33.0],[35.9,32.5]]]}}`), 0o644)
	out := run(tokens["us"], "zone", "propose", "--agreement", ag.ID, "--file", file, "--kind", "deescalation")
	zoneID := regexp.MustCompile(`zone (\S+) "Dar'a de-escalation"`).FindStringSubmatch(out)[1]
	run(tokens["us"], "zone", "approve", zoneID)
	run(tokens["ru"], "zone", "approve", zoneID)

	incRE := regexp.MustCompile(`in incident (\S+)\.`)
	// Shelling at about 36.16,32.62, heard from 36.10,32.58 (bearing ≈ 50°)
	// and from 36.13,32.68 (bearing ≈ 157°).
	// Team A cites a photo; its camera wrote its GPS position in it.
	photo := filepath.Join("..", "..", "observation", "testdata", "nikon-d2h-gps.jpg")
	a := run(tokens["team-a"], "observation", "add", "--mode", "heard", "--from", "36.10,32.58", "--bearing", "50", "--bearing-error", "3", "--distance", "4000-10000",
		"--category", "explosion", "--sub", "artillery", "--events", "4,3,6", "--evidence", photo)
	b := run(tokens["team-b"], "observation", "add", "--mode", "heard", "--from", "36.13,32.68", "--bearing", "157", "--bearing-error", "3", "--distance", "4000-10000",
		"--category", "explosion", "--sub", "artillery", "--events", "3")
	incA, incB := incRE.FindStringSubmatch(a), incRE.FindStringSubmatch(b)
	if incA == nil || incB == nil || incA[1] != incB[1] {
		t.Fatalf("two reports, want one incident:\n%s%s", a, b)
	}
	inc := incA[1]
	photoBytes, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(photoBytes)
	if out := run(tokens["team-a"], "evidence", "upload", photo); !strings.HasPrefix(out, hex.EncodeToString(sum[:])) || !strings.Contains(out, "without APP1 Exif") {
		t.Fatalf("evidence upload: %s", out)
	}
	got := filepath.Join(dir, "got.jpg")
	run(tokens["ru"], "evidence", "get", hex.EncodeToString(sum[:]), "--out", got)
	if b, err := os.ReadFile(got); err != nil || bytes.Contains(b, []byte("Exif")) || len(b) >= len(photoBytes) {
		t.Fatalf("another party's download: %d bytes, %v; want the photo without its Exif", len(b), err)
	}
	if out := run(tokens["ru"], "incident", "list", "--status", "corroborated"); !strings.Contains(out, inc) || !strings.Contains(out, "explosion/artillery") {
		t.Fatalf("incident list: %s", out)
	}
	if out := run(tokens["ru"], "observation", "list", "--incident", inc); strings.Count(out, "observer of party amman-centre") != 2 {
		t.Fatalf("another party's list names the observers: %s", out)
	}
	if out := run(tokens["ru"], "incident", "show", inc); !strings.Contains(out, `"semi_major"`) {
		t.Fatalf("no cross-fix: %s", out)
	}
	// Bad input: one line, a non-zero exit, nothing filed.
	_, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["team-a"]}, "observation", "add", "--mode", "heard", "--from", "36.10,32.58",
		"--bearing", "400", "--distance", "4000-10000", "--category", "explosion")
	if code == 0 || !strings.Contains(errs, "bearing") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("a bearing of 400: exit %d, %q", code, errs)
	}
	// By hand: team B's report split out into its own incident, then
	// merged back.
	obsB := regexp.MustCompile(`Observation (\S+) filed`).FindStringSubmatch(b)[1]
	out = run(tokens["centre-op"], "incident", "split", inc, "--observations", obsB, "--reason", "Perhaps a second battery.")
	split := regexp.MustCompile(`^Incident (\S+) holds 1 observations`).FindStringSubmatch(out)
	if split == nil || split[1] == inc {
		t.Fatalf("split: %s", out)
	}
	if _, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["team-a"]}, "incident", "merge", inc, "--from", split[1], "--reason", "one"); code == 0 || !strings.Contains(errs, "operator") {
		t.Fatalf("an observer merges: exit %d, %q", code, errs)
	}
	if out := run(tokens["centre-op"], "incident", "merge", inc, "--from", split[1], "--reason", "One battery: the bearings cross."); !strings.Contains(out, "Incident "+inc+" holds 2 observations from 2 observers, corroborated") {
		t.Fatalf("merge: %s", out)
	}
	// And moved: split out again, then moved back into the incident; an
	// observation already there is refused in one line.
	out = run(tokens["centre-op"], "incident", "split", inc, "--observations", obsB, "--reason", "Perhaps a second battery.")
	if regexp.MustCompile(`^Incident (\S+) holds 1 observations`).FindStringSubmatch(out) == nil {
		t.Fatalf("split again: %s", out)
	}
	obsA := regexp.MustCompile(`Observation (\S+) filed`).FindStringSubmatch(a)[1]
	if _, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["centre-op"]}, "incident", "move", inc, "--observations", obsA, "--reason", "here"); code == 0 || !strings.Contains(errs, "already in") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("moving an observation where it is: exit %d, %q", code, errs)
	}
	if out := run(tokens["centre-op"], "incident", "move", inc, "--observations", obsB, "--reason", "One battery after all."); !strings.Contains(out, "Incident "+inc+" holds 2 observations from 2 observers, corroborated") {
		t.Fatalf("move: %s", out)
	}
	_, errs, code = truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "incident", "verify", inc, "--reason", "ours")
	if code == 0 || !strings.Contains(errs, "monitoring mission") {
		t.Fatalf("a guarantor verifies: exit %d, %q", code, errs)
	}
	out = run(tokens["centre-op"], "incident", "verify", inc, "--reason", "Two teams' bearings cross on the impact area.")
	if !strings.Contains(out, "is verified") || !strings.Contains(out, "Violation: shelling prohibited in deescalation zone "+zoneID) {
		t.Fatalf("verify: %s", out)
	}
	if out := run(tokens["us"], "incident", "report"); !strings.Contains(out, "1 incidents (+1 against the day before), 2 observations, 1 violations") ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(zoneID)+`\s+1\s+2\s+1\s+explosion 1/2/1\s+\S+ 1/1\s*$`).MatchString(out) {
		t.Fatalf("report: %s", out)
	}
	pub := run(tokens["centre-op"], "incident", "report", "--publish")
	if !regexp.MustCompile(`^Published report \S+, version 1, SHA-256 [0-9a-f]{64} \(journal \d+\)`).MatchString(pub) {
		t.Fatalf("publish: %s", pub)
	}
	if out := run(tokens["ru"], "incident", "report", "--published"); !strings.HasPrefix(out, strings.SplitN(pub, "\n", 2)[0]) || !strings.Contains(out, "1 violations") {
		t.Fatalf("the published report: %s", out)
	}
	if out := run(tokens["us"], "incident", "report", "--format", "acled"); !strings.Contains(out, "#event+code") || !strings.Contains(out, inc+",") {
		t.Fatalf("ACLED report: %s", out)
	}

	// Shelling attributed to party us, 40 km away: verified, a violation
	// that us, and only us, answers; incident show carries the response.
	out = run(tokens["team-a"], "observation", "add", "--mode", "saw", "--from", "36.43,32.9", "--at", "36.45,32.9", "--accuracy", "300",
		"--category", "explosion", "--sub", "artillery", "--events", "2", "--actor", "us", "--confidence", "0.9")
	inc2 := incRE.FindStringSubmatch(out)
	if inc2 == nil || inc2[1] == inc {
		t.Fatalf("the second shelling: %s", out)
	}
	if out := run(tokens["centre-op"], "incident", "verify", inc2[1], "--reason", "Seen from the post."); !strings.Contains(out, "Violation: shelling") {
		t.Fatalf("verify the second shelling: %s", out)
	}
	_, errs, code = truceCmd(t, []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tokens["ru"]}, "incident", "respond", inc2[1], "--stance", "dispute", "--text", "Not us.")
	if code == 0 || !strings.Contains(errs, "attributed to") {
		t.Fatalf("another party responds: exit %d, %q", code, errs)
	}
	if out := run(tokens["us"], "incident", "respond", inc2[1], "--stance", "dispute", "--text", "Our batteries were silent."); !strings.Contains(out, "disputes the violation") {
		t.Fatalf("respond: %s", out)
	}
	if out := run(tokens["ru"], "incident", "show", inc2[1]); !strings.Contains(out, `"responses"`) || !strings.Contains(out, "Our batteries were silent.") {
		t.Fatalf("incident show after the response: %s", out)
	}
}
