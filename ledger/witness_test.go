package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/note"
)

type testWitness struct {
	url   string
	vkey  string
	w     *ledger.Witness
	state string
}

// startWitness runs a witness for the log key logVkey on a real TCP socket.
func startWitness(t *testing.T, name, logVkey, state string) testWitness {
	t.Helper()
	skey, vkey, err := ledger.GenerateCosignerKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ledger.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	lv, err := note.NewVerifier(logVkey)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ledger.NewWitness(c, []ledger.WitnessedLog{{Origin: lv.Name(), Verifiers: []note.Verifier{lv}}}, state)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return testWitness{url: "http://" + ln.Addr().String(), vkey: vkey, w: w, state: state}
}

func TestWitness_GrowingLog(t *testing.T) {
	ctx := context.Background()
	skey, logVkey := newLogKey(t, "truce.example/log")
	dir := t.TempDir()
	var ws []testWitness
	var clients []*ledger.WitnessClient
	var wkeys []string
	for i := 0; i < 3; i++ {
		w := startWitness(t, fmt.Sprintf("witness%d.example", i), logVkey, filepath.Join(dir, fmt.Sprintf("w%d.json", i)))
		ws = append(ws, w)
		v, _ := ledger.NewCosignatureVerifier(w.vkey)
		clients = append(clients, &ledger.WitnessClient{URL: w.url, Verifier: v})
		wkeys = append(wkeys, w.vkey)
	}
	m := ledger.NewMemStorage()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	var witnessErrs []string
	l, err := ledger.NewLog(m, skey, ledger.LogOptions{Now: clk.now, Witnesses: clients,
		OnWitnessError: func(w string, err error) { witnessErrs = append(witnessErrs, w+": "+err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := ledger.NewPolicy(logVkey, wkeys, 3)
	for round, add := range []int{1, 0, 2, 254, 1, 300} {
		appendN(t, m, add)
		clk.advance(time.Second)
		signed, c, err := l.Sign(ctx)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, names, err := all.Verify(signed)
		if err != nil {
			t.Fatalf("round %d (size %d): %v; witness errors %v", round, c.Size, err, witnessErrs)
		}
		if got.Size != c.Size || len(names) != 3 {
			t.Fatalf("round %d: size %d, cosigners %v", round, got.Size, names)
		}
		// The served (stored) checkpoint carries the cosignatures.
		stored, _ := m.LatestCheckpoint(ctx)
		if !bytes.Equal(stored, signed) {
			t.Fatalf("round %d: stored note lacks the cosignatures", round)
		}
		for _, w := range ws {
			if size, h, ok := w.w.Latest("truce.example/log"); !ok || size != c.Size || h != c.Hash {
				t.Fatalf("round %d: witness state %d %v %v", round, size, h, ok)
			}
		}
	}
	if len(witnessErrs) > 0 {
		t.Fatalf("witness errors: %v", witnessErrs)
	}

	// A quorum of 2 survives one witness going silent; 3 does not.
	signed, _ := m.LatestCheckpoint(ctx)
	one, _ := ledger.NewPolicy(logVkey, wkeys, 2)
	lines := strings.Split(strings.TrimSuffix(string(signed), "\n"), "\n")
	dropped := []byte(strings.Join(lines[:len(lines)-1], "\n") + "\n")
	if _, _, err := one.Verify(dropped); err != nil {
		t.Errorf("2 of 3 with one cosignature dropped: %v", err)
	}
	if _, _, err := all.Verify(dropped); !errors.Is(err, ledger.ErrPolicy) {
		t.Errorf("3 of 3 with one cosignature dropped: err = %v, want ErrPolicy", err)
	}

	// A restarted witness keeps its state: a client that starts again from
	// old 0 learns the size from the 409 and catches up.
	restarted := startWitness(t, "witness0.example", logVkey, ws[0].state)
	if size, _, _ := restarted.w.Latest("truce.example/log"); size != 558 {
		t.Fatalf("restarted witness remembers size %d, want 558", size)
	}
}

func TestWitness_Answers(t *testing.T) {
	ctx := context.Background()
	skey, logVkey := newLogKey(t, "truce.example/log")
	otherSkey, _ := newLogKey(t, "truce.example/log")
	strangerSkey, _ := newLogKey(t, "stranger.example/log")
	w := startWitness(t, "witness.example", logVkey, filepath.Join(t.TempDir(), "state.json"))

	m := ledger.NewMemStorage()
	appendN(t, m, 10)
	sign := func(key string, size int64) []byte {
		signer, err := note.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		root, _ := ledger.TreeHash(ctx, m, size)
		c := ledger.Checkpoint{Origin: signer.Name(), Size: size, Hash: root}
		n, err := note.Sign(&note.Note{Text: string(c.Body())}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	proof := func(old, size int64) string {
		p, err := ledger.ProveConsistency(ctx, m, old, size)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, h := range p {
			b.WriteString(ledger.EncodeHash(h) + "\n")
		}
		return b.String()
	}
	good, _ := ledger.ProveConsistency(ctx, m, 4, 8)
	good[0][5] ^= 0x10
	badProof := ledger.EncodeHash(good[0]) + "\n"
	if badProof == proof(4, 8) {
		t.Fatal("tampered proof equals the real one")
	}
	post := func(body string) (int, string, string) {
		resp, err := http.Post(w.url+"/add-checkpoint", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
	}
	tests := []struct {
		name     string
		body     string
		want     int
		wantBody string
	}{
		{"FirstFromZero", "old 0\n\n" + string(sign(skey, 4)), 200, "— witness.example "},
		{"StaleOld", "old 0\n\n" + string(sign(skey, 8)), 409, "4\n"},
		{"WrongOld", "old 5\n" + proof(5, 8) + "\n" + string(sign(skey, 8)), 409, "4\n"},
		{"BadProof", "old 4\n" + badProof + "\n" + string(sign(skey, 8)), 422, ""},
		{"ShortProof", "old 4\n" + strings.SplitN(proof(4, 8), "\n", 2)[1] + "\n" + string(sign(skey, 8)), 422, ""},
		{"UnknownKey", "old 4\n" + proof(4, 8) + "\n" + string(sign(otherSkey, 8)), 403, ""},
		{"UnknownOrigin", "old 0\n\n" + string(sign(strangerSkey, 8)), 404, ""},
		{"OldBeyondSize", "old 9\n" + "\n" + string(sign(skey, 8)), 400, ""},
		{"Garbage", "hello\n\n" + string(sign(skey, 8)), 400, ""},
		{"NoBlankLine", "old 4\n" + string(sign(skey, 8)), 400, ""},
		{"LeadingZero", "old 04\n" + proof(4, 8) + "\n" + string(sign(skey, 8)), 400, ""},
		{"Good", "old 4\n" + proof(4, 8) + "\n" + string(sign(skey, 8)), 200, "— witness.example "},
		{"SameAgain", "old 8\n\n" + string(sign(skey, 8)), 200, "— witness.example "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, ctype := post(tt.body)
			if code != tt.want {
				t.Fatalf("status %d (%q), want %d", code, body, tt.want)
			}
			if !strings.HasPrefix(body, tt.wantBody) {
				t.Fatalf("body %q, want prefix %q", body, tt.wantBody)
			}
			if code == 409 && ctype != "text/x.tlog.size" {
				t.Fatalf("409 Content-Type %q", ctype)
			}
		})
	}
	if size, _, _ := w.w.Latest("truce.example/log"); size != 8 {
		t.Fatalf("witness at size %d after the table, want 8", size)
	}

	// A forked checkpoint at the witness's size (same size, other root) is 409.
	m2 := ledger.NewMemStorage()
	for i := 0; i < 8; i++ {
		m2.Append([]byte(fmt.Sprintf("fork %d", i)))
	}
	forkRoot, _ := ledger.TreeHash(ctx, m2, 8)
	signer, _ := note.NewSigner(skey)
	fork, _ := note.Sign(&note.Note{Text: string(ledger.Checkpoint{Origin: "truce.example/log", Size: 8, Hash: forkRoot}.Body())}, signer)
	if code, body, _ := post("old 8\n\n" + string(fork)); code != 409 || body != "8\n" {
		t.Fatalf("fork at equal size: %d %q, want 409 \"8\\n\"", code, body)
	}
}
