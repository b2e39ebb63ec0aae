package node

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/sbstest"
	"github.com/truce-project/truce/internal/sqlstore"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tamperEnv is a deployment whose database a test edits between runs of
// the server, as an insider with access to the database would: a real
// SQLite file, or a PostgreSQL schema.
type tamperEnv struct {
	cfg   Config
	pg    bool
	admin *truce.Caller
	token string
}

func newTamperEnv(t *testing.T, pg bool) *tamperEnv {
	cfg := Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SelfCheck: "off"}
	if pg {
		cfg.DB = pgtest.DSN(t)
	}
	res, err := Init(context.Background(), cfg, InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return &tamperEnv{cfg: cfg, pg: pg, admin: &truce.Caller{User: res.User, Party: res.Party}, token: res.Token.Secret}
}

// open starts a server; selfCheck runs the full self-check.
// mustOpen opens the server without the start-up self-check, failing
// the test if it does not open.
func (e *tamperEnv) mustOpen(t *testing.T) *Node {
	t.Helper()
	n, err := e.open(t, false)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *tamperEnv) open(t *testing.T, selfCheck bool) (*Node, error) {
	cfg := e.cfg
	if selfCheck {
		cfg.SelfCheck = SelfCheckFull
	}
	n, err := Open(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { n.Close() })
	}
	return n, err
}

