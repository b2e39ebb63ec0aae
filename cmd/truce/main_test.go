package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/internal/testwait"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "truce-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "truce")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// truceCmd runs the binary and returns stdout, stderr and the exit code.
func truceCmd(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

var tokenRE = regexp.MustCompile(`truce_[A-Za-z0-9_-]{43}`)

func initData(t *testing.T, dir string) string {
	t.Helper()
	out, errs, code := truceCmd(t, nil, "init", "--data", dir)
	if code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	tok := tokenRE.FindString(out)
	if tok == "" {
		t.Fatalf("init printed no token: %s", out)
	}
	return tok
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type server struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startServer(t *testing.T, dir, addr string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--data", dir, "--addr", addr)
	logs := &bytes.Buffer{}
	cmd.Stderr = &syncWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	started := testwait.Until(15*time.Second, func() bool {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	if !started {
		t.Fatalf("server did not start: %s", logs)
	}
	return s
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// String returns what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func TestInit_Twice(t *testing.T) {
	dir := t.TempDir()
	initData(t, dir)
	key1, _ := os.ReadFile(filepath.Join(dir, "log.key"))
	st, err := os.Stat(filepath.Join(dir, "log.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log key mode %v, %v", st.Mode(), err)
	}
	if !strings.HasPrefix(string(key1), "PRIVATE+KEY+truce.log/truce+") {
		t.Fatalf("log key is not a C2SP signed-note private key: %.30s", key1)
	}
	out, _, code := truceCmd(t, nil, "init", "--data", dir)
	if code != 0 || !strings.Contains(out, "Already initialised") || tokenRE.MatchString(out) {
		t.Fatalf("second init: %d %s", code, out)
	}
	key2, _ := os.ReadFile(filepath.Join(dir, "log.key"))
	if !bytes.Equal(key1, key2) {
		t.Fatal("second init replaced the log key")
	}
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	tok := initData(t, dir)
	srv := startServer(t, dir, freeAddr(t))
	env := []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + tok}
	ok := func(args ...string) string {
		t.Helper()
		out, errs, code := truceCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("truce %v: exit %d: %s", args, code, errs)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		out, errs, code := truceCmd(t, env, args...)
		if code == 0 {
			t.Fatalf("truce %v succeeded: %s", args, out)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.HasPrefix(errs, "truce: ") || !strings.Contains(errs, want) {
			t.Fatalf("truce %v: want one line containing %q, got %q", args, want, errs)
		}
	}
	out := ok("party", "add", "--slug", "us", "--name", "United States", "--kind", "guarantor")
	if !strings.Contains(out, "custodial:  true") {
		t.Fatalf("party add: %s", out)
	}
	ok("party", "add", "--slug", "ru", "--name", "Russian Federation", "--kind", "guarantor")
	out = ok("party", "list")
	if !strings.Contains(out, "us") || !strings.Contains(out, "Russian Federation") || !strings.Contains(out, "secretariat") {
		t.Fatalf("party list: %s", out)
	}
	out = ok("party", "show", "ru", "--json")
	if !strings.Contains(out, `"slug": "ru"`) {
		t.Fatalf("party show: %s", out)
	}
	fails("Invalid slug", "party", "add", "--slug", "Bad Slug", "--name", "x", "--kind", "guarantor")
	fails("Unknown party kind", "party", "add", "--slug", "xx", "--name", "x", "--kind", "empire")
	fails("already exists", "party", "add", "--slug", "us", "--name", "x", "--kind", "guarantor")
	fails("not found", "party", "show", "nowhere")
	fails("unknown verb", "frobnicate")

	ok("user", "add", "--party", "us", "--username", "us-op", "--roles", "operator,analyst")
	fails("Unknown role", "user", "add", "--party", "us", "--username", "us-x", "--roles", "general")
	out = ok("user", "list", "--party", "us")
	if !strings.Contains(out, "us-op") || !strings.Contains(out, "operator,analyst") {
		t.Fatalf("user list: %s", out)
	}
	out = ok("token", "create", "--user", "us-op", "--name", "laptop", "--expires", "720h")
	opTok := tokenRE.FindString(out)
	if opTok == "" {
		t.Fatalf("token create: %s", out)
	}
	opEnv := []string{"TRUCE_URL=" + srv.url, "TRUCE_TOKEN=" + opTok}
	if _, errs, code := truceCmd(t, opEnv, "party", "add", "--slug", "jo", "--name", "Jordan", "--kind", "guarantor"); code == 0 || !strings.Contains(errs, "administrator") {
		t.Fatalf("operator added a party: %s", errs)
	}
	out, _, _ = truceCmd(t, opEnv, "token", "list", "--json")
	var id string
	if m := regexp.MustCompile(`"id": "([0-9a-f-]{36})"`).FindStringSubmatch(out); m != nil {
		id = m[1]
	} else {
		t.Fatalf("token list: %s", out)
	}
	ok("token", "revoke", id)
	if _, errs, code := truceCmd(t, opEnv, "party", "list"); code == 0 || !strings.Contains(errs, "Invalid or expired") {
		t.Fatalf("revoked token still works: %s", errs)
	}
	out = ok("user", "disable", "us-op")
	if !strings.Contains(out, "disabled") {
		t.Fatalf("user disable: %s", out)
	}
	if _, errs, code := truceCmd(t, []string{"TRUCE_URL=" + srv.url}, "party", "list"); code == 0 || !strings.Contains(errs, "TRUCE_TOKEN") {
		t.Fatalf("no token: %s", errs)
	}
	if out, _, code := truceCmd(t, nil, "party", "add", "--help"); code != 0 {
		t.Fatalf("--help: %d %s", code, out)
	}
	if _, errs, _ := truceCmd(t, nil, "party", "add", "--help"); !strings.Contains(errs, "-slug") {
		t.Fatalf("--help lists no flags: %s", errs)
	}
}

// TestKill9 sends writes, kills the server with SIGKILL straight after the
// last acknowledgement, restarts it, and finds every acknowledged write and
// a gap-free journal.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	tok := initData(t, dir)
	addr := freeAddr(t)
	srv := startServer(t, dir, addr)
	c := api.NewClient(srv.url, tok)
	ctx := context.Background()
	var mu sync.Mutex
	var acked, aircraft []string
	var wg sync.WaitGroup
	// Aircraft registrations: each is a journalled change with an event,
	// logged in the same transaction.
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				if a, err := c.RegisterAircraft(ctx, truce.Aircraft{ICAO: fmt.Sprintf("7%02X%03X", w, i)}); err == nil {
					mu.Lock()
					aircraft = append(aircraft, a.ID)
					mu.Unlock()
				}
			}
		}(w)
	}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				slug := fmt.Sprintf("p-%d-%d", w, i)
				if _, err := c.CreateParty(ctx, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyMonitor, PublicKey: testVerifierKey}); err == nil {
					mu.Lock()
					acked = append(acked, slug)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	if len(acked) != 120 || len(aircraft) != 60 {
		t.Fatalf("only %d of 120 party and %d of 60 aircraft writes were acknowledged", len(acked), len(aircraft))
	}
	srv2 := startServer(t, dir, addr)
	c = api.NewClient(srv2.url, tok)
	for _, slug := range acked {
		if _, err := c.FindParty(ctx, slug); err != nil {
			t.Fatalf("acknowledged party %s lost: %v", slug, err)
		}
	}
	n := gapFreeJournal(t, ctx, c)
	// init wrote 3 entries (party, user, token); each acknowledged write one.
	if n < int64(3+len(acked)+len(aircraft)) {
		t.Fatalf("journal has %d entries, want at least %d", n, 3+len(acked)+len(aircraft))
	}
	// Every acknowledged registration's event survived with it.
	req, _ := http.NewRequest("GET", srv2.url+"/api/v1/events?follow=false&kind=aircraft", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("event log: %d %v", resp.StatusCode, err)
	}
	logged := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ev struct{ Subject string }
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			logged[ev.Subject] = true
		}
	}
	for _, id := range aircraft {
		if !logged[id] {
			t.Fatalf("the event of acknowledged registration %s was lost (%d events logged)", id, len(logged))
		}
	}
}

