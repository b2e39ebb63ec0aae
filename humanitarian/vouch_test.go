package humanitarian_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
)

// TestSites_VouchedByJournal: a site's or movement's row changed behind
// the service's back (its coordinates moved, the very thing a board of
// inquiry asks about) is refused when read or listed, not served as if
// notified.
func TestSites_VouchedByJournal(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			f := convoy()
			f.Departure = humanitarian.Window{From: time.Now().Add(72 * time.Hour), To: time.Now().Add(74 * time.Hour)}
			f.Arrival = humanitarian.Window{From: time.Now().Add(73 * time.Hour), To: time.Now().Add(78 * time.Hour)}
			mv := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: f}))
			if _, err := w.svc.FindSite(w.ga, site.ID); err != nil {
				t.Fatalf("untouched site: %v", err)
			}
			if _, _, err := w.svc.ListSites(w.ga, humanitarian.SiteFilter{}); err != nil {
				t.Fatalf("untouched sites: %v", err)
			}
			if _, err := w.svc.FindMovement(w.ga, mv.ID); err != nil {
				t.Fatalf("untouched movement: %v", err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			for _, q := range []string{`UPDATE sites SET doc = REPLACE(doc, '"name":"', '"name":"Moved ')`,
				`UPDATE movements SET doc = REPLACE(doc, '"name":"', '"name":"Moved ')`} {
				if r, err := db.Exec(q); err != nil {
					t.Fatal(err)
				} else if n, _ := r.RowsAffected(); n != 1 {
					t.Fatalf("%s changed %d rows", q, n)
				}
			}
			if _, err := w.svc.FindSite(w.ga, site.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered site: %v, want integrity", err)
			}
			if _, _, err := w.svc.ListSites(w.ga, humanitarian.SiteFilter{}); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered site listed: %v, want integrity", err)
			}
			if _, err := w.svc.FindMovement(w.ga, mv.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered movement: %v, want integrity", err)
			}
			if _, _, err := w.svc.ListMovements(w.ga, humanitarian.MovementFilter{}); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered movement listed: %v, want integrity", err)
			}
		})
	}
}

// TestVersions_VouchedByJournal: an old version of a site or a movement
// edited behind the service (its coordinates or name: what an inquiry
// reads in the history) is refused by SiteVersions and MovementVersions,
// and so is a version row removed, not served as the record's history.
func TestVersions_VouchedByJournal(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			site = must[*humanitarian.Site](t)(w.svc.CloseSite(w.sarc, site.ID, 1))
			f := convoy()
			f.Departure = humanitarian.Window{From: time.Now().Add(72 * time.Hour), To: time.Now().Add(74 * time.Hour)}
			f.Arrival = humanitarian.Window{From: time.Now().Add(73 * time.Hour), To: time.Now().Add(78 * time.Hour)}
			mv := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: f}))
			mv = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, mv.ID, 1, humanitarian.MovementStep{Status: humanitarian.MovementNotified}))
			if vs, err := w.svc.SiteVersions(w.ga, site.ID); err != nil || len(vs) != 2 {
				t.Fatalf("untouched site versions: %d, %v", len(vs), err)
			}
			if vs, err := w.svc.MovementVersions(w.ga, mv.ID); err != nil || len(vs) != 2 {
				t.Fatalf("untouched movement versions: %d, %v", len(vs), err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			for _, q := range []string{`UPDATE site_versions SET doc = REPLACE(doc, '"name":"', '"name":"Moved ') WHERE version = 1`,
				`UPDATE movement_versions SET doc = REPLACE(doc, '"name":"', '"name":"Moved ') WHERE version = 1`} {
				if r, err := db.Exec(q); err != nil {
					t.Fatal(err)
				} else if n, _ := r.RowsAffected(); n != 1 {
					t.Fatalf("%s changed %d rows", q, n)
				}
			}
			if _, err := w.svc.SiteVersions(w.ga, site.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered site version: %v, want integrity", err)
			}
			if _, err := w.svc.MovementVersions(w.ga, mv.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered movement version: %v, want integrity", err)
			}
			// The edited versions removed: the history is short of one.
			for _, q := range []string{`DELETE FROM site_versions WHERE version = 1`, `DELETE FROM movement_versions WHERE version = 1`} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.svc.SiteVersions(w.ga, site.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("site version removed: %v, want integrity", err)
			}
			if _, err := w.svc.MovementVersions(w.ga, mv.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("movement version removed: %v, want integrity", err)
			}
		})
	}
}

// TestTransmissions_VouchedByJournal: a transmission edited behind the
// service (its deadline, its lateness: what a board of inquiry reads) is
// refused by the inbox, by its own read and by the site's board, not
// served as transmitted.
func TestTransmissions_VouchedByJournal(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			ts, _, err := w.svc.Inbox(w.ga, "", "", 0)
			if err != nil || len(ts) != 1 {
				t.Fatalf("untouched inbox: %d, %v", len(ts), err)
			}
			if _, err := w.svc.Transmission(w.ga, ts[0].ID); err != nil {
				t.Fatalf("untouched transmission: %v", err)
			}
			if _, err := w.svc.Board(w.ga, site.ID, 0); err != nil {
				t.Fatalf("untouched board: %v", err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			if r, err := db.Exec(`UPDATE transmissions SET doc = REPLACE(doc, '"late":false', '"late":true') WHERE id = '` + ts[0].ID + `'`); err != nil {
				t.Fatal(err)
			} else if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("changed %d rows", n)
			}
			if _, _, err := w.svc.Inbox(w.ga, "", "", 0); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered inbox: %v, want integrity", err)
			}
			if _, err := w.svc.Transmission(w.ga, ts[0].ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered transmission: %v, want integrity", err)
			}
			if _, err := w.svc.Board(w.ga, site.ID, 0); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("tampered board: %v, want integrity", err)
			}
		})
	}
}