// edit runs statements on the stopped server's database; "?" are its
// parameters on either database.
func (e *tamperEnv) edit(t *testing.T, fn func(exec func(q string, args ...any), query func(q string, args ...any) *sql.Row)) {
	t.Helper()
	var db *sql.DB
	var err error
	if e.pg {
		db, err = postgres.OpenDB(context.Background(), e.cfg.DB)
	} else {
		db, err = sqlite.OpenDB(filepath.Join(e.cfg.DataDir, "truce.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rebind := func(q string) string {
		if !e.pg {
			return q
		}
		var b strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	fn(func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}, func(q string, args ...any) *sql.Row { return db.QueryRow(rebind(q), args...) })
}

// noFlyZone makes an agreement in force and a no-fly zone in force in it
// (the box between 36°E 33°N and 36.2°E 33.2°N).
func noFlyZone(t *testing.T, n *Node, admin context.Context) *truce.Zone {
	t.Helper()
	ag := inForceAgreement(t, n, admin, []string{truce.CallerFrom(admin).Party.ID}, truce.AgreementRules{})
	z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	return z
}

// get answers an API request as the administrator.
func (e *tamperEnv) get(n *Node, path string) (int, string) {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Authorization", "Bearer "+e.token)
	n.API.ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

func stores(t *testing.T, fn func(t *testing.T, pg bool)) {
	t.Run("store=sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("store=postgres", func(t *testing.T) { fn(t, true) })
}

// waitReadyz waits until /readyz is 503 with a problem holding every word.
func waitReadyz(t *testing.T, n *Node, words ...string) []string {
	t.Helper()
	var problems []string
	var code int
	if !testwait.Until(20*time.Second, func() bool {
		code, problems = readyz(t, n)
		return code == http.StatusServiceUnavailable && hasProblem(problems, words...)
	}) {
		t.Fatalf("/readyz: %d %q; want 503 with a problem naming %q", code, problems, words)
	}
	return problems
}

// TestVouch_ZoneDocEdited: an approved no-fly zone's stored version is
// moved to 10°N 10°E in the database. The zone index, loaded at start-up,
// holds the zone where the journal says it is (an aircraft flown into it
// raises an alert, none at 10°N 10°E is in it), and reports the record;
// the API refuses to serve it (500, code integrity); the self-check fails
// naming it; /readyz is not ready; the refusals are counted.
func TestVouch_ZoneDocEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		z := noFlyZone(t, n, truce.NewContext(context.Background(), e.admin))
		n.Close()

		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT doc FROM zone_versions WHERE zone_id = ? AND version = 1`, z.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			moved := strings.NewReplacer("[36,33]", "[10,10]", "[36.2,33]", "[10.2,10]", "[36.2,33.2]", "[10.2,10.2]", "[36,33.2]", "[10,10.2]").Replace(doc)
			if moved == doc {
				t.Fatalf("the geometry was not found in %s", doc)
			}
			exec(`UPDATE zone_versions SET doc = ?, min_lon = 10, min_lat = 10, max_lon = 10.2, max_lat = 10.2 WHERE zone_id = ? AND version = 1`, moved, z.ID)
		})

		n, err := e.open(t, true)
		if err != nil {
			t.Fatal(err)
		}
		// The engine load.
		if ids := n.Zones.Index.Containing(10.1, 10.1, 1000, time.Now()); len(ids) != 0 {
			t.Errorf("the zone index holds the edited geometry at 10°N 10°E: %v", ids)
		}
		if ids := n.Zones.Index.Containing(36.1, 33.1, 1000, time.Now()); len(ids) != 1 {
			t.Errorf("the zone index lost the zone where the journal puts it: %v", ids)
		}
		if !flyInto(t, n, z.ID, 0x4CA003) {
			t.Error("no entry alert for an aircraft flown into the zone where the journal puts it")
		}
		// The API.
		code, body := e.get(n, "/api/v1/zones/"+z.ID+"/history")
		if code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) || !strings.Contains(body, z.ID) || !strings.Contains(body, `"request_id"`) {
			t.Errorf("GET the edited zone's history: %d %.300s; want 500, code integrity, the zone and a request id", code, body)
		}
		if strings.Contains(body, "[10,10]") {
			t.Errorf("the edited geometry was served: %.300s", body)
		}
		// The self-check, and /readyz meanwhile.
		problems := waitReadyz(t, n, "self-check failed", z.ID)
		if !hasProblem(problems, "integrity", z.ID, "version 1") {
			t.Errorf("/readyz does not name the refused record: %q", problems)
		}
		if n.Journal.Integrity.Mismatches.Load() == 0 {
			t.Error("no refusal counted")
		}
	})
}

// TestVouch_BodyHashEdited: an entry's body_hash column is edited; the
// API refuses to serve the entry (it used to serve the edited hash), and
// the zone index, which needs only the leaf and the body, still holds the
// zone (and reports the entry).
func TestVouch_BodyHashEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		z := noFlyZone(t, n, truce.NewContext(context.Background(), e.admin))
		zv, err := n.Store.ZoneStore().ZoneVersion(context.Background(), z.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		idx := zv.Decisions[0].JournalIndex
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE journal SET body_hash = ? WHERE idx = ?`, strings.Repeat("0", 64), idx)
		})
		n, err = e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		code, body := e.get(n, fmt.Sprintf("/api/v1/journal/%d", idx))
		if code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) || strings.Contains(body, strings.Repeat("0", 64)) {
			t.Errorf("GET the edited entry: %d %.300s; want 500 integrity, without the edited hash", code, body)
		}
		if code, body := e.get(n, "/api/v1/journal?start=0"); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) {
			t.Errorf("GET the journal: %d %.300s; want 500 integrity", code, body)
		}
		if ids := n.Zones.Index.Containing(36.1, 33.1, 1000, time.Now()); len(ids) != 1 {
			t.Errorf("the zone index lost the zone: %v", ids)
		}
		waitReadyz(t, n, "integrity", fmt.Sprintf("entry %d", idx))
	})
}

// TestVouch_CheckpointRowsDeleted: the signed checkpoints are deleted
// from the database; the server, which keeps the latest in its data
// directory, refuses to start rather than sign again.
func TestVouch_CheckpointRowsDeleted(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		noFlyZone(t, n, truce.NewContext(context.Background(), e.admin))
		waitSigned(t, n)
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`DELETE FROM log_checkpoints`)
		})
		_, err := e.open(t, false)
		if !errors.Is(err, ErrLogRolledBack) || !strings.Contains(err.Error(), "checkpoint rows were deleted") {
			t.Fatalf("start-up after the checkpoints were deleted: %v; want %v naming deleted checkpoint rows", err, ErrLogRolledBack)
		}
	})
}

