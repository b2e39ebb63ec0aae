package main_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/internal/testwait"
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

// TestKill9_Notifications kills the server with SIGKILL while sites are
// being notified, one by one and by bulk import, restarts it, and finds
// every acknowledged notification, and every site stored at all, with its
// transmission to each signatory: a transmission is written in the
// transaction that records the notification, so none is ever lost.
func TestKill9_Notifications(t *testing.T) {
	dir := t.TempDir()
	tok := initData(t, dir)
	addr := freeAddr(t)
	srv := startServer(t, dir, addr)
	ctx := context.Background()
	admin := api.NewClient(srv.url, tok)
	for _, p := range []truce.PartyCreate{{Slug: "us", Name: "us", Kind: truce.PartyGuarantor}, {Slug: "ru", Name: "ru", Kind: truce.PartyGuarantor},
		{Slug: "sarc", Name: "sarc", Kind: truce.PartyHumanitarian}} {
		if _, err := admin.CreateParty(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "sarc", Username: "sarc-user", Roles: []truce.Role{truce.RoleHumanitarian}}); err != nil {
		t.Fatal(err)
	}
	st, err := admin.CreateToken(ctx, truce.TokenCreate{User: "sarc-user", Name: "kill"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// The agreement comes into force when both signatories have signed.
	prop, err := admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"us", "ru"} {
		if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: p, Username: p + "-op", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
			t.Fatal(err)
		}
		tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: p + "-op", Name: "sign"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.NewClient(srv.url, tk.Secret).DecideAgreement(ctx, ag.ID, prop.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s signs: %v", p, err)
		}
	}
	sarc := api.NewClient(srv.url, st.Secret)
	var mu sync.Mutex
	var acked []string
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s, err := sarc.NotifySite(ctx, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: humanitarian.SiteFields{
					Name: fmt.Sprintf("Site %d-%d", w, i), Category: humanitarian.School, Organisation: "SARC",
					Geometry: []byte(fmt.Sprintf(`{"type":"Point","coordinates":[36.1,%.4f]}`, 32.6+float64(i)*0.001)), ValidFrom: time.Now()}})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, s.ID)
				mu.Unlock()
				n.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var csv strings.Builder
		csv.WriteString("name,category,organisation,lat,lon,valid_from\n")
		for i := range 300 {
			fmt.Fprintf(&csv, "Imported %d,warehouse,SARC,%.4f,36.2,2030-01-01\n", i, 32.6+float64(i)*0.001)
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			ss, err := sarc.ImportSites(ctx, api.SiteImport{AgreementID: ag.ID, Format: "csv", Data: csv.String()})
			if err != nil {
				return
			}
			mu.Lock()
			for _, s := range ss {
				acked = append(acked, s.ID)
			}
			mu.Unlock()
		}
	}()
	if !testwait.Until(30*time.Second, func() bool { return n.Load() >= 40 }) {
		t.Fatalf("only %d notifications in 30 s", n.Load())
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	close(stop)
	wg.Wait()

	srv2 := startServer(t, dir, addr)
	c := api.NewClient(srv2.url, st.Secret)
	stored := map[string]bool{}
	for cursor := ""; ; {
		ss, next, err := c.ListSites(ctx, humanitarian.SiteFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			stored[s.ID] = true
		}
		if cursor = next; next == "" {
			break
		}
	}
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged notification of site %s lost", id)
		}
	}
	for id := range stored {
		b, err := c.SiteBoard(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 2 {
			t.Fatalf("site %s was stored with %d transmissions, want 2", id, len(b.Rows))
		}
	}
	t.Logf("%d notifications acknowledged, %d sites stored, each with its 2 transmissions", len(acked), len(stored))
	gapFreeJournal(t, ctx, c)
}
