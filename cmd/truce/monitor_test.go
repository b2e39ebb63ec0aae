package main_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
	"golang.org/x/mod/sumdb/note"
)

// TestCLI_AirPicture replays a real recorded track relocated over Syria
// through `truce replay`, adds a real SBS-1 TCP feed with `truce feed add`,
// and reads the alerts and tracks back with the CLI.
func TestCLI_AirPicture(t *testing.T) {
	dir := t.TempDir()
	tok := initData(t, dir)
	srv := startServer(t, dir, freeAddr(t))
	env := func(token string) []string { return []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + token} }
	run := func(token string, args ...string) string {
		t.Helper()
		out, errs, code := truceCmd(t, env(token), args...)
		if code != 0 {
			t.Fatalf("truce %v: exit %d: %s", args, code, errs)
		}
		return out + errs
	}
	run(tok, "party", "add", "--slug", "us", "--name", "United States", "--kind", "guarantor")
	run(tok, "user", "add", "--party", "us", "--username", "us-op", "--roles", "operator")
	us := tokenRE.FindString(run(tok, "token", "create", "--user", "us-op", "--name", "cli"))
	agID := regexp.MustCompile(`id:\s+(\S+)`).FindStringSubmatch(run(us, "agreement", "create", "--title", "Memo", "--signatories", "us"))[1]
	run(us, "agreement", "propose", agID, "bring_into_force")
	run(us, "agreement", "approve", agID)
	box := dir + "/box.geojson"
	os.WriteFile(box, []byte(`{"type":"Polygon","coordinates":[[[35.7,32.8],[36.7,32.8],[36.7,33.8],[35.7,33.8],[35.7,32.8]]]}`), 0o644)
	zoneID := regexp.MustCompile(`zone (\S+) "`).FindStringSubmatch(run(us, "zone", "propose", "--agreement", agID, "--file", box, "--kind", "no_fly", "--name", "Box"))[1]
	run(us, "zone", "approve", zoneID)
	run(us, "aircraft", "add", "--icao", "ac671b", "--note", "the recorded trace")

	// Follow alerts live while the track is replayed.
	follow := exec.Command(binary, "alerts", "--follow")
	follow.Env = append(os.Environ(), env(us)...)
	followed := &syncWriter{w: &bytes.Buffer{}}
	follow.Stdout = followed
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { follow.Process.Kill(); follow.Wait() })

	// The real readsb trace, relocated to start inside the box.
	out := run(us, "replay", "../../feed/testdata/trace_full_ac671b.json.gz", "--speed", "40000", "--relocate", "36.2,33.3", "--batch", "100ms")
	if !strings.Contains(out, "(relocated)") || !regexp.MustCompile(`Sent [1-9]\d* positions`).MatchString(out) {
		t.Fatalf("replay: %s", out)
	}
	var alerts string
	if !testwait.Until(10*time.Second, func() bool {
		alerts = run(us, "alerts", "--kind", "zone_entry")
		return strings.Contains(alerts, "entered no-fly zone Box")
	}) {
		t.Fatalf("no entry alert: %s", alerts)
	}
	if !testwait.Until(10*time.Second, func() bool { return strings.Contains(followed.String(), "zone_entry") }) {
		t.Fatalf("alerts --follow printed: %q", followed.String())
	}
	if tracks := run(us, "tracks", "--json"); !strings.Contains(tracks, `"AC671B"`) || !strings.Contains(tracks, `"relocated": true`) {
		t.Fatalf("tracks: %s", tracks)
	}

	// Acknowledgement per party, signed. The monitoring mission holds its
	// own key: the server cannot sign for it, the CLI signs with its file.
	entryID := regexp.MustCompile(`zone_entry\s+\S+\s+(\S+)`).FindStringSubmatch(alerts)[1]
	skey, vkey, err := note.GenerateKey(rand.Reader, "mon")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := dir + "/mon.key"
	os.WriteFile(keyFile, []byte(skey+"\n"), 0o600)
	run(tok, "party", "add", "--slug", "mon", "--name", "Monitoring mission", "--kind", "monitor", "--public-key", vkey)
	run(tok, "user", "add", "--party", "mon", "--username", "mon-obs", "--roles", "observer")
	mon := tokenRE.FindString(run(tok, "token", "create", "--user", "mon-obs", "--name", "cli"))
	if _, errs, code := truceCmd(t, env(mon), "alert", "ack", entryID); code == 0 || !strings.Contains(errs, "holds its own key") {
		t.Fatalf("ack without the key of a party holding its own: %d %s", code, errs)
	}
	if out := run(mon, "alert", "ack", entryID, "--key", keyFile, "--note", "seen on radar"); !strings.Contains(out, "is open") || !strings.Contains(out, "Not yet acknowledged by 1 party") {
		t.Fatalf("the mission's acknowledgement: %s", out)
	}
	if out := run(us, "alert", "ack", entryID, "--note", "our aircraft, contacted"); !strings.Contains(out, "is acknowledged") {
		t.Fatalf("the party concerned's acknowledgement (not 'already acknowledged'): %s", out)
	}
	if _, errs, code := truceCmd(t, env(us), "alert", "close", entryID); code == 0 || !strings.Contains(errs, "own aircraft") {
		t.Fatalf("the party whose aircraft caused it closes it: %d %s", code, errs)
	}
	run(mon, "alert", "close", entryID, "--note", "crew contacted")
	if out := run(us, "alerts", "--ongoing"); strings.Contains(out, entryID) {
		t.Fatalf("a closed alert among the open episodes: %s", out)
	}

	// A real SBS-1 source on a socket: the server connects to it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w := bufio.NewWriter(c)
			for i := 0; i < 50; i++ {
				w.WriteString("MSG,3,1,1,4CA2D1,1,,,,,,37000,,,33.51,36.30,,,0,0,0,0\r\n")
				w.WriteString("garbage line\r\n")
				w.Flush()
				time.Sleep(20 * time.Millisecond) // a receiver's pace, not a wait
			}
			c.Close()
		}
	}()
	run(tok, "feed", "add", "sbs", ln.Addr().String(), "--name", "test receiver")
	if out := run(tok, "feed", "list"); !strings.Contains(out, ln.Addr().String()) {
		t.Fatalf("feed list: %s", out)
	}
	if !testwait.Until(10*time.Second, func() bool { return strings.Contains(run(us, "tracks"), "4CA2D1") }) {
		t.Fatal("the SBS feed's aircraft never appeared")
	}
	if _, errs, code := truceCmd(t, env(tok), "feed", "add", "sbs", "nocolon"); code == 0 || !strings.Contains(errs, "HOST:PORT") {
		t.Fatalf("bad feed address: %s", errs)
	}
	if _, errs, code := truceCmd(t, env(us), "replay", box, "--speed", "10"); code == 0 || !strings.Contains(errs, "no position") {
		t.Fatalf("replay of a non-track file: %d %s", code, errs)
	}
}
