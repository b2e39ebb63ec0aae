package ledger_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
)

func TestTilePath(t *testing.T) {
	tests := []struct {
		level int
		n     int64
		width int
		path  string
	}{
		{0, 0, 256, "tile/0/000"},
		{0, 1234067, 256, "tile/0/x001/x234/067"},
		{2, 1000, 17, "tile/2/x001/000.p/17"},
		{-1, 5, 3, "tile/entries/005.p/3"},
		{-1, 999, 256, "tile/entries/999"},
	}
	for _, tt := range tests {
		if got := ledger.TilePath(tt.level, tt.n, tt.width); got != tt.path {
			t.Errorf("TilePath(%d, %d, %d) = %q, want %q", tt.level, tt.n, tt.width, got, tt.path)
		}
		l, n, w, err := ledger.ParseTilePath(tt.path)
		if err != nil || l != tt.level || n != tt.n || w != tt.width {
			t.Errorf("ParseTilePath(%q) = %d, %d, %d, %v", tt.path, l, n, w, err)
		}
	}
	for _, bad := range []string{"tile/0/x000/001", "tile/0/1", "tile/0/0001", "tile/64/000", "tile/01/000",
		"tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/", "tile/0/001/002", "tile/x/000", "tile/0/x001", "tile/0/00a"} {
		if _, _, _, err := ledger.ParseTilePath(bad); err == nil {
			t.Errorf("ParseTilePath(%q) accepted", bad)
		}
	}
}

func TestTileServer(t *testing.T) {
	ctx := context.Background()
	skey, vkey := newLogKey(t, "truce.example/log")
	m := ledger.NewMemStorage()
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", ledger.NewTileServer(m)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (int, string, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Cache-Control"), b
	}
	if code, _, _ := get("/log/checkpoint"); code != 404 {
		t.Fatalf("checkpoint before any: %d", code)
	}
	appendN(t, m, 600)
	l, _ := ledger.NewLog(m, skey, ledger.LogOptions{})
	if _, _, err := l.Sign(ctx); err != nil {
		t.Fatal(err)
	}
	appendN(t, m, 100) // unsigned: must not be served

	tests := []struct {
		path      string
		wantCode  int
		wantCache string
		wantLen   int
	}{
		{"/log/checkpoint", 200, "public, max-age=2", -1},
		{"/log/tile/0/000", 200, "public, max-age=31536000, immutable", 8192},
		{"/log/tile/0/001", 200, "public, max-age=31536000, immutable", 8192},
		{"/log/tile/0/002.p/88", 200, "public, max-age=3600", 88 * 32},
		{"/log/tile/1/000.p/2", 200, "public, max-age=3600", 64},
		{"/log/tile/entries/001", 200, "public, max-age=31536000, immutable", -1},
		{"/log/tile/entries/002.p/88", 200, "public, max-age=3600", -1},
		{"/log/tile/0/002", 404, "", -1},           // full tile beyond the signed tree
		{"/log/tile/0/002.p/89", 404, "", -1},      // partial beyond the signed tree
		{"/log/tile/entries/003.p/1", 404, "", -1}, // beyond
		{"/log/tile/1/000", 404, "", -1},
		{"/log/tile/0/x000/002.p/88", 404, "", -1}, // non-canonical path
	}
	for _, tt := range tests {
		code, cache, body := get(tt.path)
		if code != tt.wantCode || (tt.wantCode == 200 && cache != tt.wantCache) || (tt.wantLen >= 0 && len(body) != tt.wantLen) {
			t.Errorf("GET %s = %d %q (%d bytes), want %d %q (%d)", tt.path, code, cache, len(body), tt.wantCode, tt.wantCache, tt.wantLen)
		}
	}
	_, _, b := get("/log/tile/entries/002.p/88")
	es, err := ledger.ParseBundle(b, 88)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.ReadEntries(ctx, 512, 600)
	for i := range es {
		if string(es[i]) != string(want[i]) {
			t.Fatalf("bundle entry %d = %q, want %q", i, es[i], want[i])
		}
	}

	// Our own log, served under /log, passes the same audit as Tessera's,
	// without witnesses (TestAudit_OwnLogWithWitnesses adds them).
	p, _ := ledger.NewPolicy(vkey, nil, 0)
	res, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: p, Prefix: "/log", StatePath: filepath.Join(t.TempDir(), "s.json")})
	if err != nil || res.Checkpoint.Size != 600 {
		t.Fatalf("audit of own log: %+v, %v", res.Checkpoint, err)
	}
	// Without the prefix the audit finds nothing.
	if _, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: p}); !errors.Is(err, ledger.ErrAudit) {
		t.Fatalf("audit without prefix: %v", err)
	}
}

func TestAudit_OwnLogWithWitnesses(t *testing.T) {
	ctx := context.Background()
	skey, vkey := newLogKey(t, "truce.example/log")
	w := startWitness(t, "w.example", vkey, filepath.Join(t.TempDir(), "w.json"))
	wv, _ := ledger.NewCosignatureVerifier(w.vkey)
	m := ledger.NewMemStorage()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	l, _ := ledger.NewLog(m, skey, ledger.LogOptions{Now: clk.now, Witnesses: []*ledger.WitnessClient{{URL: w.url, Verifier: wv}}})
	mux := http.NewServeMux()
	mux.Handle("/log/", http.StripPrefix("/log", ledger.NewTileServer(m)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p, _ := ledger.NewPolicy(vkey, []string{w.vkey}, 1)
	state := filepath.Join(t.TempDir(), "audit.json")
	for _, add := range []int{1, 255, 1, 70000 - 257} {
		appendN(t, m, add)
		clk.advance(time.Second)
		if _, _, err := l.Sign(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: p, Prefix: "/log", StatePath: state})
		if err != nil {
			t.Fatalf("size %d: %v", res.Checkpoint.Size, err)
		}
		if len(res.Witnesses) != 1 {
			t.Fatalf("witnesses %v", res.Witnesses)
		}
	}
}
