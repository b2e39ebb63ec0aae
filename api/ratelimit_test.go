package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/node"
)

// TestRateLimit_WritesPerToken: a token past its write allowance gets 429
// with Retry-After and a problem, and nothing is written; another token,
// reads, and the position feed (its own allowance) are not held back.
func TestRateLimit_WritesPerToken(t *testing.T) {
	// The burst leaves room for the set-up's writes (12 by the admin).
	const burst = 15
	e := newEnvWith(t, node.Config{WriteLimit: api.RateLimit{Rate: 0.01, Burst: burst}, FeedLimit: api.RateLimit{Rate: 0.01, Burst: 2}})
	tok := e.tokens["us-padmin"]
	create := func(token string) (int, http.Header, []byte) {
		return e.do("POST", "/api/v1/tokens", token, `{"name":"rl"}`)
	}
	for i := range burst {
		if status, _, b := create(tok); status != http.StatusCreated {
			t.Fatalf("write %d within the allowance: %d %s", i, status, b)
		}
	}
	before := e.journalSize()
	status, h, b := create(tok)
	if status != http.StatusTooManyRequests || problemCode(t, h, b) != truce.ETOOMANY {
		t.Fatalf("write past the allowance: %d %s", status, b)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", h.Get("Retry-After"))
	}
	if want := "retry in " + h.Get("Retry-After") + " s"; !strings.Contains(string(b), want) {
		t.Fatalf("the problem's detail disagrees with Retry-After %s: %s", h.Get("Retry-After"), b)
	}
	if got := e.journalSize(); got != before {
		t.Fatalf("a refused write was journalled: %d entries, was %d", got, before)
	}
	if status, _, b := create(e.tokens["us-op"]); status != http.StatusCreated {
		t.Fatalf("another token was held back: %d %s", status, b)
	}
	if status, _, _ := e.do("GET", "/api/v1/tokens", tok, ""); status != http.StatusOK {
		t.Fatalf("a read was held back: %d", status)
	}
	// Positions are a feed: their own allowance, by request.
	line := string(ndjson("AE1234", "USAF1", orb.Point{36.2, 33.2}, 10000, time.Now(), ""))
	for i := range 2 {
		if status, _, b := e.do("POST", "/api/v1/positions", e.tokens["us-op"], line, "Content-Type", "application/x-ndjson"); status/100 != 2 {
			t.Fatalf("feed request %d: %d %s", i, status, b)
		}
	}
	if status, h, b := e.do("POST", "/api/v1/positions", e.tokens["us-op"], line, "Content-Type", "application/x-ndjson"); status != http.StatusTooManyRequests || problemCode(t, h, b) != truce.ETOOMANY {
		t.Fatalf("feed past its allowance: %d %s", status, b)
	}
}

// TestRateLimit_DefaultsAreGenerous: with the defaults, a burst of writes
// such as a set-up script makes is not throttled.
func TestRateLimit_DefaultsAreGenerous(t *testing.T) {
	e := newEnv(t)
	for i := range 60 {
		if status, _, b := e.do("POST", "/api/v1/tokens", e.admin, `{"name":"burst"}`); status != http.StatusCreated {
			t.Fatalf("write %d of a burst of 60: %d %s", i, status, b)
		}
	}
}

// TestClient_WaitsAsTold: the Go client (the CLI's) waits as a 429's
// Retry-After says and retries a POST under its Idempotency-Key, so a run
// of writes past the allowance completes, each recorded once.
func TestClient_WaitsAsTold(t *testing.T) {
	e := newEnvWith(t, node.Config{WriteLimit: api.RateLimit{Rate: 1, Burst: 13}})
	c := e.client(e.tokens["us-padmin"])
	before := e.journalSize()
	start := time.Now()
	const n = 16 // the set-up took most of the burst: several writes must wait
	for i := range n {
		if _, err := c.CreateToken(t.Context(), truce.TokenCreate{Name: fmt.Sprintf("w%d", i)}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("%d writes past the allowance took %v: the client was not held back", n, el)
	}
	if got := e.journalSize() - before; got != n {
		t.Fatalf("%d writes made %d journal entries", n, got)
	}
}

// TestRateLimit_NewTokenNoNewAllowance: the allowance is the user's, so a
// second token of the same user is held back with the first (minting
// tokens must not multiply it).
func TestRateLimit_NewTokenNoNewAllowance(t *testing.T) {
	const burst = 15
	e := newEnvWith(t, node.Config{WriteLimit: api.RateLimit{Rate: 0.01, Burst: burst}})
	tok := e.tokens["us-padmin"]
	status, _, b := e.do("POST", "/api/v1/tokens", tok, `{"name":"second"}`)
	if status != http.StatusCreated {
		t.Fatalf("second token: %d %s", status, b)
	}
	var second struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(b, &second); err != nil || second.Secret == "" {
		t.Fatalf("second token's secret: %v %s", err, b)
	}
	for i := 1; i < burst; i++ {
		if status, _, b := e.do("POST", "/api/v1/tokens", tok, `{"name":"rl"}`); status != http.StatusCreated {
			t.Fatalf("write %d within the allowance: %d %s", i, status, b)
		}
	}
	if status, _, b := e.do("POST", "/api/v1/tokens", second.Secret, `{"name":"fresh"}`); status != http.StatusTooManyRequests {
		t.Fatalf("the user's second token brought a fresh allowance: %d %s", status, b)
	}
}
