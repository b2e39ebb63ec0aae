// Package node assembles a running Truce server from its configuration: the
// store (SQLite file or PostgreSQL DSN), the data directory with its keys,
// the capabilities' services over one journal, their engines (the zone
// index, the air picture, the event bus, the log signer and the
// self-check), and the HTTP server with the API and the web UI. It only
// wires: the rules and the wording are the capabilities'. The CLI's
// serve, init and demo verbs and the end-to-end tests use it.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/ui"
	"github.com/truce-project/truce/zones"
)

// Config is a node's configuration.
type Config struct {
	// DataDir holds the SQLite database (unless DB is a PostgreSQL DSN)
	// and the keys. Default ./truce-data.
	DataDir string
	// DB is a postgres:// DSN, or a SQLite file path; empty means
	// DataDir/truce.db.
	DB string
	// Name is the deployment's name; the log origin derives from it.
	Name         string
	MaxBodyBytes int64
	// SBSListen, when set, is a TCP address on which the monitor accepts
	// pushed SBS-1 (BaseStation) streams.
	SBSListen string
	// StaleAfter is the silence after which the airspace monitor drops a
	// track (0: 60 s); LookAhead how far ahead it predicts zone entries
	// (0: 120 s; negative: no prediction).
	StaleAfter, LookAhead time.Duration
	// MaxTracks is the capacity of the monitor's track table (0: 20,000);
	// MaxDelay the latency it accepts in reports (0: 120 s); MaxAhead how
	// far ahead of the clock a report may be timed (0: 10 s; benchmarks
	// that replay feed time faster than real time raise it). See
	// monitor.Config.
	MaxTracks          int
	MaxDelay, MaxAhead time.Duration
	// MaxVertices caps a zone geometry's vertices (default 20,000).
	MaxVertices int
	Logger      *slog.Logger
	// Witnesses are asked to cosign every checkpoint; WitnessQuorum of
	// them must have cosigned the latest for the node to be ready.
	Witnesses     []Witness
	WitnessQuorum int
	// WitnessMaxAge is how long a witness may fail before /readyz reports
	// it; 0 means DefaultWitnessMaxAge.
	WitnessMaxAge time.Duration
	// SignInterval is the least time between checkpoints; 0 means
	// ledger.DefaultSignInterval.
	SignInterval time.Duration
	// TileURL is an online map tile layer for the web UI; empty means
	// TRUCE_TILE_URL, and without either the map stays offline.
	TileURL string
	// EventHeartbeat is how often an idle event stream gets a comment;
	// 0 means api.DefaultHeartbeat.
	EventHeartbeat time.Duration
	// HeaderTimeout bounds the reading of a request's line and headers
	// (0: DefaultHeaderTimeout); BodyTimeout the reading of its body
	// (0: api.DefaultBodyTimeout). Neither limits a response, so event
	// streams stay open.
	HeaderTimeout, BodyTimeout time.Duration
	// WriteLimit and FeedLimit bound each token's writes and position
	// batches (zero: api.DefaultWriteLimit, api.DefaultFeedLimit).
	WriteLimit, FeedLimit api.RateLimit
	// EventBuffer is how many events a live stream may fall behind
	// before it is dropped; 0 means events.DefaultBuffer.
	EventBuffer int
	// SelfCheck is SelfCheckFull (the default when empty) or SelfCheckOff.
	SelfCheck string
	// WrapStore, when set, wraps the opened store (tests inject faults
	// with it).
	WrapStore func(Store) Store
	// KeySecret seals custodial parties' keys in the database; every
	// server of a deployment needs the same. Empty means the data
	// directory's key-secret file (KeySecretPath), created if missing.
	KeySecret string
	// Exercise marks the deployment's alerts as an exercise wherever they
	// are published as CAP (status Exercise, not Actual): a demo or a
	// training deployment, whose data is illustrative.
	Exercise bool
}

