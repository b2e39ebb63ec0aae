package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// tesseraLog is the real 15-entry log written by Tessera (see
// ledger/testdata/README.md), served here as a static C2SP tlog-tiles log.
var tesseraLog = filepath.Join("..", "..", "ledger", "testdata", "tessera-log")

// serveTessera serves the Tessera log under prefix; /checkpoint is
// checkpoint.<*size> when *size >= 0, so an auditor can be walked through
// every intermediate checkpoint the log ships with.
func serveTessera(t *testing.T, prefix string, size *atomic.Int64) string {
	t.Helper()
	files := http.StripPrefix(prefix, http.FileServer(http.Dir(tesseraLog)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := size.Load(); r.URL.Path == prefix+"/checkpoint" && n >= 0 {
			http.ServeFile(w, r, filepath.Join(tesseraLog, fmt.Sprintf("checkpoint.%d", n)))
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestLogAudit_Tessera(t *testing.T) {
	vkey, err := os.ReadFile(filepath.Join(tesseraLog, "verifier-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(vkey))
	// The served checkpoint is chosen by the test while the server's
	// goroutines read it, hence an atomic.
	var served atomic.Int64
	served.Store(-1)
	root := serveTessera(t, "", &served)
	sub := serveTessera(t, "/tlog/v1", &served)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"AtTheRoot", []string{root, "--prefix", ""}, 0, "Audited log example.com/log/testdata: 15 entries"},
		{"AtTheRootSlash", []string{root + "/", "--prefix", "/"}, 0, "Audited log example.com/log/testdata: 15 entries"},
		{"UnderAPrefix", []string{sub, "--prefix", "/tlog/v1"}, 0, "15 entries"},
		{"URLWithThePrefix", []string{sub + "/tlog/v1", "--prefix", "tlog/v1/"}, 0, "15 entries"},
		{"ErrDefaultPrefixIsLog", []string{root}, 1, "GET checkpoint: 404"},
		{"ErrWrongKey", []string{root, "--prefix", "", "--key", "example.com/log/testdata+d822ec57+ASl/DGW4RzTkUm5RidTarKbGwczPZcWldH9Ldt6kuc5a"}, 1, "audit failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"log", "audit", "--key", key}, tc.args...)
			out, errs, code := truceCmd(t, nil, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errs)
			}
			if !strings.Contains(out+errs, tc.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tc.want, out, errs)
			}
			// Progress is one line each, readable in a log file: no
			// carriage returns, the last line "audited 15 of 15 entries".
			if code == 0 && (strings.Contains(errs, "\r") || !regexp.MustCompile(`(?m)^audited 15 of 15 entries$`).MatchString(errs)) {
				t.Errorf("progress is not one line each:\n%q", errs)
			}
		})
	}

	t.Run("EveryIntermediateCheckpoint", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state.json")
		for size := 0; size <= 15; size++ {
			served.Store(int64(size))
			out, errs, code := truceCmd(t, nil, "log", "audit", root, "--prefix", "", "--key", key, "--state", state)
			if code != 0 {
				t.Fatalf("checkpoint.%d: exit %d: %s %s", size, code, out, errs)
			}
			want := fmt.Sprintf("Consistent with the previously audited tree of size %d.", size-1)
			if size == 0 {
				want = "First audit"
			}
			if !strings.Contains(out, fmt.Sprintf(": %d entries", size)) || !strings.Contains(out, want) {
				t.Fatalf("checkpoint.%d: output lacks %q:\n%s", size, want, out)
			}
		}
		// An older checkpoint after the newest is a rollback.
		served.Store(7)
		out, errs, code := truceCmd(t, nil, "log", "audit", root, "--prefix", "", "--key", key, "--state", state)
		if code != 1 || !strings.Contains(errs, "shrank from size 15 to 7") {
			t.Fatalf("rollback: exit %d: %s %s", code, out, errs)
		}
		served.Store(-1)
	})
}
