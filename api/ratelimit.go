package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/throttle"
)

// RateLimit is a token bucket per API token: Burst requests at once, then
// Rate a second. The zero RateLimit means the default; a negative Rate
// means no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Default limits per token. They are generous: a person, a script setting
// a deployment up or the demo never meets them; a runaway client or a
// stolen token flooding the journal does.
var (
	// DefaultWriteLimit: 100 writes at once, then 10 a second.
	DefaultWriteLimit = RateLimit{Rate: 10, Burst: 100}
	// DefaultFeedLimit: 200 position batches at once, then 50 a second.
	// A batch is bounded (MaxBodyBytes and 10,000 lines), so counting
	// requests bounds lines too (up to 500,000 a second per token); a
	// feed posting one position per request should batch instead.
	DefaultFeedLimit = RateLimit{Rate: 50, Burst: 200}
)

// FeedRoutes are the write routes that carry a live feed: they are
// limited by Config.FeedLimit instead of Config.WriteLimit.
var FeedRoutes = map[string]bool{"POST /api/v1/positions": true}

// ParseRateLimit reads "RATE/BURST" (requests a second, then how many at
// once, as in "10/100") or "off".
func ParseRateLimit(s string) (RateLimit, error) {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return RateLimit{Rate: -1}, nil
	}
	r, b, ok := strings.Cut(s, "/")
	rate, err1 := strconv.ParseFloat(strings.TrimSpace(r), 64)
	burst, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || !(rate > 0) || rate > 1e6 || burst < 1 {
		return RateLimit{}, fmt.Errorf("%q: want RATE/BURST, like 10/100 (requests a second, then at once), or off", s)
	}
	return RateLimit{Rate: rate, Burst: burst}, nil
}

func (l RateLimit) orDefault(d RateLimit) RateLimit {
	if l.Rate == 0 && l.Burst == 0 {
		return d
	}
	return l
}

// limiters returns the per-token table of the limit, nil when it is off.
func (l RateLimit) limiters() *throttle.Limiters {
	if l.Rate < 0 {
		return nil
	}
	return throttle.NewLimiters(time.Duration(float64(time.Second)/l.Rate), l.Burst, 0)
}

// isWrite reports whether a route changes state.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// withRateLimit holds a token to its allowance (DESIGN: rate limits per
// token): past it, 429 with Retry-After and an ETOOMANY problem, before
// the request is decoded or its Idempotency-Key claimed, so a refused
// request changes nothing. It runs after authentication; a caller
// authenticated some other way is keyed by user. The tables are bounded
// (throttle.DefaultSize tokens, least recently used forgotten).
func (s *Server) withRateLimit(l *throttle.Limiters, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Keyed by user, not token: any user may mint tokens, and a
		// fresh token must not bring a fresh allowance.
		key := ""
		if a := truce.CallerFrom(r.Context()); a != nil {
			key = a.TokenID
			if a.User != nil {
				key = "user:" + a.User.ID
			}
		}
		if ok, wait := l.Allow(key, 1, time.Now()); !ok {
			s.writeError(w, r, truce.RetryAfter(truce.Errorf(truce.ETOOMANY,
				"Your writes are over their rate limit; retry in %d s.", wholeSeconds(wait)), wait))
			return
		}
		next.ServeHTTP(w, r)
	})
}
