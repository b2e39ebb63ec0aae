// Package api is Truce's HTTP interface: the JSON API under /api/v1 (RFC
// 9457 problem details for errors, strict decoding, cursor pagination,
// ETag/If-Match, Idempotency-Key), health and Prometheus metrics, and a
// Client that implements the root package's service interfaces over HTTP
// for the CLI.
//
// Each capability is one file, named after the capability's package
// (<package>_handlers.go), holding its routes, its handlers and its
// client's methods: accounts_handlers.go (parties, users, tokens),
// zones_handlers.go (agreements and zones), airspace_handlers.go (the
// air picture: alerts, tracks, positions, aircraft, feeds),
// humanitarian_handlers.go (humanitarian notification: sites, movements,
// transmissions), observation_handlers.go (ceasefire observation),
// control_handlers.go (actors, control areas, guarantees, breaches) and
// operations_handlers.go (joint operations); journal_handlers.go serves
// the journal and its proofs, events_handlers.go live events and
// webhooks. The other files are the kernel every capability shares: the
// server (server.go) and its middleware (deadline.go, text.go,
// ratelimit.go), strict decoding (decode.go), problems (problem.go),
// pages (page.go), the generic change handler (change.go), idempotency
// (idempotency.go), the OpenAPI document (openapi.go) and the client's
// transport (client.go).
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/throttle"
)

// Services are what the server calls; handlers hold no rules of their own.
type Services struct {
	Parties truce.PartyService
	Users   truce.UserService
	Tokens  truce.TokenService
	Journal truce.JournalService
	Auth    truce.Authenticator
	// Proofs proves journal entries against the signed log; when nil,
	// journal entries are served without proofs.
	Proofs truce.ProofService
	// Store backs idempotency keys and readiness checks.
	Store truce.Store
}

// Config tunes the server.
type Config struct {
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// IdempotencyTTL is how long a response is replayed (default 24 h).
	IdempotencyTTL time.Duration
	// BodyTimeout bounds the reading of a request body (default
	// DefaultBodyTimeout; negative: no bound).
	BodyTimeout time.Duration
	// WriteLimit bounds each token's writes (POST, PUT, PATCH, DELETE on
	// authenticated routes), FeedLimit its position batches (FeedRoutes);
	// zero means DefaultWriteLimit and DefaultFeedLimit.
	WriteLimit, FeedLimit RateLimit
	Logger                *slog.Logger
}

// Server is the HTTP server.
type Server struct {
	svc     Services
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	routes  []Route
	mux     *http.ServeMux
	metrics *metrics
	idem    *keyLocks
	// writeLimits and feedLimits hold each token's allowance (nil: off).
	writeLimits, feedLimits *throttle.Limiters
	// Ready reports extra readiness problems (empty when ready).
	Ready func(ctx context.Context) []string
	// Degraded reports what works only in part (empty when nothing):
	// /readyz then answers 200 with status "degraded" and the problems,
	// since taking the server out of service would make it worse (a
	// monitor refusing some aircraft still watches the others).
	Degraded func(ctx context.Context) []string
}

// Route is one API route; the OpenAPI test compares this table with the
// published document.
type Route struct {
	Method, Pattern string
	// Public routes need no token.
	Public  bool
	Handler http.HandlerFunc
	// MaxBodyBytes, when set, caps this route's request bodies instead of
	// the server's MaxBodyBytes (file uploads).
	MaxBodyBytes int64
}

// NewServer returns a server over the services.
func NewServer(svc Services, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{svc: svc, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), idem: newKeyLocks(),
		writeLimits: cfg.WriteLimit.orDefault(DefaultWriteLimit).limiters(), feedLimits: cfg.FeedLimit.orDefault(DefaultFeedLimit).limiters()}
	s.metrics = newMetrics()
	for _, rt := range s.apiRoutes() {
		s.Handle(rt)
	}
	s.handler = s.withRequestID(s.withAccessLog(s.withRecover(s.withBodyDeadline(s.mux))))
	return s
}

// Handle adds a route. Later capabilities add theirs with it; a route under
// /api/v1 must also be in the OpenAPI document.
func (s *Server) Handle(rt Route) {
	h := http.Handler(rt.Handler)
	if rt.Method == http.MethodPost || rt.Method == http.MethodPut || rt.Method == http.MethodPatch {
		h = s.withIdempotency(h)
	}
	if !rt.Public {
		switch {
		case FeedRoutes[rt.Method+" "+rt.Pattern]:
			h = s.withRateLimit(s.feedLimits, h)
		case isWrite(rt.Method):
			h = s.withRateLimit(s.writeLimits, h)
		}
		h = s.authenticate(h)
	}
	h = s.withBodyLimitOf(rt.MaxBodyBytes, h)
	h = s.withPrintableURL(h)
	s.mux.Handle(rt.Method+" "+rt.Pattern, s.metrics.instrument(rt.Pattern, h))
	s.routes = append(s.routes, rt)
}