func (c *Config) defaults() {
	if c.DataDir == "" {
		c.DataDir = "truce-data"
	}
	if c.Name == "" {
		c.Name = "truce"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Store is the store the node wires: the shared truce.Store, and each
// capability's view of it, whose interfaces the capability declares (the
// SQL stores implement them all).
type Store interface {
	truce.Store
	// The roles the node wires besides the capabilities' views: the
	// event log live delivery reads, the signed log's storage, the scan
	// of the journal the start-up self-check makes, and the heads of the
	// journal the reconciliation compares.
	events.Store
	ledger.Storage
	journalScanner
	journalHeads
	Accounts() accounts.Store
	ZoneStore() zones.Store
	Airspace() airspace.Store
	Humanitarian() humanitarian.Store
	Observation() observation.Store
	Control() control.Store
	Operations() operations.Store
}

// OpenStore opens and migrates the configured store.
func OpenStore(ctx context.Context, c Config) (Store, error) {
	c.defaults()
	if IsPostgres(c.DB) {
		return postgres.Open(ctx, c.DB)
	}
	path := c.DB
	if path == "" {
		path = filepath.Join(c.DataDir, "truce.db")
	}
	return sqlite.Open(ctx, path)
}

// Migrate applies pending migrations and returns how many were applied.
func Migrate(ctx context.Context, c Config) (int, error) {
	c.defaults()
	if IsPostgres(c.DB) {
		return postgres.Migrate(ctx, c.DB)
	}
	path := c.DB
	if path == "" {
		path = filepath.Join(c.DataDir, "truce.db")
	}
	return sqlite.Migrate(ctx, path)
}

// Node is a running Truce server.
type Node struct {
	Config Config
	Store  Store
	// Base is the store, journal, accounts and zones the capabilities
	// are built over.
	Base *Base
	// Journal is the server's one journal (every capability writes
	// through it) and its read side: entries and proofs.
	Journal *journal.Service
	// Accounts holds parties, users, tokens, keys and sign-in.
	Accounts *accounts.Service
	// Zones holds the agreements, their zones and the in-force index.
	Zones *zones.Service
	API   *api.Server
	// LogVerifierKey is the deployment's log verifier key.
	LogVerifierKey string
	// Ledger signs checkpoints over the journal; Policy is what a verifier
	// of this deployment's checkpoints should ask for (log key, witnesses,
	// quorum).
	Ledger *ledger.Log
	Policy ledger.Policy
	// UI is the web interface mounted at /; capabilities add pages and
	// map layers to it.
	UI            *ui.UI
	witnesses     []*witness
	witnessMaxAge time.Duration
	stopLedger    func()
	selfCheck     *selfCheck
	refresh       *refresher       // retries engine refreshes that failed (follow.go)
	reconciled    reconcileState   // what the last reconciliation read (follow.go)
	kept          *fileCheckpoints // the latest checkpoint, kept in the data directory too (vouch.go)
	stopFollowing func()
	// startReconciling starts the reconciliation loop (follow.go).
	startReconciling func()
	// Airspace is the air picture: the monitor, its feeds and alerts.
	Airspace *airspace.Host
	log      *slog.Logger
	// Events is the event bus behind /api/v1/events and webhooks.
	Events     *events.Bus
	dispatcher *events.Dispatcher
	// stopRemote ends followRemote; remoteDone is closed when it has.
	stopRemote context.CancelFunc
	remoteDone chan struct{}

	// Humanitarian is humanitarian notification: sites, transmissions,
	// acknowledgements.
	Humanitarian *humanitarian.Service

	closeOnce sync.Once
	closeErr  error

	// Observation is ceasefire observation: observations, incidents,
	// verification (observation.go).
	Observation *observation.Service
	// Control holds actors, control areas, guarantees and breaches;
	// stopControl ends its escalation loop (control.go).
	Control     *control.Service
	stopControl func()
	// kickControl wakes the control loop (followControl).
	kickControl chan struct{}
	// Operations is joint operations: filing, deconfliction, approval
	// (operations.go).
	Operations *operations.Service
	// stopSweeps ends humanitarian notification's reminder loop.
	stopSweeps func()

	// Air keeps the air picture's records: alerts, the aircraft registry
	// and the feeds (airspace.go).
	Air *airspace.Service
}

// LogKeyPath is where the deployment's log signing key lives.
func LogKeyPath(dataDir string) string { return filepath.Join(dataDir, "log.key") }

// Open opens the data directory (which init must have created) and builds
// the node.
func Open(ctx context.Context, c Config) (*Node, error) {
	c.defaults()
	vkey, err := os.ReadFile(LogKeyPath(c.DataDir) + ".pub")
	if err != nil {
		return nil, fmt.Errorf("data directory %s is not initialised (run truce init): %w", c.DataDir, err)
	}
	st, svc, err := openServices(ctx, c)
	if err != nil {
		return nil, err
	}
	n := &Node{Config: c, Store: st, Base: svc, Journal: journal.NewService(svc.Journal, st), Accounts: svc.Accounts, Zones: svc.Zones, LogVerifierKey: strings.TrimSpace(string(vkey)), log: c.Logger}
	n.API = api.NewServer(api.Services{Parties: n.Accounts, Users: n.Accounts, Tokens: n.Accounts, Journal: n.Journal, Auth: n.Accounts, Store: st, Proofs: n.Journal},
		api.Config{MaxBodyBytes: c.MaxBodyBytes, BodyTimeout: c.BodyTimeout, WriteLimit: c.WriteLimit, FeedLimit: c.FeedLimit, Logger: c.Logger})
	n.Journal.OnAppend = n.API.ObserveAppend
	// The log first: every load below checks the entries it reads against
	// the Merkle tree's leaves (journal.Ledger), which it cannot before.
	if err := n.openLedger(c); err != nil {
		st.Close()
		return nil, err
	}
	n.Air = airspace.NewService(st.Airspace(), n.Journal.Journal, n.Accounts)
	n.Zones.Index = n.Zones.NewIndex()
	if err := n.Zones.Index.Load(ctx, n.Journal.Now()); err != nil {
		st.Close()
		return nil, fmt.Errorf("zone index: %w", err)
	}
	n.startFollowing()
	n.Journal.OnEvent = n.follow
	if err := n.openHumanitarian(); err != nil {
		st.Close()
		return nil, err
	}
	n.registerRoutes()
	if err := n.mountUI(); err != nil {
		st.Close()
		return nil, fmt.Errorf("web UI: %w", err)
	}
	if err := n.startObservation(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("observation: %w", err)
	}
	if err := n.startLedger(); err != nil {
		st.Close()
		return nil, err
	}
	n.startHumanitarian()
	n.startControl()
	if err := n.openEvents(); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.startAirspace(ctx, c); err != nil {
		n.Close()
		return nil, fmt.Errorf("airspace monitor: %w", err)
	}
	n.followIntents()
	n.startReconciling()
	rctx, stop := context.WithCancel(context.Background())
	n.stopRemote = stop
	if err := n.followRemote(rctx); err != nil {
		n.Close()
		return nil, fmt.Errorf("following other servers: %w", err)
	}
	return n, nil
}

// follow hands a committed change's event to the engines that follow
// changes (streams and webhooks already have it: it was logged with the
// change). The zone index is refreshed before the request that made the
// change returns, so a client reads its own writes.
func (n *Node) follow(e truce.Event) {
	n.followZones(e)
	n.followControl(e)
	n.followAlerts(e)
	n.followOperations(e)
	if n.Airspace != nil {
		n.Airspace.Handle(e)
	}
}

// Close stops the node's engines and closes the store; later calls
// return what the first returned.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.close() })
	return n.closeErr
}

func (n *Node) close() error {
	if n.stopRemote != nil {
		n.stopRemote()
		if n.remoteDone != nil {
			<-n.remoteDone
		}
	}
	if n.stopFollowing != nil {
		n.stopFollowing()
	}
	if n.stopControl != nil {
		n.stopControl()
	}
	if n.stopSweeps != nil {
		n.stopSweeps()
	}
	if n.Airspace != nil {
		n.Airspace.Stop()
	}
	if n.stopLedger != nil {
		n.stopLedger()
	}
	n.closeEvents()
	return n.Store.Close()
}

// DefaultHeaderTimeout is how long a request's line and headers may take
// to arrive.
const DefaultHeaderTimeout = 10 * time.Second

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully:
// in-flight requests finish (up to 30 s) before the store is closed by the
// caller.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	ht := n.Config.HeaderTimeout
	if ht <= 0 {
		ht = DefaultHeaderTimeout
	}
	srv := &http.Server{Handler: n.API, ReadHeaderTimeout: ht, IdleTimeout: 2 * time.Minute}
	srv.RegisterOnShutdown(n.Events.EndStreams)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	n.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	n.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// OpenService opens the store and the services over it, with the
// deployment's keys but none of a server's engines (log signer, event
// bus, monitor, self-check): for set-up work such as init and the demo,
// after which the node is opened to serve. Close its Store when done.
func OpenService(ctx context.Context, c Config) (*Base, error) {
	_, svc, err := openServices(ctx, c)
	return svc, err
}

// openServices opens the store, wrapped as configured, and the services
// over it.
func openServices(ctx context.Context, c Config) (Store, *Base, error) {
	c.defaults()
	st, err := OpenStore(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if c.WrapStore != nil {
		st = c.WrapStore(st)
	}
	keys, err := openKeys(ctx, c, st.Accounts())
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	j := journal.New(st)
	j.Log = c.Logger
	acc := accounts.New(st.Accounts(), j, keys)
	zs := zones.New(st.ZoneStore(), acc)
	zs.MaxVertices = c.MaxVertices
	svc := &Base{Journal: acc.Journal, Store: st, Accounts: acc, Zones: zs}
	return st, svc, nil
}

// InitOptions are the first administrator's details.
type InitOptions struct {
	PartySlug, PartyName string
	PartyKind            truce.PartyKind
	Username, Password   string
}

// InitResult is what Init created. Token is empty when the deployment was
// already initialised.
type InitResult struct {
	LogVerifierKey string
	LogKeyCreated  bool
	Party          *truce.Party
	User           *truce.User
	Token          *truce.Token
}

// Init creates the data directory, the database, the log signing key and
// the first administrator with a token. Run again, it keeps what exists.
func Init(ctx context.Context, c Config, o InitOptions) (*InitResult, error) {
	c.defaults()
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, err
	}
	vkey, created, err := ledger.GenerateLogKey(LogKeyPath(c.DataDir), LogOrigin(c.Name))
	if err != nil {
		return nil, err
	}
	res := &InitResult{LogVerifierKey: strings.TrimSpace(vkey), LogKeyCreated: created}
	svc, err := OpenService(ctx, c)
	if err != nil {
		return nil, err
	}
	defer svc.Store.Close()
	p, u, t, err := svc.Accounts.Bootstrap(ctx, truce.PartyCreate{Slug: o.PartySlug, Name: o.PartyName, Kind: o.PartyKind},
		truce.UserCreate{Username: o.Username, Name: "Administrator", Roles: []truce.Role{truce.RoleAdmin}, Password: o.Password})
	if truce.ErrorCode(err) == truce.ECONFLICT {
		return res, nil
	} else if err != nil {
		return nil, err
	}
	res.Party, res.User, res.Token = p, u, t
	return res, nil
}

// LogOrigin derives the log's checkpoint origin from the deployment name:
// a schema-less URL-like string, as C2SP tlog-checkpoint recommends.
func LogOrigin(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '/':
			b.WriteRune('-')
		}
	}
	if b.Len() == 0 {
		return "truce.log/default"
	}
	return "truce.log/" + b.String()
}
