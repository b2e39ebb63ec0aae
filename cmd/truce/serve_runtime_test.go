package main_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
)

// TestServe_RuntimeFlagsRefused: a bad --memory-limit or a --pprof address
// off the host is refused with one line, before anything is opened.
func TestServe_RuntimeFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory-limit", "12MiB"}, "--memory-limit"},
		{[]string{"--memory-limit", "lots"}, "--memory-limit"},
		{[]string{"--memory-limit", "-5"}, "--memory-limit"},
		{[]string{"--pprof", "0.0.0.0:6060"}, "loopback"},
		{[]string{"--pprof", "192.0.2.1:6060"}, "loopback"},
		{[]string{"--pprof", "6060"}, "--pprof"},
	} {
		dir := t.TempDir() + "/data"
		_, errs, code := truceCmd(t, nil, append([]string{"serve", "--data", dir}, tc.args...)...)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("serve %v: exit %d, %q; want exit 1 and one line about %s", tc.args, code, errs, tc.want)
		}
	}
}

// TestServe_PprofAndMemoryLimit: --pprof serves Go's profiles on the
// loopback address, and the memory limit in force is the flag's (the Go
// collector's go_gc_gomemlimit_bytes on /metrics).
func TestServe_PprofAndMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	initData(t, dir)
	addr, pp := freeAddr(t), freeAddr(t)
	cmd := exec.Command(binary, "serve", "--data", dir, "--addr", addr, "--pprof", pp, "--memory-limit", "300MiB")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if !testwait.Until(15*time.Second, func() bool { c, _ := get("http://" + addr + "/healthz"); return c == 200 }) {
		t.Fatal("server did not start")
	}
	if c, body := get("http://" + pp + "/debug/pprof/heap?debug=1"); c != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("heap profile: %d %.200s", c, body)
	}
	if c, body := get("http://" + addr + "/metrics"); c != 200 || !strings.Contains(body, "go_gc_gomemlimit_bytes 3.145728e+08") {
		i := strings.Index(body, "go_gc_gomemlimit_bytes")
		t.Fatalf("metrics: %d, memory limit line %q", c, body[max(0, i):min(len(body), max(0, i)+60)])
	}
}

// TestServe_DefaultMemoryLimit: without --memory-limit or GOMEMLIMIT the
// server sets a limit sized for what it holds and its track table: at
// least 128 MiB, and for 1,000 tracks and no zones well under 1 GiB (Go's
// own default is no limit).
func TestServe_DefaultMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	initData(t, dir)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--data", dir, "--addr", addr, "--max-tracks", "1000")
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "TRUCE_MEMORY_LIMIT=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var limit float64
	got := testwait.Until(15*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "go_gc_gomemlimit_bytes "); ok {
				limit, err = strconv.ParseFloat(v, 64)
				return err == nil && limit < 1<<62 // sized once the node is open
			}
		}
		return false
	})
	if !got || limit < 128<<20 || limit > 1<<30 {
		t.Fatalf("memory limit %g bytes, want 128 MiB to 1 GiB", limit)
	}
}