// HandleRaw mounts a handler that is not part of the JSON API (pages,
// static files, log tiles) and is not listed in the OpenAPI document.
func (s *Server) HandleRaw(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

// Registry returns the Prometheus registry, for other packages' metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// ObserveAppend counts a journal append (wired to service.OnAppend).
func (s *Server) ObserveAppend(kind string, _ int64) {
	s.metrics.appends.WithLabelValues(kind).Inc()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) apiRoutes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Handler: s.healthz},
		{Method: "GET", Pattern: "/readyz", Public: true, Handler: s.readyz},
		{Method: "GET", Pattern: "/metrics", Public: true, Handler: s.metricsHandler},
		{Method: "GET", Pattern: "/api/v1/openapi.json", Public: true, Handler: s.openapi},
		{Method: "GET", Pattern: "/api/v1/me", Handler: s.me},
		{Method: "GET", Pattern: "/api/v1/parties", Handler: s.listParties},
		{Method: "POST", Pattern: "/api/v1/parties", Handler: s.createParty},
		{Method: "GET", Pattern: "/api/v1/parties/{id}", Handler: s.getParty},
		{Method: "POST", Pattern: "/api/v1/key-rotations", Handler: s.rotatePartyKey},
		{Method: "GET", Pattern: "/api/v1/users", Handler: s.listUsers},
		{Method: "POST", Pattern: "/api/v1/users", Handler: s.createUser},
		{Method: "GET", Pattern: "/api/v1/users/{id}", Handler: s.getUser},
		{Method: "POST", Pattern: "/api/v1/users/{id}/disable", Handler: s.disableUser},
		{Method: "GET", Pattern: "/api/v1/tokens", Handler: s.listTokens},
		{Method: "POST", Pattern: "/api/v1/tokens", Handler: s.createToken},
		{Method: "POST", Pattern: "/api/v1/tokens/{id}/revoke", Handler: s.revokeToken},
		{Method: "GET", Pattern: "/api/v1/journal", Handler: s.listJournal},
		{Method: "GET", Pattern: "/api/v1/journal/{index}", Handler: s.getJournalProof},
		{Method: "GET", Pattern: "/api/v1/journal/consistency", Handler: s.getConsistency},
		{Method: "GET", Pattern: "/api/v1/records/{kind}/{id}/proof", Handler: s.getRecordProofs},
	}
}

// --- middleware ---

type ridKey struct{}

var ridRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !ridRE.MatchString(id) {
			b := make([]byte, 12)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ridKey{}, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers (SSE) flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		s.log.Info("request", slog.String("request_id", requestID(r.Context())), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("remote", host))
	})
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", slog.String("request_id", requestID(r.Context())), slog.Any("panic", p))
				s.writeError(w, r, truce.Errorf(truce.EINTERNAL, "Internal error."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withBodyLimitOf caps bodies at limit bytes, or at the server's
// MaxBodyBytes when limit is 0.
func (s *Server) withBodyLimitOf(limit int64, next http.Handler) http.Handler {
	if limit <= 0 {
		limit = s.cfg.MaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.writeError(w, r, truce.Errorf(truce.ETOOLARGE, "The body is over the %d-byte limit.", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the bearer token into an actor on the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || secret == "" {
			s.writeError(w, r, truce.Errorf(truce.EUNAUTHORIZED, "Send a bearer token in the Authorization header."))
			return
		}
		a, err := s.svc.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(truce.NewContext(r.Context(), a)))
	})
}

// --- health and metrics ---

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var problems []string
	if err := s.svc.Store.Ping(ctx); err != nil {
		problems = append(problems, "database: unreachable")
	}
	if s.Ready != nil {
		problems = append(problems, s.Ready(ctx)...)
	}
	var degraded []string
	if s.Degraded != nil {
		degraded = s.Degraded(ctx)
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "problems": append(problems, degraded...)})
		return
	}
	if len(degraded) > 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "degraded", "problems": degraded})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	appends  *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "truce_http_requests_total", Help: "HTTP requests by route, method and status."}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "truce_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.appends = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "truce_journal_appends_total", Help: "Journal entries appended, by record kind."}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.latency, m.appends, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