// TestVouch_JournalTailDeleted: the journal's last entries are deleted,
// with their hashes and the checkpoints that covered them, and the log
// head set back, so that the database is a consistent smaller log; the
// server refuses to start: it signed a larger one.
func TestVouch_JournalTailDeleted(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, truce.AgreementRules{})
		keep, err := n.Store.JournalSize(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)}); err != nil {
			t.Fatal(err)
		}
		size := waitSigned(t, n)
		if size <= keep {
			t.Fatalf("signed size %d, want more than %d", size, keep)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`DELETE FROM zone_versions`)
			exec(`DELETE FROM zones`)
			exec(`DELETE FROM journal WHERE idx >= ?`, keep)
			exec(`DELETE FROM log_hashes WHERE id >= ?`, tlog.StoredHashIndex(0, keep))
			exec(`DELETE FROM log_checkpoints WHERE size > ?`, keep)
			exec(`UPDATE log_head SET size = ?`, keep)
		})
		_, err = e.open(t, false)
		if !errors.Is(err, ErrLogRolledBack) || !strings.Contains(err.Error(), fmt.Sprintf("holds %d entries, fewer than the %d", keep, size)) {
			t.Fatalf("start-up after the journal's tail was deleted: %v; want %v naming %d and %d entries", err, ErrLogRolledBack, keep, size)
		}
	})
}

// waitSigned waits until the latest checkpoint covers the whole journal
// and returns its size.
func waitSigned(t *testing.T, n *Node) int64 {
	t.Helper()
	ctx := context.Background()
	var size int64
	if !testwait.Until(10*time.Second, func() bool {
		var err error
		if size, err = n.Store.JournalSize(ctx); err != nil {
			t.Fatal(err)
		}
		n.Ledger.Notify()
		_, c, err := n.Ledger.Sign(ctx)
		return err == nil && c.Size == size
	}) {
		t.Fatalf("no checkpoint of the %d entries", size)
	}
	return size
}

