package airspace_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/agreetest"
	"github.com/truce-project/truce/internal/sbstest"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
)

// TestAirspace_AlertQueueBounded floods the monitor with alerts faster
// than the journal writes them through a queue lowered to 16: the queue
// never grows past its bound, the engine is held back rather than an
// alert dropped, and every alert reaches the journal.
func TestAirspace_AlertQueueBounded(t *testing.T) {
	ctx := context.Background()
	n, _ := openNode(t, node.Config{})
	a := n.Airspace
	a.SetQueueLimit(16)

	const aircraft = 600
	sq, _ := feed.ParseSquawk("7700")
	t0 := time.Now().UTC()
	for i := range aircraft {
		p := feed.Position{ICAO: 0x700000 + uint32(i), Squawk: sq, Lat: 33 + float64(i)*0.01, Lon: 36, Time: t0, Source: "test",
			Present: feed.FieldSquawk | feed.FieldLatLon}
		// Shed under overload: offer it again.
		testwait.For(t, time.Minute, "the monitor to take a position", func() bool { return n.IngestPosition(p) })
	}
	var got int
	testwait.Until(60*time.Second, func() bool {
		got = 0
		for cursor := ""; ; {
			as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertKind("emergency_squawk"), Cursor: cursor, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			got += len(as)
			if len(as) < 500 {
				break
			}
			cursor = as[len(as)-1].ID
		}
		return got >= aircraft
	})
	peak := a.QueuePeak()
	if got != aircraft {
		t.Fatalf("%d emergency alerts journalled, want %d", got, aircraft)
	}
	if peak > 16 {
		t.Fatalf("alert queue reached %d, bound 16", peak)
	}
	if a.QueueWaits() == 0 {
		t.Fatalf("the engine never waited: the test did not fill the queue (peak %d)", peak)
	}
	t.Logf("peak queue %d, engine waited %d times", peak, a.QueueWaits())
}

