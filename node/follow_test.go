package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/agreetest"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/zones"
)

// flakyStore fails, while failing is set, the reads the engines make to
// follow a commit, as a dropped database connection would; writes (and
// the reads inside their transactions) go through.
type flakyStore struct {
	// Unwritable fails every write while its Failing is set
	// (alertjournal_test.go).
	teststores.Unwritable
	failing atomic.Bool
	failed  atomic.Int64
}

func (s *flakyStore) fail() bool {
	if s.failing.Load() {
		s.failed.Add(1)
		return true
	}
	return false
}

var errDropped = truce.Errorf(truce.EUNAVAILABLE, "injected fault: the database connection was dropped")

func (s *flakyStore) ZoneVersions(ctx context.Context, id string) ([]*truce.ZoneVersion, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.ZoneVersions(ctx, id)
}

func (s *flakyStore) ZoneVersionsInForceAfter(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.ZoneVersionsInForceAfter(ctx, t)
}

func (s *flakyStore) Zone(ctx context.Context, id string) (*truce.Zone, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.Zone(ctx, id)
}

func (s *flakyStore) Zones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.Zones(ctx, f)
}

func (s *flakyStore) Agreement(ctx context.Context, id string) (*truce.Agreement, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.Agreement(ctx, id)
}

func (s *flakyStore) Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error) {
	if s.fail() {
		return nil, errDropped
	}
	return s.Store.Agreements(ctx, f)
}

// ZoneStore is the zones' view with the flaky reads.
func (s *flakyStore) ZoneStore() zones.Store { return flakyZones{s, s.Store.ZoneStore()} }

type flakyZones struct {
	*flakyStore
	view zones.Store
}

func (z flakyZones) Update(ctx context.Context, fn func(zones.Tx) error) error {
	return z.view.Update(ctx, fn)
}

// flakyNode opens a server over a flakyStore (SQLite, or PostgreSQL when
// postgres is true) and returns it with the store and an administrator's
// context.
func flakyNode(t *testing.T, pg bool) (*Node, *flakyStore, context.Context) {
	ctx := context.Background()
	fs := &flakyStore{}
	cfg := Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SelfCheck: "off",
		WrapStore: func(st Store) Store {
			switch st := st.(type) {
			case *sqlite.Store:
				fs.Store = st.Store
			case *postgres.Store:
				fs.Store = st.Store
			default:
				t.Fatalf("store %T", st)
			}
			return fs
		}}
	if pg {
		cfg.DB = pgtest.DSN(t)
	}
	initCfg := cfg
	initCfg.WrapStore = nil
	res, err := Init(ctx, initCfg, InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, fs, truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
}

// failAfterCommit makes the store fail every read from the moment a change
// of the given kind has committed (before the engines follow it) until
// the returned function is called.
func failAfterCommit(n *Node, fs *flakyStore, kind string) (stop func()) {
	var armed atomic.Bool
	armed.Store(true)
	observe := n.Journal.OnAppend
	n.Journal.OnAppend = func(k string, index int64) {
		observe(k, index)
		if k == kind && armed.Load() {
			fs.failing.Store(true)
		}
	}
	return func() { armed.Store(false); fs.failing.Store(false) }
}

// readyz returns /readyz's status and problems.
func readyz(t *testing.T, n *Node) (int, []string) {
	t.Helper()
	rec := httptest.NewRecorder()
	n.API.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body struct {
		Problems []string `json:"problems"`
	}
	json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body.Problems
}

func hasProblem(ps []string, words ...string) bool {
	for _, p := range ps {
		all := true
		for _, w := range words {
			all = all && strings.Contains(p, w)
		}
		if all {
			return true
		}
	}
	return false
}

// inForceAgreement creates an agreement signed by the administrator's
// party alone, in force from an hour ago, with the given rules.
func inForceAgreement(t *testing.T, n *Node, admin context.Context, signatories []string, rules truce.AgreementRules) *truce.Agreement {
	t.Helper()
	ag, err := n.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Test", Signatories: signatories, EffectiveFrom: time.Now().Add(-time.Hour), Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return agreetest.InForce(t, n.Zones, n.Accounts, admin, ag.ID)
}

const boxGeometry = `{"type":"Polygon","coordinates":[[[36,33],[36.2,33],[36.2,33.2],[36,33.2],[36,33]]]}`

// flyInto reports an aircraft inside the box (at testwait's polling
// pace) until a zone entry alert for zoneID is journalled (true) or 10 s
// pass (false).
func flyInto(t *testing.T, n *Node, zoneID string, icao uint32) bool {
	t.Helper()
	ctx := context.Background()
	return testwait.Until(10*time.Second, func() bool {
		p := feed.Position{ICAO: icao, Lat: 33.1, Lon: 36.1, AltFt: 3000, AltM: 3000 * feed.FeetToMetres, Time: time.Now().UTC(),
			Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude}
		n.IngestPosition(p)
		as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: "zone_entry", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.ZoneID == zoneID {
				return true
			}
		}
		return false
	})
}

