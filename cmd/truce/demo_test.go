package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/ledger"
)

// TestDemo runs `truce demo` as a new user would and uses the printed
// credentials with `truce party list` and `truce zone`.
func TestDemo(t *testing.T) {
	addr := freeAddr(t)
	// The live traffic runs six times faster than in a real demo, so the
	// scripted events of the first two minutes happen within 20 s.
	cmd := exec.Command(binary, "demo", "--addr", addr, "--data", t.TempDir(), "--traffic-speed", "6")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Stop with Ctrl-C") {
			break
		}
	}
	if !strings.Contains(out.String(), "Stop with Ctrl-C") {
		t.Fatalf("demo output: %s", out.String())
	}
	t.Logf("demo ready after %s", time.Since(start))
	go io.Copy(io.Discard, stdout)
	creds := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+)\s+(\S+)\s+(\S+)\s+(truce_\S+)$`).FindAllStringSubmatch(out.String(), -1) {
		creds[m[1]] = m[4]
	}
	for _, p := range []string{"un-coordination", "us", "ru", "jo", "amman-mc", "sarc", "icrc"} {
		if creds[p] == "" {
			t.Fatalf("no credentials printed for %s:\n%s", p, out.String())
		}
	}
	// The illustrative shelling near Dar'a: two teams' bearings, one
	// incident, verified, a violation of the de-escalation rule.
	if !regexp.MustCompile(`ILLUSTRATIVE DATA\): two teams .*\n.*verified by the centre; violation: shelling in deescalation zone \S+\.`).MatchString(out.String()) {
		t.Fatalf("no verified shelling incident with its violation:\n%s", out.String())
	}
	env := []string{"TRUCE_URL=http://" + addr, "TRUCE_TOKEN=" + creds["sarc"]}
	list, errs, code := truceCmd(t, env, "party", "list")
	if code != 0 || !strings.Contains(list, "Russian Federation") || !strings.Contains(list, "Amman Monitoring Centre") {
		t.Fatalf("party list: %d %s %s", code, list, errs)
	}
	// Dar'a city is in the de-escalation zone built from OCHA's repaired
	// Dar'a governorate; Khalkhalah air base is in As-Sweida's and in its
	// no-fly zone at 1,000 m, and out of the no-fly zone at 6,000 m (above
	// FL150).
	at, _, _ := truceCmd(t, env, "zone", "at", "36.106", "32.625", "--alt", "1000")
	if !strings.Contains(at, "De-escalation zone — Dar'a") || strings.Contains(at, "no_fly") {
		t.Fatalf("zone at Dar'a: %s", at)
	}
	at, _, _ = truceCmd(t, env, "zone", "at", "36.5582", "33.0773", "--alt", "1000")
	if !strings.Contains(at, "De-escalation zone — As-Sweida") || !strings.Contains(at, "No-fly zone — Khalkhalah Air Base") {
		t.Fatalf("zone at Khalkhalah: %s", at)
	}
	at, _, _ = truceCmd(t, env, "zone", "at", "36.5582", "33.0773", "--alt", "6000")
	if strings.Contains(at, "no_fly") || !strings.Contains(at, "deescalation") {
		t.Fatalf("no-fly above its ceiling: %s", at)
	}
	// The Dar'a version records its repair.
	list, _, _ = truceCmd(t, env, "zone", "list", "--json")
	m := regexp.MustCompile(`"id":\s*"([^"]+)",\s*"agreement_id":\s*"[^"]+",\s*"name":\s*"De-escalation zone — Dar'a"`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("zone list: %.2000s", list)
	}
	hist, _, _ := truceCmd(t, env, "zone", "history", m[1], "--json")
	if !regexp.MustCompile(`"repaired":\s*true,\s*"area_change_m2"`).MatchString(hist) {
		t.Fatalf("Dar'a history does not record the repair: %.3000s", hist)
	}
	if !strings.Contains(out.String(), "RELOCATED") {
		t.Fatalf("the demo does not say its traffic is relocated: %s", out.String())
	}
	// Within the first two minutes (at speed 6: 20 s) the replayed flights
	// raise a predicted entry, a no-fly-zone entry and a proximity alert
	// between the US and Russian aircraft.
	var alerts string
	if !testwait.Until(40*time.Second, func() bool {
		alerts, _, _ = truceCmd(t, env, "alerts")
		return strings.Contains(alerts, "predicted_entry") && strings.Contains(alerts, "zone_entry") && strings.Contains(alerts, "proximity")
	}) {
		t.Fatalf("after %s the demo's alerts are:\n%s", time.Since(start), alerts)
	}
	t.Logf("predicted entry, entry and proximity alerts after %s", time.Since(start))
	checkDemoExercise(t, addr, creds["sarc"])
	checkDemoWitnesses(t, addr, out.String(), env, m[1])
	// Russia holds its own key: its operator runs the command the demo
	// printed, which signs with the key file; without it the server has
	// no way to decide in Russia's name.
	m = regexp.MustCompile(`TRUCE_TOKEN=(\S+) go run ./cmd/truce zone approve (\S+) --key (\S+)`).FindStringSubmatch(out.String())
	if m == nil || m[1] != creds["ru"] {
		t.Fatalf("the demo prints no approval for Russia with its key: %s", out.String())
	}
	zoneID, keyFile := m[2], m[3]
	env[1] = "TRUCE_TOKEN=" + creds["ru"]
	if got, errs, code := truceCmd(t, env, "zone", "approve", zoneID); code == 0 || !strings.Contains(errs, "holds its own key") {
		t.Fatalf("Russia approves without its key: %d %s %s", code, got, errs)
	}
	if got, errs, code := truceCmd(t, env, "zone", "approve", zoneID, "--key", keyFile); code != 0 || !strings.Contains(got, "proposed (2 decision") {
		t.Fatalf("Russia approves the corridor with its key: %s %s", got, errs)
	}
	env[1] = "TRUCE_TOKEN=" + creds["jo"]
	if got, errs, code := truceCmd(t, env, "zone", "approve", zoneID); code != 0 || !strings.Contains(got, "In force") {
		t.Fatalf("Jordan approves the corridor: %s %s", got, errs)
	}
}

// checkDemoWitnesses checks that the demo runs a witness per guarantor,
// that its checkpoint carries each one's cosignature, and that the proof of
// a zone in force verifies with every cosignature required and every
// guarantor's signature checked.
func checkDemoWitnesses(t *testing.T, addr, out string, env []string, zoneID string) {
	t.Helper()
	logKey := regexp.MustCompile(`(?m)^Log verifier key: (\S+)$`).FindStringSubmatch(out)
	if logKey == nil {
		t.Fatalf("no log key printed:\n%s", out)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^  witness of (\S+): (\S+)$`).FindAllStringSubmatch(out, -1) {
		keys = append(keys, m[2])
		if !strings.HasPrefix(m[2], "witness.truce-demo/"+m[1]+"+") {
			t.Errorf("witness of %s has key %s", m[1], m[2])
		}
	}
	if len(keys) != 3 {
		t.Fatalf("want a witness per guarantor (us, ru, jo), the demo printed %d:\n%s", len(keys), out)
	}
	policy, err := ledger.NewPolicy(logKey[1], nil, 0)
	if err == nil {
		policy, err = policy.Require(keys...)
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var verr error
	if !testwait.Until(20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/log/checkpoint")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, names, verr = policy.Verify(b)
		return verr == nil
	}) {
		t.Fatalf("the demo's checkpoint lacks a guarantor witness's cosignature: %v (cosigned by %v)", verr, names)
	}
	if len(names) != 3 {
		t.Fatalf("cosigned by %v", names)
	}
	file := filepath.Join(t.TempDir(), "zone.json")
	if got, errs, code := truceCmd(t, env, "log", "proof", "zone", zoneID, "-o", file); code != 0 {
		t.Fatalf("log proof: %s %s", got, errs)
	}
	args := []string{"log", "verify-proof", file, "--key", logKey[1]}
	for _, k := range keys {
		args = append(args, "--require-witness", k)
	}
	got, errs, code := truceCmd(t, nil, args...)
	if code != 0 {
		t.Fatalf("verify-proof of the demo's zone: exit %d:\n%s %s", code, got, errs)
	}
	// The last entry, the zone as all approved it, carries each
	// guarantor's approval, and its checkpoint each one's cosignature.
	last := got[strings.LastIndex(got, "Verified: entry"):]
	for _, p := range []string{"us", "ru", "jo"} {
		if !strings.Contains(last, "signature verified: zone "+zoneID+" version 1 approval by party "+p+" (") ||
			!regexp.MustCompile(`witnesses: .*witness\.truce-demo/`+p+`\b`).MatchString(last) {
			t.Errorf("verify-proof of the demo's zone lacks %s's signature or cosignature:\n%s", p, last)
		}
	}
	// The audit the demo prints: every readable body names its record and
	// every approval of the demo's zones verifies.
	audit := regexp.MustCompile(`(?m)^    go run \./cmd/truce (log audit .*)$`).FindStringSubmatch(out)
	if audit == nil {
		t.Fatalf("the demo prints no audit command:\n%s", out)
	}
	args = []string{"log", "audit", "http://" + addr, "--key", logKey[1], "--bodies"}
	for _, k := range keys {
		args = append(args, "--require-witness", k)
	}
	for _, a := range args[2:] {
		if !strings.Contains(audit[1], strings.TrimPrefix(a, "http://")) {
			t.Errorf("the printed audit command %q lacks %q", audit[1], a)
		}
	}
	got, errs, code = truceCmd(t, env, args...)
	m := regexp.MustCompile(`Party signatures verified with the parties' journalled keys: (\d+)\.`).FindStringSubmatch(got)
	if code != 0 || m == nil || m[1] == "0" {
		t.Fatalf("audit of the demo: exit %d:\n%s %s", code, got, errs)
	}
	t.Logf("audit of the demo: %s", m[0])
}

// checkDemoExercise: every alert of the demo rests on illustrative or
// relocated data, the illustrative shelling's violation alert too: its
// CAP document says Exercise, never Actual (it said Actual before).
func checkDemoExercise(t *testing.T, addr, token string) {
	t.Helper()
	get := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(get("/api/v1/alerts?kind=violation")), &list); err != nil || len(list.Items) == 0 {
		t.Fatalf("the demo's violation alerts: %+v %v", list, err)
	}
	doc := get("/cap/alerts/" + list.Items[0].ID + ".xml")
	if !strings.Contains(doc, "<status>Exercise</status>") {
		t.Fatalf("the illustrative violation's CAP alert is not an exercise:\n%s", doc)
	}
	if feed := get("/cap/alerts.atom"); strings.Contains(feed, "<status>Actual</status>") {
		t.Fatalf("a demo alert in the CAP feed is Actual:\n%.3000s", feed)
	}
}