// A verifier key held by a party itself (not custodial): generated once
// with note.GenerateKey.
const testVerifierKey = "monitor+8dc1ef6b+AXy/FVk2LUAqe6vOiGhmVNyzXYKxKCLPftfrlESTCM5H"

func TestServe_GracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	initData(t, dir)
	srv := startServer(t, dir, freeAddr(t))
	srv.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
	if !strings.Contains(srv.logs.String(), "shutting down") {
		t.Fatalf("logs: %s", srv.logs)
	}
}

// TestServe_BadFlags: a bad value is refused in one line before anything
// starts.
func TestServe_BadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--stale-after", "soon"},
		{"--stale-after", "0s"},
		{"--look-ahead", "-5s"},
		{"--max-body", "1MB"},
		{"--witness-quorum", "most"},
		{"--max-tracks", "0"},
		{"--max-tracks", "many"},
		{"--max-delay", "2h"},
		{"--max-delay", "0s"},
	} {
		_, errOut, code := truceCmd(t, nil, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, args...)...)
		msg := strings.TrimSpace(errOut)
		if code == 0 || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, args[0]) {
			t.Errorf("serve %v: exit %d, %q; want a one-line error naming %s", args, code, msg, args[0])
		}
	}
}

// gapFreeJournal reads the whole journal through the API and fails the test
// at the first gap; it returns the number of entries.
func gapFreeJournal(t *testing.T, ctx context.Context, c *api.Client) int64 {
	t.Helper()
	var n int64
	for start := int64(0); start >= 0; {
		rs, next, err := c.ListJournal(ctx, start, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Index != n {
				t.Fatalf("journal gap: entry %d where %d was due", r.Index, n)
			}
			n++
		}
		start = next
	}
	return n
}

// TestServeHelp_HidesKeySecret: the key secret given in the environment is
// never printed by --help (it was shown as the flag's default).
func TestServeHelp_HidesKeySecret(t *testing.T) {
	const secret = "do-not-print-this-secret-0123456789"
	for _, verb := range [][]string{{"serve", "--help"}, {"migrate", "--help"}} {
		out, errs, code := truceCmd(t, []string{"TRUCE_KEY_SECRET=" + secret}, verb...)
		if code != 0 || strings.Contains(out+errs, secret) || !strings.Contains(errs, "key-secret") {
			t.Fatalf("%v: exit %d, help printed the secret or no key-secret flag:\n%s%s", verb, code, out, errs)
		}
	}
}