// TestFollow_ZoneRefreshRetried: the reads that follow a zone's approval
// fail (a dropped connection); the zone is in force in the database, so
// /readyz reports the zone index stale while the
// reads fail, the refresh is retried until it succeeds, and an aircraft
// flown into the zone then raises an entry alert.
func TestFollow_ZoneRefreshRetried(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "store=sqlite"
		if pg {
			name = "store=postgres"
		}
		t.Run(name, func(t *testing.T) {
			n, fs, admin := flakyNode(t, pg)
			ag := inForceAgreement(t, n, admin, []string{truce.CallerFrom(admin).Party.ID}, truce.AgreementRules{})
			z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
			if err != nil {
				t.Fatal(err)
			}
			stop := failAfterCommit(n, fs, "zone")
			if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
				t.Fatal(err)
			}
			if fs.failed.Load() == 0 {
				t.Fatal("no read failed after the commit: the test injected nothing")
			}
			code, problems := readyz(t, n)
			if code != http.StatusServiceUnavailable || !hasProblem(problems, "zone index", z.ID, "stale") {
				t.Fatalf("/readyz while the refresh fails: %d %q; want 503 naming the stale zone index", code, problems)
			}
			// Retries have failed (reads failed after the first refresh's)
			// before the database comes back.
			before := fs.failed.Load()
			testwait.For(t, 10*time.Second, "failed retries", func() bool { return fs.failed.Load() >= before+2 })
			stop()
			fresh := testwait.Until(10*time.Second, func() bool {
				_, problems = readyz(t, n)
				return !hasProblem(problems, "stale")
			})
			if !fresh {
				t.Fatalf("still stale 10 s after the database came back: %q", problems)
			}
			if !flyInto(t, n, z.ID, 0x4CA001) {
				t.Fatal("no entry alert for an aircraft flown into the zone approved while reads failed")
			}
		})
	}
}

// TestFollow_SeparationsRetried: the reads that follow an agreement's
// coming into force fail; /readyz reports the separation minima stale,
// and once the reads succeed again the agreement's 40 NM minimum holds
// (two parties' aircraft 30 NM apart raise a proximity alert).
func TestFollow_SeparationsRetried(t *testing.T) {
	n, fs, admin := flakyNode(t, false)
	var parties []string
	for _, slug := range []string{"us", "ru"} {
		p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		parties = append(parties, p.ID)
	}
	for i, icao := range []string{"AE0001", "150001"} {
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: parties[i], ICAO: icao}); err != nil {
			t.Fatal(err)
		}
	}
	ag, err := n.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Air safety", Signatories: parties,
		EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{SeparationNM: 40, SeparationFt: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	// The signatures that bring it into force: the last one's commit
	// starts the outage.
	ops := agreetest.Operators(t, n.Accounts, admin, parties...)
	if _, err := n.Zones.ProposeAgreement(admin, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Zones.DecideAgreement(ops[0], ag.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	stop := failAfterCommit(n, fs, "agreement")
	if ag, err := n.Zones.DecideAgreement(ops[1], ag.ID, 1, truce.ZoneDecision{Approve: true}); err != nil || ag.Status != truce.AgreementInForce {
		t.Fatal(ag, err)
	}
	code, problems := readyz(t, n)
	if code != http.StatusServiceUnavailable || !hasProblem(problems, "separation minima", "stale") {
		t.Fatalf("/readyz while the refresh fails: %d %q; want 503 naming the separation minima", code, problems)
	}
	stop()
	alerted := testwait.Until(10*time.Second, func() bool {
		for i, icao := range []uint32{0xAE0001, 0x150001} {
			n.IngestPosition(feed.Position{ICAO: icao, Lat: 33 + float64(i)/2, Lon: 36, AltFt: 20000, AltM: 20000 * feed.FeetToMetres,
				Time: time.Now().UTC(), Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude})
		}
		as, err := n.Store.Airspace().Alerts(context.Background(), truce.AlertFilter{Kind: "proximity", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(as) > 0
	})
	if !alerted {
		t.Fatal("no proximity alert at 30 NM under the agreed 40 NM after the database came back")
	}
}

// TestFollow_Reconciled: a change the server did not follow (as if its
// refresh had been lost) is found by the periodic reconciliation with the
// database, and the zone is watched.
func TestFollow_Reconciled(t *testing.T) {
	every := reconcileEvery
	reconcileEvery = 200 * time.Millisecond
	t.Cleanup(func() { reconcileEvery = every })
	n, _, admin := flakyNode(t, false)
	ag := inForceAgreement(t, n, admin, []string{truce.CallerFrom(admin).Party.ID}, truce.AgreementRules{})
	z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	follow := n.Journal.OnEvent
	n.Journal.OnEvent = nil // the change is committed but not followed
	if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	n.Journal.OnEvent = follow
	if ids := n.Zones.Index.Containing(36.1, 33.1, 1000, time.Now()); len(ids) != 0 {
		t.Fatalf("the zone is in the index without being followed: %v", ids)
	}
	if !flyInto(t, n, z.ID, 0x4CA002) {
		t.Fatal("no entry alert: the reconciliation did not bring the zone in")
	}
}