// TestVouch_StateColumnsEdited: the columns the zones in force are queried
// by are edited (the version looks ended), and another zone's rows are
// deleted: the documents are untouched, so only the self-check's state
// pass can see it, and it fails naming both.
func TestVouch_StateColumnsEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		z := noFlyZone(t, n, admin)
		gone, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: z.AgreementID, Name: "Gone", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE zone_versions SET in_force_until = 1 WHERE zone_id = ?`, z.ID)
			exec(`DELETE FROM zone_versions WHERE zone_id = ?`, gone.ID)
			exec(`DELETE FROM zones WHERE id = ?`, gone.ID)
		})
		n, err = e.open(t, true)
		if err != nil {
			t.Fatal(err)
		}
		problems := waitReadyz(t, n, "self-check failed")
		if !hasProblem(problems, "integrity", z.ID, "columns") || !hasProblem(problems, "integrity", gone.ID, "deleted") {
			t.Errorf("/readyz: %q; want the edited columns of %s and the deleted rows of %s named", problems, z.ID, gone.ID)
		}
	})
}

// TestVouch_AircraftEdited: a registry entry is moved to another party in
// the database; the monitor attributes the aircraft to the party the
// journal says registered it, and /readyz names the entry.
func TestVouch_AircraftEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		var parties []string
		for _, slug := range []string{"us", "ru"} {
			p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyGuarantor})
			if err != nil {
				t.Fatal(err)
			}
			parties = append(parties, p.ID)
		}
		ac, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: parties[0], ICAO: "AE0001"})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT doc FROM aircraft WHERE id = ?`, ac.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE aircraft SET party_id = ?, doc = ? WHERE id = ?`, parties[1], strings.Replace(doc, parties[0], parties[1], 1), ac.ID)
		})
		n, err = e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Airspace.Attribute(0xAE0001, ""); got != parties[0] {
			t.Errorf("the aircraft is attributed to %q, want %q as journalled", got, parties[0])
		}
		waitReadyz(t, n, "integrity", ac.ID)
	})
}

// TestVouch_MonitorRecordsEdited: the monitor's other records are edited
// in the database: a feed's address is pointed elsewhere, an alert's
// summary changed, another alert's row deleted. The monitor connects to
// the address the journal holds (and not the edited one), the API refuses
// the edited alert, and the self-check names the deleted one.
func TestVouch_MonitorRecordsEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		real, fake := sbstest.New(t), sbstest.New(t)
		f, err := n.Air.AddFeed(admin, truce.FeedSource{Kind: "sbs", Addr: real.Addr(), Name: "radar"})
		if err != nil {
			t.Fatal(err)
		}
		real.Wait(t, 1, "the feed added")
		var alerts []*truce.Alert
		for i := range 3 {
			a, err := n.Air.RaiseAlert(context.Background(), &truce.Alert{Kind: "emergency_squawk", Time: time.Now().UTC(), Lon: 36, Lat: 33,
				Summary: fmt.Sprintf("test alert %d", i), Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}}})
			if err != nil {
				t.Fatal(err)
			}
			alerts = append(alerts, a)
		}
		n.Close()
		real.Wait(t, 0, "the server stopped")
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT doc FROM feeds WHERE id = ?`, f.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE feeds SET doc = ? WHERE id = ?`, strings.Replace(doc, real.Addr(), fake.Addr(), 1), f.ID)
			// A new alert's document is its journal entry's body
			// (alerts.doc_entry) or the row's own.
			var body []byte
			if err := query(`SELECT a.doc, j.body FROM alerts a LEFT JOIN journal j ON j.idx = a.doc_entry WHERE a.id = ?`, alerts[0].ID).Scan(&doc, &body); err != nil {
				t.Fatal(err)
			}
			if doc == "" {
				doc = string(body)
			}
			exec(`UPDATE alerts SET doc = ?, doc_entry = NULL WHERE id = ?`, strings.Replace(doc, "test alert 0", "nothing happened", 1), alerts[0].ID)
			exec(`DELETE FROM alerts WHERE id = ?`, alerts[1].ID)
			// The third alert's row made to read the first's entry.
			exec(`UPDATE alerts SET doc = '', doc_entry = ? WHERE id = ?`, alerts[0].JournalIndex, alerts[2].ID)
		})
		n, err = e.open(t, true)
		if err != nil {
			t.Fatal(err)
		}
		real.Wait(t, 1, "the restarted server connects to the journalled address")
		if fake.Most() != 0 {
			t.Error("the server connected to the edited feed address")
		}
		if code, body := e.get(n, "/api/v1/alerts/"+alerts[0].ID); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) || strings.Contains(body, "nothing happened") {
			t.Errorf("GET the edited alert: %d %.300s; want 500 integrity", code, body)
		}
		if code, body := e.get(n, "/api/v1/alerts/"+alerts[2].ID); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) || strings.Contains(body, alerts[0].ID) {
			t.Errorf("GET the alert made to read another's entry: %d %.300s; want 500 integrity", code, body)
		}
		if code, body := e.get(n, "/api/v1/alerts"); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) {
			t.Errorf("GET the alerts: %d %.300s; want 500 integrity", code, body)
		}
		problems := waitReadyz(t, n, "self-check failed")
		if !hasProblem(problems, "integrity", alerts[1].ID, "deleted") || !hasProblem(problems, "integrity", f.ID) {
			t.Errorf("/readyz: %q; want the deleted alert %s and the edited feed %s named", problems, alerts[1].ID, f.ID)
		}
	})
}

// TestVouch_NoLaundering: a pending proposal's geometry is edited in the
// database before the signatories decide; the decision is refused (code
// integrity) rather than signed and journalled, which would have made the
// log vouch for the edited geometry. So is a change to an agreement whose
// row was edited.
func TestVouch_NoLaundering(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, truce.AgreementRules{})
		z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT doc FROM zone_versions WHERE zone_id = ? AND version = 1`, z.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE zone_versions SET doc = ? WHERE zone_id = ? AND version = 1`, strings.Replace(doc, "[36,33]", "[10,10]", 2), z.ID)
			if err := query(`SELECT doc FROM agreements WHERE id = ?`, ag.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE agreements SET doc = ? WHERE id = ?`, strings.Replace(doc, `"title":"Test"`, `"title":"Edited"`, 1), ag.ID)
		})
		n, err = e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		before, err := n.Store.JournalSize(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); truce.ErrorCode(err) != truce.EINTEGRITY {
			t.Errorf("a decision on the edited proposal: %v; want code integrity", err)
		}
		if _, err := n.Zones.UpdateAgreement(admin, ag.ID, truce.AgreementUpdate{Reference: new("x")}, 0); truce.ErrorCode(err) != truce.EINTEGRITY {
			t.Errorf("a change to the edited agreement: %v; want code integrity", err)
		}
		if after, err := n.Store.JournalSize(context.Background()); err != nil || after != before {
			t.Errorf("journal size %d after the refused writes, was %d (%v)", after, before, err)
		}
	})
}

