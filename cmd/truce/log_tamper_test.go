package main_test

// Tamper and fork tests of the verifiable journal, against the built binary:
// the database of a stopped server is edited directly, as an insider with
// access to the disk would, and both `truce log audit` and the server's own
// start-up self-check must name the entry that was changed.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/sqlite"
	"golang.org/x/mod/sumdb/tlog"
)

// truceServer is a `truce serve` process whose logs the test reads while it
// runs.
type truceServer struct {
	server
	sw *syncWriter
}

// startTruce runs `truce serve` on dir with extra flags and waits until it
// answers /healthz.
func startTruce(t *testing.T, dir string, extra ...string) *truceServer {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve", "--data", dir, "--addr", addr}, extra...)...)
	logs := &bytes.Buffer{}
	sw := &syncWriter{w: logs}
	cmd.Stderr = sw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &truceServer{server{cmd: cmd, url: "http://" + addr, logs: logs}, sw}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(t, "the server to start", func() bool {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return s
}

// stop shuts the server down gracefully, so its database is quiet.
func (s *truceServer) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("server exit: %v", err)
	}
}

func (s *truceServer) logText() string {
	s.sw.mu.Lock()
	defer s.sw.mu.Unlock()
	return s.logs.String()
}

func trimFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, 20*time.Second, what, cond)
}

