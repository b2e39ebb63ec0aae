package main

// End-to-end test of the verifiable journal: the real server on 127.0.0.1:0
// over SQLite, a real `truce witness` on its own socket, and the CLI verbs
// that a party would run against them. It is in package main because it
// drives the verbs exactly as the command line does (run with arguments).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/node"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// syncBuffer is an io.Writer that goroutines (a verb serving in the
// background) and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// cli runs truce with args and returns its exit code, stdout and stderr.
func cli(ctx context.Context, out, errs *syncBuffer, args ...string) (int, string, string) {
	out.take()
	errs.take()
	rc := run(ctx, args)
	return rc, out.take(), errs.take()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, 20*time.Second, what, cond)
}

func TestJournalEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errs := &syncBuffer{}, &syncBuffer{}
	oldOut, oldErr := stdout, stderr
	stdout, stderr = out, errs
	var bg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		bg.Wait()
		stdout, stderr = oldOut, oldErr
	})
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// The witness: a key made by the CLI, then the verb serving it.
	wkey := filepath.Join(dir, "witness.key")
	if rc, o, e := cli(ctx, out, errs, "witness", "--init-key", "--key", wkey, "--name", "witness.test/party-a"); rc != 0 {
		t.Fatalf("witness --init-key: %d %s %s", rc, o, e)
	}
	wvkey := readTrim(t, wkey+".pub")
	if !strings.HasPrefix(wvkey, "witness.test/party-a+") {
		t.Fatalf("witness verifier key %q", wvkey)
	}
	data := filepath.Join(dir, "data")
	init, err := node.Init(ctx, node.Config{DataDir: data, Name: "e2e", Logger: quiet},
		node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	logKey := init.LogVerifierKey
	logKeyFile := node.LogKeyPath(data) + ".pub"

	wctx, stopWitness := context.WithCancel(ctx)
	bg.Add(1)
	go func() {
		defer bg.Done()
		run(wctx, []string{"witness", "--addr", "127.0.0.1:0", "--key", wkey, "--state", filepath.Join(dir, "witness-state.json"),
			"--log", "truce.log/e2e=" + logKey})
	}()
	var witnessAddr string
	waitFor(t, "the witness to listen", func() bool {
		errs.mu.Lock()
		s := errs.b.String()
		errs.mu.Unlock()
		_, after, ok := strings.Cut(s, " listening on ")
		witnessAddr = strings.TrimSpace(after)
		return ok && strings.HasSuffix(s, "\n")
	})

	// The server, asking that witness to cosign, quorum 1.
	n, err := node.Open(ctx, node.Config{DataDir: data, Name: "e2e", Logger: quiet,
		Witnesses: []node.Witness{{URL: "http://" + witnessAddr, Key: wvkey}}, WitnessQuorum: 1, WitnessMaxAge: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		n.Serve(ctx, ln)
		n.Close()
	}()
	url := "http://" + ln.Addr().String()
	admin := api.NewClient(url, init.Token.Secret)

	// Records: a party (visible to all), a user of that party and its
	// token, so that the new user may not read the administrator's party's
	// user records.
	ngo, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "ngo", Name: "An NGO", Kind: truce.PartyHumanitarian})
	if err != nil {
		t.Fatal(err)
	}
	u, err := admin.CreateUser(ctx, truce.UserCreate{Party: ngo.ID, Username: "field", Name: "Field officer", Roles: []truce.Role{truce.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CreateToken(ctx, truce.TokenCreate{User: u.ID, Name: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	field := api.NewClient(url, tok.Secret)
	size := int64(tok.JournalIndex + 1)

	// Wait until a checkpoint cosigned by the witness covers every entry.
	policy, err := ledger.NewPolicy(logKey, []string{wvkey}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var cp ledger.Checkpoint
	var names []string
	waitFor(t, "a cosigned checkpoint of every entry", func() bool {
		resp, err := http.Get(url + "/log/checkpoint")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cp, names, err = policy.Verify(b)
		return err == nil && cp.Size >= size
	})
	if cp.Origin != "truce.log/e2e" || len(names) != 1 || names[0] != "witness.test/party-a" {
		t.Fatalf("checkpoint %+v cosigned by %v", cp, names)
	}
	if resp, err := http.Get(url + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz with a cosigning witness: %v %v", resp.StatusCode, err)
	}

	t.Run("JournalEntryProof", func(t *testing.T) {
		rec, proof, err := admin.JournalEntryProof(ctx, ngo.JournalIndex)
		if err != nil || proof == nil {
			t.Fatalf("%v %v", proof, err)
		}
		pc, _, err := policy.Verify([]byte(proof.Checkpoint))
		if err != nil || pc.Size != proof.TreeSize {
			t.Fatalf("proof checkpoint: %+v %v", pc, err)
		}
		hs := decodeHashes(t, proof.Hashes)
		if err := ledger.VerifyInclusion(rec.Index, pc.Size, tlog.RecordHash(rec.Leaf), hs, pc.Hash); err != nil {
			t.Fatalf("inclusion of entry %d: %v", rec.Index, err)
		}
		leaf := append([]byte{}, rec.Leaf...)
		leaf[len(leaf)/2] ^= 1
		if err := ledger.VerifyInclusion(rec.Index, pc.Size, tlog.RecordHash(leaf), hs, pc.Hash); err == nil {
			t.Fatal("a changed entry verified")
		}
	})

	t.Run("ConsistencyProof", func(t *testing.T) {
		// The checkpoint signed at start-up covered the three bootstrap
		// entries; the latest extends it.
		p, err := field.ConsistencyProof(ctx, 3, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		oc, _, err1 := policy.Verify([]byte(p.OldCheckpoint))
		nc, _, err2 := policy.Verify([]byte(p.NewCheckpoint))
		if err1 != nil || err2 != nil {
			t.Fatalf("checkpoints: %v %v", err1, err2)
		}
		if err := ledger.VerifyConsistency(3, cp.Size, decodeHashes(t, p.Hashes), oc.Hash, nc.Hash); err != nil {
			t.Fatal(err)
		}
		if _, err := field.ConsistencyProof(ctx, 3, cp.Size+100); truce.ErrorCode(err) != truce.ENOTFOUND {
			t.Fatalf("beyond the signed tree: %v", err)
		}
		if _, err := field.ConsistencyProof(ctx, 5, 4); truce.ErrorCode(err) != truce.EINVALID {
			t.Fatalf("old > new: %v", err)
		}
	})

	// Proof files as `truce log proof` writes them, for the offline checks.
	partyProof := filepath.Join(dir, "party-proof.json")
	if rc, o, e := cli(ctx, out, errs, "log", "proof", "party", ngo.ID, "-o", partyProof, "--url", url, "--token", init.Token.Secret); rc != 0 {
		t.Fatalf("log proof: %d %s %s", rc, o, e)
	}
	// The administrator's user record is visible to its own party only: the
	// field officer's proof carries no body.
	adminUserProof := filepath.Join(dir, "admin-user-proof.json")
	if rc, o, e := cli(ctx, out, errs, "log", "proof", "user", init.User.ID, "-o", adminUserProof, "--url", url, "--token", tok.Secret); rc != 0 {
		t.Fatalf("log proof: %d %s %s", rc, o, e)
	}
	otherW := filepath.Join(dir, "other.key")
	if rc, _, e := cli(ctx, out, errs, "witness", "--init-key", "--key", otherW, "--name", "witness.test/other"); rc != 0 {
		t.Fatal(e)
	}
	// A log key with the same origin that did not sign.
	_, otherLogKey, err := note.GenerateKey(rand.Reader, "truce.log/e2e")
	if err != nil {
		t.Fatal(err)
	}
	tampered := func(t *testing.T, src string, change func(rp map[string]any)) string {
		var bundle struct {
			Kind, Subject string
			Proofs        []map[string]any
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		change(bundle.Proofs[0])
		b, _ = json.Marshal(map[string]any{"kind": bundle.Kind, "subject": bundle.Subject, "proofs": bundle.Proofs})
		p := filepath.Join(t.TempDir(), "tampered.json")
		os.WriteFile(p, b, 0o644)
		return p
	}
	flipBody := func(rp map[string]any) {
		body, _ := base64.StdEncoding.DecodeString(rp["body"].(string))
		body[len(body)/2] ^= 0x01
		rp["body"] = base64.StdEncoding.EncodeToString(body)
	}
	tests := []struct {
		name    string
		file    func(t *testing.T) string
		args    []string
		wantRC  int
		want    []string
		wantErr string
	}{
		{name: "PartyWithBody", file: func(*testing.T) string { return partyProof },
			args:   []string{"--key", logKeyFile, "--witness", wvkey, "--quorum", "1"},
			wantRC: 0, want: []string{"Verified: entry " + itoa64(ngo.JournalIndex) + " is in log truce.log/e2e", "record:     party " + ngo.ID,
				"witnesses:  witness.test/party-a", "body verified: yes"}},
		{name: "NoBodyForANonReader", file: func(*testing.T) string { return adminUserProof },
			args:   []string{"--key", logKey, "--witness", wkey + ".pub"},
			wantRC: 0, want: []string{"record:     user " + init.User.ID, "body verified: no"}},
		{name: "ErrBodyByteChanged", file: func(t *testing.T) string { return tampered(t, partyProof, flipBody) },
			args: []string{"--key", logKey, "--witness", wvkey}, wantRC: 1, wantErr: "body does not match"},
		{name: "ErrEntryChanged", file: func(t *testing.T) string {
			return tampered(t, partyProof, func(rp map[string]any) {
				rp["entry"] = strings.Replace(rp["entry"].(string), `"kind":"party"`, `"kind":"parti"`, 1)
			})
		}, args: []string{"--key", logKey}, wantRC: 1, wantErr: "does not verify"},
		{name: "ErrWrongLogKey", file: func(*testing.T) string { return partyProof },
			args: []string{"--key", otherLogKey}, wantRC: 1, wantErr: "NOT verify"},
		{name: "ErrWitnessNotInQuorum", file: func(*testing.T) string { return partyProof },
			args: []string{"--key", logKey, "--witness", readTrim(t, otherW+".pub"), "--quorum", "1"}, wantRC: 1, wantErr: "witness cosignatures required"},
	}
	for _, tc := range tests {
		t.Run("VerifyProof/"+tc.name, func(t *testing.T) {
			args := append([]string{"log", "verify-proof", tc.file(t)}, tc.args...)
			rc, o, e := cli(ctx, out, errs, args...)
			if rc != tc.wantRC {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", rc, tc.wantRC, o, e)
			}
			for _, w := range tc.want {
				if !strings.Contains(o, w) {
					t.Errorf("output lacks %q:\n%s", w, o)
				}
			}
			if tc.wantErr != "" && !strings.Contains(e, tc.wantErr) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, e)
			}
		})
	}

	t.Run("Audit", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "audit.json")
		for i, want := range []string{"First audit", "Consistent with the previously audited tree"} {
			rc, o, e := cli(ctx, out, errs, "log", "audit", url, "--key", logKey, "--witness", wvkey, "--quorum", "1",
				"--state", state, "--token", tok.Secret)
			if rc != 0 {
				t.Fatalf("audit %d: exit %d: %s %s", i, rc, o, e)
			}
			for _, w := range []string{"Audited log truce.log/e2e", "Cosigned by: witness.test/party-a", want, "not readable with this token"} {
				if !strings.Contains(o, w) {
					t.Errorf("audit %d output lacks %q:\n%s", i, w, o)
				}
			}
			if !strings.Contains(e, "audited ") {
				t.Errorf("no progress on stderr: %q", e)
			}
		}
		// The library audit too, with the node's own policy.
		res, err := ledger.Audit(ctx, url, ledger.AuditOptions{Policy: n.Policy, Prefix: "/log"})
		if err != nil || res.Checkpoint.Size < size || len(res.Witnesses) != 1 {
			t.Fatalf("ledger.Audit: %+v %v", res, err)
		}
	})

	t.Run("ReadyzReportsASilentWitness", func(t *testing.T) {
		stopWitness()
		if _, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "monitors", Name: "Monitors", Kind: truce.PartyMonitor}); err != nil {
			t.Fatal(err)
		}
		var body string
		waitFor(t, "readyz to report the witness", func() bool {
			resp, err := http.Get(url + "/readyz")
			if err != nil {
				return false
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			return resp.StatusCode == http.StatusServiceUnavailable
		})
		for _, w := range []string{"witness witness.test/party-a", "has not cosigned", "1 witness cosignatures required"} {
			if !strings.Contains(body, w) {
				t.Errorf("readyz lacks %q: %s", w, body)
			}
		}
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func decodeHashes(t *testing.T, ss []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := ledger.DecodeHash(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}