// TestAirspace_SeparationPerAgreement: two parties' aircraft 30 NM apart
// are not in proximity under the default 5 NM, and are once an agreement
// in force between the two parties sets 40 NM (agreed while the monitor
// runs, so its proximity grid, sized for 5 NM, must grow).
func TestAirspace_SeparationPerAgreement(t *testing.T) {
	ctx := context.Background()
	n, admin := openNode(t, node.Config{})
	var parties []*truce.Party
	for _, slug := range []string{"us", "ru"} {
		p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		parties = append(parties, p)
	}
	for i, icao := range []string{"AE0001", "150001"} {
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: parties[i].ID, ICAO: icao}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC()
	// Two aircraft at the same altitude, 30 NM apart (half a degree of
	// latitude).
	report := func() {
		for i, icao := range []uint32{0xAE0001, 0x150001} {
			p := feed.Position{ICAO: icao, Lat: 33 + float64(i)/2, Lon: 36, AltFt: 20000, AltM: 20000 * feed.FeetToMetres,
				// Timed when sent: a report more than 10 s ahead of the
				// clock would be refused (monitor.Config.MaxAhead).
				Time: time.Now().UTC(), Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude}
			testwait.For(t, time.Minute, "the monitor to take a position", func() bool { return n.IngestPosition(p) })
		}
	}
	proximity := func() int {
		as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertKind("proximity"), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	wait := func(want int) int {
		testwait.Until(10*time.Second, func() bool {
			if proximity() >= want {
				return true
			}
			report()
			return false
		})
		return proximity()
	}
	for range 5 {
		report()
	}
	e := n.Monitor()
	testwait.Until(10*time.Second, func() bool { return e.Counters.Processed.Load() >= 10 })
	if e.Counters.Processed.Load() < 10 || e.Counters.Alerts.Load() != 0 {
		t.Fatalf("under the default 5 NM: %d positions processed, %d alerts; want 10 and none", e.Counters.Processed.Load(), e.Counters.Alerts.Load())
	}
	ag, err := n.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Air safety", Signatories: []string{parties[0].ID, parties[1].ID},
		EffectiveFrom: t0.Add(-time.Hour), Rules: truce.AgreementRules{SeparationNM: 40, SeparationFt: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	agreetest.InForce(t, n.Zones, n.Accounts, admin, ag.ID)
	if got := wait(1); got != 1 {
		t.Fatalf("%d proximity alerts at 30 NM under the agreed 40 NM, want 1", got)
	}
}

// twoServers opens two servers on one PostgreSQL database with the same
// log key, as a deployment would; the first is opened first (and so takes
// the feeds lease). It returns them and an administrator's context.
// openNode initialises a deployment as cfg says (its data directory a
// temporary one, its log discarded and its self-check off unless cfg sets
// them; cfg.WrapStore only when the node opens, not for the set-up) and
// opens a node on it, closed when the test ends. It returns the node and
// its administrator's context.
func openNode(t testing.TB, cfg node.Config) (*node.Node, context.Context) {
	t.Helper()
	ctx := context.Background()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.SelfCheck == "" {
		cfg.SelfCheck = "off"
	}
	initCfg := cfg
	initCfg.WrapStore = nil
	res, err := node.Init(ctx, initCfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
}

func twoServers(t *testing.T) (a, b *node.Node, admin context.Context) {
	return twoServersOn(t, pgtest.DSN(t))
}

// twoServersOn is twoServers on the PostgreSQL database dsn.
func twoServersOn(t *testing.T, dsn string) (a, b *node.Node, admin context.Context) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	cfgA := node.Config{DataDir: dirA, DB: dsn, Logger: quiet, SelfCheck: "off"}
	res, err := node.Init(ctx, cfgA, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dirB, os.DirFS(dirA)); err != nil {
		t.Fatal(err)
	}
	if a, err = node.Open(ctx, cfgA); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = node.Open(ctx, node.Config{DataDir: dirB, DB: dsn, Logger: quiet, SelfCheck: "off"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b, truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
}

func shortLeases(t *testing.T) {
	airspace.SetLeases(t, 600*time.Millisecond, 100*time.Millisecond)
}

// TestAirspace_FeedsLease: two servers share a PostgreSQL database and a
// configured SBS source; only the holder of the feeds lease connects to
// it, and when that server stops the other takes the feeds over.
func TestAirspace_FeedsLease(t *testing.T) {
	shortLeases(t)
	src := sbstest.New(t)
	a, _, admin := twoServers(t)
	if _, err := a.Air.AddFeed(admin, truce.FeedSource{Kind: "sbs", Addr: src.Addr(), Name: "radar"}); err != nil {
		t.Fatal(err)
	}
	src.Wait(t, 1, "two servers")
	// Several renewals of the 100 ms lease: still one connection. What is
	// checked is that nothing happens over a while, so the time must pass.
	time.Sleep(5 * 100 * time.Millisecond)
	if src.Most() != 1 {
		t.Fatalf("%d connections were open at once with two servers, want 1", src.Most())
	}
	a.Close()
	src.Wait(t, 0, "the first server stopped")
	src.Wait(t, 1, "the second server takes over")
	if src.Most() != 1 {
		t.Fatalf("%d connections at once during the takeover", src.Most())
	}
}

// TestAirspace_FeedsLeaseStalled: a server whose lease renewals stall (the
// database stops answering it, or the process is starved) stops its feeds
// before its lease can run out, so that it is never connected to a source
// after another server may have taken the lease. The renewals are stalled
// by holding the lease's row locked for three lease periods. Before the
// server kept a deadline of its own, it stayed connected throughout.
func TestAirspace_FeedsLeaseStalled(t *testing.T) {
	shortLeases(t)
	src := sbstest.New(t)
	dsn := pgtest.DSN(t)
	a, _, admin := twoServersOn(t, dsn)
	if _, err := a.Air.AddFeed(admin, truce.FeedSource{Kind: "sbs", Addr: src.Addr(), Name: "radar"}); err != nil {
		t.Fatal(err)
	}
	src.Wait(t, 1, "two servers")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT * FROM leases FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// The lease is 600 ms; its holder must let go of the source before
	// then, although no renewal answers.
	start := time.Now()
	src.Wait(t, 0, "renewals stalled")
	if d := time.Since(start); d > 600*time.Millisecond {
		t.Errorf("the feeds stopped %v after the renewals stalled; the lease is 600 ms", d)
	}
	time.AfterFunc(1800*time.Millisecond, func() { tx.Rollback() })
	src.Wait(t, 1, "renewals answered again")
	if src.Most() != 1 {
		t.Fatalf("%d connections at once", src.Most())
	}
}

// TestNode_FollowsOtherServers: what one server changes reaches the other's
// engines: a zone approved through the second server is in the first's
// live zone index, and a feed added through the second is started by the
// first, which holds the feeds lease.
func TestNode_FollowsOtherServers(t *testing.T) {
	shortLeases(t)
	src := sbstest.New(t)
	a, b, admin := twoServers(t)
	party := truce.CallerFrom(admin).Party.ID
	ag, err := b.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Test", Signatories: []string{party}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	agreetest.InForce(t, b.Zones, b.Accounts, admin, ag.ID)
	z, _, err := b.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.2,33],[36.2,33.2],[36,33.2],[36,33]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if ids := b.Zones.Index.Containing(36.1, 33.1, 1000, time.Now()); len(ids) != 1 {
		t.Fatalf("the server that made the change has %d zones at the point, want 1", len(ids))
	}
	if !testwait.Until(10*time.Second, func() bool { return len(a.Zones.Index.Containing(36.1, 33.1, 1000, time.Now())) == 1 }) {
		t.Fatal("the other server's zone index never got the zone")
	}
	if _, err := b.Air.AddFeed(admin, truce.FeedSource{Kind: "sbs", Addr: src.Addr(), Name: "radar"}); err != nil {
		t.Fatal(err)
	}
	src.Wait(t, 1, "a feed added through the server without the lease")
	if src.Most() != 1 {
		t.Fatalf("%d connections at once, want 1", src.Most())
	}
}

// TestAirspace_StaleAfterConfigured: the server's stale-after setting
// reaches the monitor: a track silent for longer than 1 s is dropped.
func TestAirspace_StaleAfterConfigured(t *testing.T) {
	n, _ := openNode(t, node.Config{StaleAfter: time.Second})
	if !n.IngestPosition(feed.Position{ICAO: 0x4CA123, Lat: 33, Lon: 36, Time: time.Now().UTC(), Source: "test", Present: feed.FieldLatLon}) {
		t.Fatal("position shed")
	}
	e := n.Monitor()
	if !testwait.Until(5*time.Second, func() bool { return e.Counters.Processed.Load() >= 1 }) {
		t.Fatal("the position was never processed")
	}
	if e.Len() != 1 {
		t.Fatalf("%d tracks after one position", e.Len())
	}
	if !testwait.Until(5*time.Second, func() bool { return e.Len() == 0 }) {
		t.Fatal("the track was not dropped within 5 s with stale-after 1 s")
	}
}