// readyz returns /readyz's status and body.
func readyz(t *testing.T, url string) (int, string) {
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// checkpointSize is the tree size of the server's checkpoint (not verified).
func checkpointSize(t *testing.T, url string) int64 {
	out, _, code := truceCmd(t, nil, "log", "checkpoint", "--url", url, "--json")
	if code != 0 {
		return -1
	}
	var info struct {
		TreeSize int64 `json:"tree_size"`
	}
	json.Unmarshal([]byte(out), &info)
	return info.TreeSize
}

// editDB changes the stopped server's SQLite database.
func editDB(t *testing.T, dir string, edit func(db *sql.DB) error) {
	t.Helper()
	db, err := sqlite.OpenDB(filepath.Join(dir, "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := edit(db); err != nil {
		t.Fatal(err)
	}
}

// editColumn rewrites one BLOB of the journal row idx with change.
func editColumn(db *sql.DB, table, col, key string, id int64, change func([]byte) []byte) error {
	var b []byte
	if err := db.QueryRow(`SELECT `+col+` FROM `+table+` WHERE `+key+` = ?`, id).Scan(&b); err != nil {
		return err
	}
	nb := change(append([]byte{}, b...))
	if bytes.Equal(nb, b) {
		return fmt.Errorf("%s.%s %d: the change changed nothing", table, col, id)
	}
	_, err := db.Exec(`UPDATE `+table+` SET `+col+` = ? WHERE `+key+` = ?`, nb, id)
	return err
}

func TestLog_TamperedDatabase(t *testing.T) {
	ctx := context.Background()
	pristine := filepath.Join(t.TempDir(), "data")
	tok := initData(t, pristine)
	keyFile := filepath.Join(pristine, "log.key.pub")
	srv := startTruce(t, pristine)
	c := api.NewClient(srv.url, tok)
	var target *truce.Party
	for _, slug := range []string{"ngo", "monitors", "observers"} {
		p, err := c.CreateParty(ctx, truce.PartyCreate{Slug: slug, Name: "Party " + slug, Kind: truce.PartyHumanitarian})
		if err != nil {
			t.Fatal(err)
		}
		if slug == "monitors" {
			target = p
		}
	}
	n := target.JournalIndex
	waitUntil(t, "a checkpoint of every entry and a passed self-check", func() bool {
		code, _ := readyz(t, srv.url)
		return checkpointSize(t, srv.url) >= n+2 && code == http.StatusOK
	})
	if !strings.Contains(srv.logText(), "log self-check passed") {
		t.Errorf("no self-check in the logs:\n%s", srv.logText())
	}

	t.Run("Checkpoint", func(t *testing.T) {
		out, errs, code := truceCmd(t, nil, "log", "checkpoint", "--url", srv.url, "--key", keyFile)
		if code != 0 || !strings.HasPrefix(out, "truce.log/truce\n") || !strings.Contains(errs, "Verified: log truce.log/truce, tree size") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
		}
		// The note is printed verbatim: it verifies as it is.
		p, _ := ledger.NewPolicy(trimFile(t, keyFile), nil, 0)
		if _, _, err := p.Verify([]byte(out)); err != nil {
			t.Fatalf("printed note: %v", err)
		}
	})

	t.Run("Entry", func(t *testing.T) {
		out, errs, code := truceCmd(t, nil, "log", "entry", fmt.Sprint(n), "--url", srv.url, "--token", tok, "--key", keyFile)
		for _, w := range []string{fmt.Sprintf("Entry %d\n", n), "record:    party " + target.ID, "Inclusion proof in the tree of size",
			"Verified: the entry is in the checkpoint", "Body (verified against body_hash", `"Party monitors"`} {
			if code != 0 || !strings.Contains(out, w) {
				t.Errorf("exit %d, output lacks %q\nstdout: %s\nstderr: %s", code, w, out, errs)
			}
		}
		// The server's proof, as JSON, verifies with transparency-dev/merkle.
		out, errs, code = truceCmd(t, nil, "log", "entry", fmt.Sprint(n), "--url", srv.url, "--token", tok, "--json")
		var info struct {
			Record struct {
				Leaf []byte `json:"leaf"`
			} `json:"record"`
			Proof struct {
				Checkpoint string   `json:"checkpoint"`
				TreeSize   uint64   `json:"tree_size"`
				Hashes     []string `json:"hashes"`
			} `json:"proof"`
		}
		if err := json.Unmarshal([]byte(out), &info); err != nil || code != 0 {
			t.Fatalf("exit %d: %v\n%s%s", code, err, out, errs)
		}
		text := info.Proof.Checkpoint[:strings.Index(info.Proof.Checkpoint, "\n\n")+1]
		cp, err := ledger.ParseCheckpoint([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		var hs [][]byte
		for _, s := range info.Proof.Hashes {
			h, _ := ledger.DecodeHash(s)
			hs = append(hs, h[:])
		}
		h := rfc6962.DefaultHasher
		if err := proof.VerifyInclusion(h, uint64(n), info.Proof.TreeSize, h.HashLeaf(info.Record.Leaf), hs, cp.Hash[:]); err != nil {
			t.Fatalf("transparency-dev/merkle rejects the server's proof: %v", err)
		}
		// An entry beyond the log is a clear error.
		if _, errs, code := truceCmd(t, nil, "log", "entry", "999999", "--url", srv.url, "--token", tok); code != 1 || errs == "" {
			t.Errorf("entry beyond the log: exit %d %s", code, errs)
		}
	})
	srv.stop(t)

	flip := func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }
	tests := []struct {
		name string
		edit func(db *sql.DB) error
		// wantAudit is in the audit's error with the token; the audit
		// without a token passes when it cannot see the change.
		wantAudit, wantSelfCheck string
		passesWithoutToken       bool
	}{
		{name: "EntryChanged",
			edit: func(db *sql.DB) error {
				return editColumn(db, "journal", "leaf", "idx", n, func(b []byte) []byte {
					return bytes.Replace(b, []byte(`"kind":"party"`), []byte(`"kind":"parti"`), 1)
				})
			},
			wantAudit:     fmt.Sprintf("entry hash mismatch at index %d:", n),
			wantSelfCheck: fmt.Sprintf("entry hash mismatch at index %d:", n)},
		{name: "BodyChanged",
			edit: func(db *sql.DB) error {
				return editColumn(db, "journal", "body", "idx", n, func(b []byte) []byte {
					return bytes.Replace(b, []byte("Party monitors"), []byte("Party monitorz"), 1)
				})
			},
			wantAudit:          fmt.Sprintf("body mismatch at index %d:", n),
			wantSelfCheck:      fmt.Sprintf("body mismatch at index %d:", n),
			passesWithoutToken: true},
		{name: "LeafHashChanged",
			edit: func(db *sql.DB) error {
				return editColumn(db, "log_hashes", "hash", "id", tlog.StoredHashIndex(0, n), flip)
			},
			wantAudit:     fmt.Sprintf("entry hash mismatch at index %d:", n),
			wantSelfCheck: fmt.Sprintf("entry hash mismatch at index %d:", n)},
		{name: "InnerHashChanged",
			edit: func(db *sql.DB) error {
				return editColumn(db, "log_hashes", "hash", "id", tlog.StoredHashIndex(1, n/2), flip)
			},
			// Tiles carry levels 0, 8, 16...: a level-1 hash is not served,
			// only used in proofs, so only the self-check can see it.
			passesWithoutToken: true,
			wantSelfCheck:      fmt.Sprintf("stored hash mismatch over entries [%d, %d)", n/2*2, n/2*2+2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			editDB(t, dir, tc.edit)
			s := startTruce(t, dir)
			var body string
			waitUntil(t, "the self-check to fail", func() bool {
				var code int
				code, body = readyz(t, s.url)
				return code == http.StatusServiceUnavailable && strings.Contains(body, "self-check failed")
			})
			if !strings.Contains(body, tc.wantSelfCheck) {
				t.Errorf("readyz lacks %q: %s", tc.wantSelfCheck, body)
			}
			logs := s.logText()
			if !strings.Contains(logs, "the stored log is corrupt") || !strings.Contains(logs, tc.wantSelfCheck) {
				t.Errorf("server logs lack the problem %q:\n%s", tc.wantSelfCheck, logs)
			}

			out, errs, code := truceCmd(t, nil, "log", "audit", s.url, "--key", keyFile)
			if tc.passesWithoutToken != (code == 0) {
				t.Errorf("audit without token: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if !tc.passesWithoutToken && !strings.Contains(errs, tc.wantAudit) {
				t.Errorf("audit without token: stderr lacks %q: %s", tc.wantAudit, errs)
			}
			out, errs, code = truceCmd(t, nil, "log", "audit", s.url, "--key", keyFile, "--token", tok)
			if tc.wantAudit == "" {
				if code != 0 {
					t.Errorf("audit with token: exit %d: %s %s", code, out, errs)
				}
				return
			}
			// The server itself refuses to serve an entry that does not
			// match its leaf or the tree (code integrity), which the audit
			// reports; or the audit finds the mismatch.
			refused := fmt.Sprintf("truce: Journal entry %d", n)
			if code != 1 || !(strings.Contains(errs, tc.wantAudit) || strings.Contains(errs, refused)) {
				t.Errorf("audit with token: exit %d, want 1 and %q or %q\nstdout: %s\nstderr: %s", code, tc.wantAudit, refused, out, errs)
			}
		})
	}

	t.Run("SelfCheckOff", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
			t.Fatal(err)
		}
		editDB(t, dir, tests[0].edit)
		s := startTruce(t, dir, "--self-check", "off")
		waitUntil(t, "readiness", func() bool { code, _ := readyz(t, s.url); return code == http.StatusOK })
		if strings.Contains(s.logText(), "self-check") {
			t.Errorf("self-check ran while off:\n%s", s.logText())
		}
		if _, errs, code := truceCmd(t, nil, "serve", "--data", dir, "--self-check", "sometimes"); code != 1 || !strings.Contains(errs, "want full or off") {
			t.Errorf("bad --self-check: exit %d: %s", code, errs)
		}
	})
}

func TestLog_Fork(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	tok := initData(t, dir)
	keyFile := filepath.Join(dir, "log.key.pub")
	wdir := t.TempDir()
	wkey := filepath.Join(wdir, "witness.key")
	if _, errs, code := truceCmd(t, nil, "witness", "--init-key", "--key", wkey, "--name", "witness.test/party-a"); code != 0 {
		t.Fatal(errs)
	}
	wvkey := trimFile(t, wkey+".pub")
	waddr := freeAddr(t)
	wstate := filepath.Join(wdir, "state.json")
	witness := exec.Command(binary, "witness", "--addr", waddr, "--key", wkey, "--state", wstate, "--log", "truce.log/truce="+trimFile(t, keyFile))
	wlogs := &syncWriter{w: &bytes.Buffer{}}
	witness.Stderr = wlogs
	if err := witness.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { witness.Process.Kill(); witness.Wait() })
	waitUntil(t, "the witness to listen", func() bool {
		c, err := net.Dial("tcp", waddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	serveArgs := []string{"--witness", "http://" + waddr + "=" + wvkey, "--witness-quorum", "1"}
	srv := startTruce(t, dir, serveArgs...)
	c := api.NewClient(srv.url, tok)
	p, err := c.CreateParty(ctx, truce.PartyCreate{Slug: "ngo", Name: "An NGO", Kind: truce.PartyHumanitarian})
	if err != nil {
		t.Fatal(err)
	}
	size := p.JournalIndex + 1
	cosigned := []string{"log", "checkpoint", "--key", keyFile, "--witness", wvkey, "--json"}
	waitUntil(t, "a cosigned checkpoint of every entry", func() bool {
		out, _, code := truceCmd(t, nil, append(cosigned, "--url", srv.url)...)
		return code == 0 && strings.Contains(out, fmt.Sprintf(`"tree_size": %d,`, size))
	})
	state := filepath.Join(t.TempDir(), "audit.json")
	audit := []string{"log", "audit", "--key", keyFile, "--state", state}
	if out, errs, code := truceCmd(t, nil, append(audit, srv.url, "--witness", wvkey)...); code != 0 || !strings.Contains(out, "First audit") {
		t.Fatalf("first audit: exit %d: %s %s", code, out, errs)
	}
	witnessSaw, err := os.ReadFile(wstate)
	if err != nil {
		t.Fatal(err)
	}
	srv.stop(t)

	// The insider rewrites entry p.JournalIndex, recomputes every stored
	// hash so that the log is self-consistent again, and deletes the
	// checkpoints so that the server does not know what it signed.
	editDB(t, dir, func(db *sql.DB) error {
		if err := editColumn(db, "journal", "leaf", "idx", p.JournalIndex, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"kind":"party"`), []byte(`"kind":"parti"`), 1)
		}); err != nil {
			return err
		}
		rows, err := db.Query(`SELECT leaf FROM journal ORDER BY idx`)
		if err != nil {
			return err
		}
		m := ledger.NewMemStorage()
		for rows.Next() {
			var leaf []byte
			if err := rows.Scan(&leaf); err != nil {
				return err
			}
			m.Append(leaf)
		}
		rows.Close()
		n, _ := m.TreeSize(ctx)
		ids := make([]int64, tlog.StoredHashIndex(0, n))
		for i := range ids {
			ids[i] = int64(i)
		}
		hs, err := m.ReadHashes(ctx, ids)
		if err != nil {
			return err
		}
		for i, h := range hs {
			if _, err := db.Exec(`UPDATE log_hashes SET hash = ? WHERE id = ?`, h[:], i); err != nil {
				return err
			}
		}
		_, err = db.Exec(`DELETE FROM log_checkpoints`)
		return err
	})

	// The server kept the latest checkpoint it signed in its data
	// directory: it refuses to start on the rewritten log with its
	// checkpoints deleted.
	if _, errs, code := truceCmd(t, nil, "serve", "--data", dir, "--addr", freeAddr(t)); code != 1 || !strings.Contains(errs, "checkpoint rows were deleted") {
		t.Fatalf("serve on the rewritten log: exit %d, want 1 naming the deleted checkpoints: %s", code, errs)
	}
	// An insider with the server's disk as well removes that file too;
	// the witness is what catches the fork then.
	if err := os.Remove(filepath.Join(dir, "log.checkpoint")); err != nil {
		t.Fatal(err)
	}
	srv = startTruce(t, dir, serveArgs...)
	c = api.NewClient(srv.url, tok)
	if _, err := c.CreateParty(ctx, truce.PartyCreate{Slug: "monitors", Name: "Monitors", Kind: truce.PartyMonitor}); err != nil {
		t.Fatal(err)
	}
	// The server signs a checkpoint of the rewritten log; the witness
	// refuses it: 409 for the same size with another root, 422 for a
	// larger one whose consistency proof does not hold.
	waitUntil(t, "the witness to refuse the rewritten log", func() bool {
		return checkpointSize(t, srv.url) > size && strings.Contains(srv.logText(), "witness answered 422")
	})
	if logs := srv.logText(); !strings.Contains(logs, "witness did not cosign") || !strings.Contains(logs, "consistency proof does not verify") {
		t.Errorf("server logs:\n%s", logs)
	}
	if now, _ := os.ReadFile(wstate); !bytes.Equal(now, witnessSaw) {
		t.Errorf("the witness moved on to the fork:\nbefore %s\nafter %s", witnessSaw, now)
	}
	if _, errs, code := truceCmd(t, nil, append(cosigned, "--url", srv.url)...); code != 1 || !strings.Contains(errs, "does NOT verify") {
		t.Errorf("the forked checkpoint passed the witness policy: exit %d %s", code, errs)
	}

	// The auditor who trusts the log key alone still sees the fork.
	out, errs, code := truceCmd(t, nil, append(audit, srv.url)...)
	if code != 1 || !strings.Contains(errs, "fork") || !strings.Contains(errs, fmt.Sprintf("inconsistent with the last checkpoint seen (size %d,", size)) {
		t.Errorf("audit of the fork: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	// With the witness in the policy the audit stops earlier: nobody
	// cosigned the fork.
	if out, errs, code := truceCmd(t, nil, append(audit, srv.url, "--witness", wvkey)...); code != 1 || !strings.Contains(errs, "audit failed") {
		t.Errorf("audit with the witness: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
