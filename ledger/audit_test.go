package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce/ledger"
)

// tesseraPolicy is the policy for the real Tessera test log: its key, no
// witnesses.
func tesseraPolicy(t *testing.T) ledger.Policy {
	t.Helper()
	vkey, err := os.ReadFile(filepath.Join("testdata", "tessera-log", "verifier-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ledger.NewPolicy(strings.TrimSpace(string(vkey)), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tesseraServer serves the Tessera log directory as is, except that
// /checkpoint is checkpoint.<*size> when size is set, so the audit can walk
// through every intermediate checkpoint the log ships with.
func tesseraServer(t *testing.T, size *int) *httptest.Server {
	dir := filepath.Join("testdata", "tessera-log")
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/checkpoint" && *size >= 0 {
			http.ServeFile(w, r, filepath.Join(dir, fmt.Sprintf("checkpoint.%d", *size)))
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAudit_Tessera(t *testing.T) {
	size := -1
	srv := tesseraServer(t, &size)
	ctx := context.Background()

	t.Run("Latest", func(t *testing.T) {
		var entries []string
		var progress int64
		res, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{
			Policy:    tesseraPolicy(t),
			StatePath: filepath.Join(t.TempDir(), "state.json"),
			Entry: func(i int64, data []byte) error {
				if i != int64(len(entries)) {
					t.Errorf("entry %d out of order", i)
				}
				entries = append(entries, string(data))
				return nil
			},
			Progress: func(done, total int64) { progress = done },
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Checkpoint.Size != 15 || res.Checkpoint.Origin != "example.com/log/testdata" {
			t.Errorf("checkpoint = %+v", res.Checkpoint)
		}
		if len(entries) != 15 || progress != 15 || res.Previous != nil {
			t.Errorf("saw %d entries, progress %d, previous %v", len(entries), progress, res.Previous)
		}
		if entries[0] != "one" || entries[1] != "two" {
			t.Errorf("entries: %q", entries)
		}
	})

	t.Run("EveryIntermediateCheckpoint", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state.json")
		for size = 0; size <= 15; size++ {
			res, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: tesseraPolicy(t), StatePath: state})
			if err != nil {
				t.Fatalf("checkpoint.%d: %v", size, err)
			}
			if res.Checkpoint.Size != int64(size) {
				t.Fatalf("checkpoint.%d has size %d", size, res.Checkpoint.Size)
			}
			if size > 0 && (res.Previous == nil || res.Previous.Size != int64(size-1)) {
				t.Fatalf("checkpoint.%d: previous = %+v, want size %d", size, res.Previous, size-1)
			}
		}
		// Going back to an older checkpoint is a rollback.
		size = 8
		if _, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: tesseraPolicy(t), StatePath: state}); !errors.Is(err, ledger.ErrAudit) {
			t.Fatalf("rollback to 8 after 15: err = %v, want ErrAudit", err)
		}
		size = -1
	})

	t.Run("Tampered", func(t *testing.T) {
		for _, path := range []string{"/tile/entries/000.p/15", "/tile/0/000.p/15"} {
			tampered := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != path {
					http.FileServer(http.Dir(filepath.Join("testdata", "tessera-log"))).ServeHTTP(w, r)
					return
				}
				b, _ := os.ReadFile(filepath.Join("testdata", "tessera-log", filepath.FromSlash(path)))
				b[len(b)-1] ^= 1
				w.Write(b)
			}))
			_, err := ledger.Audit(ctx, tampered.URL, ledger.AuditOptions{Policy: tesseraPolicy(t)})
			tampered.Close()
			if !errors.Is(err, ledger.ErrAudit) {
				t.Errorf("%s tampered: err = %v, want ErrAudit", path, err)
			}
			// The last byte is in the last entry (14) or its leaf hash.
			if err == nil || !strings.Contains(err.Error(), "entry hash mismatch at index 14:") {
				t.Errorf("%s tampered: err = %v, want the index named", path, err)
			}
		}
	})

	t.Run("WrongKey", func(t *testing.T) {
		skey, vkey := newLogKey(t, "example.com/log/testdata")
		_ = skey
		p, _ := ledger.NewPolicy(vkey, nil, 0)
		if _, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: p}); !errors.Is(err, ledger.ErrAudit) {
			t.Fatalf("err = %v, want ErrAudit", err)
		}
	})

	t.Run("EntryHookError", func(t *testing.T) {
		boom := errors.New("body mismatch")
		_, err := ledger.Audit(ctx, srv.URL, ledger.AuditOptions{Policy: tesseraPolicy(t), Entry: func(i int64, _ []byte) error {
			if i == 3 {
				return boom
			}
			return nil
		}})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the hook's error", err)
		}
	})
}
