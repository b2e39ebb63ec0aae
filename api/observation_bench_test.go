package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/node"
)

// BenchmarkAPI_FileObservation files observations end to end: HTTP
// requests with a bearer token and an Idempotency-Key each, strict
// decoding, the service (validation, location, grouping), one journalled
// transaction per filing on SQLite, and the response; each cites an
// evidence file (a real photo uploaded beforehand) whose hash its journal
// entry holds. 64 clients file at once, as two observers. Issue #15's
// target is 2,000 a second; the CPU time per observation is the server's
// and the clients' together (one process), the figure to compare on a
// shared machine.
//
//	go test ./api -run '^$' -bench API_FileObservation -benchtime 20000x
func BenchmarkAPI_FileObservation(b *testing.B) {
	ctx := context.Background()
	// Two tokens file for 64 clients: their write limit is raised (the
	// limiter still runs) so that it does not stand for the many
	// observers' tokens a real load comes from.
	cfg := node.Config{DataDir: b.TempDir(), Logger: quiet, MaxBodyBytes: 64 << 10, WriteLimit: api.RateLimit{Rate: 1e6, Burst: 1 << 20}}
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		b.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(n.API)
	b.Cleanup(func() { srv.Close(); n.Close() })
	c := api.NewClient(srv.URL, res.Token.Secret)
	if _, err := c.CreateParty(ctx, truce.PartyCreate{Slug: "mission", Name: "Monitoring centre", Kind: truce.PartyMonitor}); err != nil {
		b.Fatal(err)
	}
	var tokens []string
	for _, name := range []string{"team-a", "team-b"} {
		if _, err := c.CreateUser(ctx, truce.UserCreate{Party: "mission", Username: name, Roles: []truce.Role{truce.RoleObserver}}); err != nil {
			b.Fatal(err)
		}
		tk, err := c.CreateToken(ctx, truce.TokenCreate{User: name, Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, tk.Secret)
	}
	photo, err := os.ReadFile("../observation/testdata/nikon-d2h-gps.jpg")
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256(photo)
	sum := hex.EncodeToString(h[:])
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	send := func(method, path, token, ctype string, body string, hdr ...string) (int, string, error) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out), err
	}
	if status, out, err := send("PUT", "/api/v1/evidence/"+sum, tokens[0], "image/jpeg", string(photo)); err != nil || status/100 != 2 {
		b.Fatalf("evidence upload: %d %s %v", status, out, err)
	}
	now := time.Now().UTC()
	var seq atomic.Int64
	cpu0 := cpuTime()
	b.ResetTimer()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 2))
		for pb.Next() {
			i := seq.Add(1)
			lon, lat := 35.5+2*r.Float64(), 32+2*r.Float64()
			start := now.Add(-time.Duration(r.IntN(3600)) * time.Second).Format(time.RFC3339Nano)
			body := fmt.Sprintf(`{"mode":"saw","observer_position":{"lon":%.6f,"lat":%.6f},"location":{"lon":%.6f,"lat":%.6f},"accuracy":200,`+
				`"start":%q,"end":%q,"category":"burst_and_shot","evidence":[%q]}`, lon, lat, lon, lat, start, start, sum)
			status, out, err := send("POST", "/api/v1/observations", tokens[i%2], "application/json", body, "Idempotency-Key", fmt.Sprintf("bench-%d-%d", i, r.Uint64()))
			if err != nil || status != 201 {
				b.Errorf("filing: %d %s %v", status, out, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/obs")
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
