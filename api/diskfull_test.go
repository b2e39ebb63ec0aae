//go:build linux

package api_test

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
)

func fileSize(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return uint64(fi.Size())
}

// TestStorageUnavailable_DiskFull fills the "disk" under a SQLite server
// for real: RLIMIT_FSIZE caps how far any file of this process may grow,
// so the database's WAL can no longer grow and writes fail as on a full
// disk (EFBIG). Writes then answer 503 with Retry-After, /readyz is not
// ready, and both recover once there is room again.
func TestStorageUnavailable_DiskFull(t *testing.T) {
	e := newEnv(t)
	db := filepath.Join(e.node.Config.DataDir, "truce.db")
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	// Past the limit, write(2) fails with EFBIG instead of the process
	// being killed by SIGXFSZ.
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	limit := max(fileSize(db), fileSize(db+"-wal")) + 512<<10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	restore := func() { syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old) }
	defer restore()

	name := strings.Repeat("n", 190)
	full := false
	for i := range 5000 {
		status, h, b := e.do("POST", "/api/v1/parties", e.admin, fmt.Sprintf(`{"slug":"p%d","name":"%s","kind":"monitor"}`, i, name))
		if status == 201 {
			continue
		}
		wantUnavailable(t, fmt.Sprintf("write %d on a full disk", i), status, h, b)
		full = true
		t.Logf("the disk was full after %d writes", i)
		break
	}
	if !full {
		t.Fatal("the writes never filled the disk")
	}
	if status, _, b := e.do("GET", "/readyz", "", ""); status != 503 {
		t.Fatalf("readyz with a full disk: %d %s", status, b)
	}
	restore()
	// Room again: writes and readiness come back.
	var status int
	testwait.Until(10*time.Second, func() bool {
		status, _, _ = e.do("POST", "/api/v1/parties", e.admin, `{"slug":"after","name":"After","kind":"monitor"}`)
		return status == 201
	})
	if status != 201 {
		t.Fatalf("a write after the disk has room: %d", status)
	}
	if status, _, b := e.do("GET", "/readyz", "", ""); status != 200 {
		t.Fatalf("readyz after: %d %s", status, b)
	}
}