// TestVouch_PartyKeyEdited: a party that holds its own key has its public
// key replaced in the database by an impostor's; a decision signed with
// the impostor's key is refused (code integrity), not accepted as the
// party's, and the API refuses to serve the party.
func TestVouch_PartyKeyEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		_, vkey, err := note.GenerateKey(rand.Reader, "jo")
		if err != nil {
			t.Fatal(err)
		}
		jo, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: vkey})
		if err != nil {
			t.Fatal(err)
		}
		// A draft: Jordan alone could bring it into force, with its own
		// key; zones are proposed and decided on before that.
		ag, err := n.Zones.CreateAgreement(admin, truce.AgreementCreate{Title: "Test", Signatories: []string{jo.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		z, v, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		skey, impostor, err := note.GenerateKey(rand.Reader, "jo")
		if err != nil {
			t.Fatal(err)
		}
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE parties SET public_key = ? WHERE id = ?`, impostor, jo.ID)
		})
		n, err = e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := n.Store.Accounts().Party(context.Background(), jo.ID) // as authentication reads it
		if err != nil {
			t.Fatal(err)
		}
		op := truce.NewContext(context.Background(), &truce.Caller{Party: p, User: &truce.User{ID: "jo-op", PartyID: jo.ID, Roles: []truce.Role{truce.RoleOperator}}})
		statement, err := truce.DecisionStatement(v, true)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: statement}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Zones.DecideZone(op, z.ID, 1, truce.ZoneDecision{Approve: true, Signature: string(signed)}); truce.ErrorCode(err) != truce.EINTEGRITY {
			t.Errorf("a decision signed with the impostor's key: %v; want code integrity", err)
		}
		if code, body := e.get(n, "/api/v1/parties/"+jo.ID); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) {
			t.Errorf("GET the edited party: %d %.300s; want 500 integrity", code, body)
		}
	})
}

// TestVouch_CallerEdited: the rows that say who a caller is are edited: a
// revoked token revived, a user given the admin role. Requests with them
// are refused (500, code integrity), not served with the edited rights.
func TestVouch_CallerEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		revoked, err := n.Accounts.CreateToken(admin, truce.TokenCreate{Name: "old"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Accounts.RevokeToken(admin, revoked.ID); err != nil {
			t.Fatal(err)
		}
		viewer, err := n.Accounts.CreateUser(admin, truce.UserCreate{Party: e.admin.Party.ID, Username: "viewer", Name: "Viewer", Roles: []truce.Role{truce.RoleViewer}})
		if err != nil {
			t.Fatal(err)
		}
		vt, err := n.Accounts.CreateToken(admin, truce.TokenCreate{Name: "viewer", User: viewer.ID})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE tokens SET revoked_at = NULL WHERE id = ?`, revoked.ID)
			exec(`UPDATE users SET roles = ? WHERE id = ?`, "viewer,admin", viewer.ID)
		})
		n, err = e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{revoked.Secret, vt.Secret} {
			e.token = tok
			if code, body := e.get(n, "/api/v1/parties"); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) {
				t.Errorf("a request with an edited token or user: %d %.300s; want 500 integrity", code, body)
			}
		}
	})
}

// legacyStore writes as the store did before records carried their own
// entry's index (its transactions cannot say the next index), so that the
// journal bodies hold the previous index, as journals written then do.
type legacyStore struct{ *sqlstore.Store }

type legacyTx struct{ truce.Tx }

func (s *legacyStore) Update(ctx context.Context, fn func(truce.Tx) error) error {
	return s.Store.Update(ctx, func(tx truce.Tx) error { return fn(legacyTx{tx}) })
}

// ZoneStore writes the zones as the store did then too.
func (s *legacyStore) ZoneStore() zones.Store { return legacyZones{s.Store.ZoneStore()} }

type legacyZones struct{ zones.Store }

type legacyZonesTx struct{ zones.Tx }