// TestConvoyTracking_VouchedByJournal: a convoy's notified route edited
// behind the service (moved onto where the convoy is) is not what its
// positions are checked against: the position is refused (EINTEGRITY),
// and the convoys view and the sweep refuse the edited movement too.
func TestConvoyTracking_VouchedByJournal(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			f := convoy()
			now := time.Now()
			f.Departure = humanitarian.Window{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
			f.Arrival = humanitarian.Window{From: now.Add(2 * time.Hour), To: now.Add(4 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			if _, err := w.svc.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445}); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			if r, err := db.Exec(`UPDATE movement_versions SET doc = REPLACE(doc, '[36.0101,32.5445]', '[36.3,32.7]') WHERE version = 1`); err != nil {
				t.Fatal(err)
			} else if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("changed %d rows", n)
			}
			fresh := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			if _, err := fresh.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: 36.3, Lat: 32.7}); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("a position against the edited route: %v, want integrity", err)
			}
			// The sweep reports it, and still watches the other convoys:
			// one silent for an hour is alerted.
			other := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			other = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, other.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			fresh.Journal.Now = func() time.Time { return time.Now().Add(time.Hour) }
			as, err := fresh.SweepConvoys(t.Context())
			if truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("the sweep over the edited route: %v, want integrity", err)
			}
			if len(as) != 1 || as[0].Kind != humanitarian.AlertConvoySilent || !strings.Contains(as[0].Summary, other.ID) {
				t.Errorf("the sweep beside the edited movement raised %+v", as)
			}
			fresh.Journal.Now = journal.Now
			if _, err := db.Exec(`UPDATE movements SET doc = REPLACE(doc, '"name":"', '"name":"Moved ')`); err != nil {
				t.Fatal(err)
			}
			if _, err := fresh.Convoys(w.ga, 0); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("the convoys view of an edited movement: %v, want integrity", err)
			}
		})
	}
}

// TestSweep_VouchedByJournal: the sweep sends notices about the
// transmissions the journal holds, not about rows edited behind the
// service: an edited transmission gets no reminder (EINTEGRITY, after the
// others are reminded); and a notice row edited behind the service is
// refused by the notices list and the board.
func TestSweep_VouchedByJournal(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			t0 := time.Now().UTC().Truncate(time.Microsecond)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(t0.Add(72 * time.Hour))}))
			ts, _, err := w.svc.Inbox(w.ga, "", "", 0)
			if err != nil || len(ts) != 1 {
				t.Fatalf("inbox: %d, %v", len(ts), err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			if r, err := db.Exec(`UPDATE transmissions SET doc = REPLACE(doc, '"late":false', '"late":true') WHERE id = '` + ts[0].ID + `'`); err != nil {
				t.Fatal(err)
			} else if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("changed %d rows", n)
			}
			// Past every reminder and the deadline: each transmission has a
			// notice due.
			clock = t0.Add(30 * 24 * time.Hour)
			n, err := w.svc.Sweep(context.Background())
			if truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("sweep over an edited transmission: %v, want integrity", err)
			}
			if n != len(w.ag.Signatories)-1 {
				t.Errorf("sweep sent %d notices, want %d (one to each party but the edited one's)", n, len(w.ag.Signatories)-1)
			}
			if ns, err := w.svc.Notices(w.ga, ts[0].ID); truce.ErrorCode(err) != truce.EINTEGRITY || len(ns) != 0 {
				t.Errorf("notices of the edited transmission: %v %v, want integrity", ns, err)
			}
			// Put back, it is reminded at the next sweep.
			if _, err := db.Exec(`UPDATE transmissions SET doc = REPLACE(doc, '"late":true', '"late":false') WHERE id = '` + ts[0].ID + `'`); err != nil {
				t.Fatal(err)
			}
			if n, err := w.svc.Sweep(context.Background()); err != nil || n != 1 {
				t.Errorf("sweep once the row is put back: %d, %v; want 1 notice", n, err)
			}
			if _, err := w.svc.Board(w.sarc, site.ID, 0); err != nil {
				t.Fatalf("untouched board: %v", err)
			}
			// A notice edited behind the service.
			ts, _, err = w.svc.Inbox(w.gb, "", "", 0)
			if err != nil || len(ts) != 1 {
				t.Fatalf("inbox: %d, %v", len(ts), err)
			}
			if ns, err := w.svc.Notices(w.gb, ts[0].ID); err != nil || len(ns) != 1 {
				t.Fatalf("untouched notices: %v %v", ns, err)
			}
			if r, err := db.Exec(`UPDATE transmission_notices SET doc = REPLACE(doc, '"reason":"', '"reason":"Never mind: ') WHERE transmission_id = '` + ts[0].ID + `'`); err != nil {
				t.Fatal(err)
			} else if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("changed %d rows", n)
			}
			if ns, err := w.svc.Notices(w.gb, ts[0].ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("edited notices: %v %v, want integrity", ns, err)
			}
			if _, err := w.svc.Board(w.sarc, site.ID, 0); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("board with an edited notice: %v, want integrity", err)
			}
		})
	}
}