// Airspace writes the alerts, registry and feeds as the store did then too.
func (s *legacyStore) Airspace() airspace.Store { return legacyAirspace{s.Store.Airspace()} }

type legacyAirspace struct{ airspace.Store }

type legacyAirspaceTx struct{ airspace.Tx }

func (a legacyAirspace) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	return a.Store.Update(ctx, func(tx airspace.Tx) error { return fn(legacyAirspaceTx{tx}) })
}

func (z legacyZones) Update(ctx context.Context, fn func(zones.Tx) error) error {
	return z.Store.Update(ctx, func(tx zones.Tx) error { return fn(legacyZonesTx{tx}) })
}

// TestVouch_LegacyJournal: a deployment whose journal was written before
// this check (bodies hold the previous journal index; an approval did not
// record the version it superseded) passes it: the server starts ready,
// the self-check passes, the zone index and the API serve the records.
func TestVouch_LegacyJournal(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		legacy := e.cfg
		legacy.WrapStore = func(st Store) Store {
			switch st := st.(type) {
			case *sqlite.Store:
				return &legacyStore{st.Store}
			case *postgres.Store:
				return &legacyStore{st.Store}
			}
			t.Fatalf("store %T", st)
			return nil
		}
		n, err := Open(context.Background(), legacy)
		if err != nil {
			t.Fatal(err)
		}
		admin := truce.NewContext(context.Background(), e.admin)
		z := noFlyZone(t, n, admin)
		moved := strings.ReplaceAll(boxGeometry, "36.2", "36.3")
		if _, err := n.Zones.ProposeChange(admin, z.ID, truce.ZoneProposal{Name: "Box 2", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(moved)}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Zones.DecideZone(admin, z.ID, 2, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		tok, err := n.Accounts.CreateToken(admin, truce.TokenCreate{Name: "later"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Accounts.RevokeToken(admin, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{ICAO: "4CA001"}); err != nil {
			t.Fatal(err)
		}
		n.Close()

		n, err = e.open(t, true)
		if err != nil {
			t.Fatal(err)
		}
		if ids := n.Zones.Index.Containing(36.25, 33.1, 1000, time.Now()); len(ids) != 1 || ids[0] != z.ID+"#2" {
			t.Errorf("zone index at a point of version 2 only: %v", ids)
		}
		for _, path := range []string{"/api/v1/zones/" + z.ID + "/history", "/api/v1/parties", "/api/v1/agreements/" + z.AgreementID, "/api/v1/aircraft"} {
			if code, body := e.get(n, path); code != http.StatusOK {
				t.Errorf("GET %s: %d %.300s", path, code, body)
			}
		}
		var code int
		var problems []string
		ready := testwait.Until(20*time.Second, func() bool {
			code, problems = readyz(t, n)
			// An integrity or failure problem ends the wait: it will
			// not clear, and the test fails on it below.
			return code == http.StatusOK || hasProblem(problems, "integrity") || hasProblem(problems, "failed")
		})
		if !ready || code != http.StatusOK {
			t.Fatalf("/readyz: %d %q", code, problems)
		}
	})
}

// TestVouch_RevokedTokenRevivedLive: a token used (so its row's match with
// the journal is remembered), then revoked, then revived in the database
// as it was before the revocation, while the server runs: the server must
// not take the revived row on the strength of what it remembered from
// before the revocation.
func TestVouch_RevokedTokenRevivedLive(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		tok, err := n.Accounts.CreateToken(admin, truce.TokenCreate{Name: "laptop"})
		if err != nil {
			t.Fatal(err)
		}
		e.token = tok.Secret
		if code, body := e.get(n, "/api/v1/parties"); code != http.StatusOK {
			t.Fatalf("the new token: %d %.300s", code, body)
		}
		if _, err := n.Accounts.RevokeToken(admin, tok.ID); err != nil {
			t.Fatal(err)
		}
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE tokens SET revoked_at = NULL, journal_index = ? WHERE id = ?`, tok.JournalIndex, tok.ID)
		})
		if code, body := e.get(n, "/api/v1/parties"); code != http.StatusInternalServerError || !strings.Contains(body, `"code":"integrity"`) {
			t.Fatalf("a revoked token revived in the database while the server runs: %d %.300s; want 500 integrity", code, body)
		}
	})
}
