package observation_test

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestIncidents_VouchedByJournal: the incident list (what the daily
// report counts) serves a row whose document is its entry's body, in the
// row or left to the entry, and refuses a row changed behind the
// service's back: its document edited, or pointed at another entry.
func TestIncidents_VouchedByJournal(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st, nil)
			o, err := w.svc.AddObservation(as(w.obs1), heardFrom(orb.Point{36.10, 32.58}, 0))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.AddObservation(as(w.obs2), heardFrom(orb.Point{36.3, 32.9}, 0)); err != nil {
				t.Fatal(err)
			}
			list := func() ([]*observation.Incident, error) {
				is, _, err := w.svc.ListIncidents(as(w.op), observation.IncidentFilter{})
				return is, err
			}
			is, err := list()
			if err != nil || len(is) != 1 {
				t.Fatalf("untouched incidents: %d, %v", len(is), err)
			}
			var inc *observation.Incident
			for _, i := range is {
				if i.ID == o.IncidentID {
					inc = i
				}
			}
			if inc == nil {
				t.Fatalf("incident %s not listed", o.IncidentID)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			// Values are written into the statements (quoted), which both
			// databases then read alike.
			lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
			exec := func(q string) {
				t.Helper()
				if r, err := db.Exec(q); err != nil {
					t.Fatal(err)
				} else if n, _ := r.RowsAffected(); n != 1 {
					t.Fatalf("%s changed %d rows", q, n)
				}
			}
			// The entry's body held in the row, not decoded from it: the same.
			var body []byte
			if err := db.QueryRow(`SELECT j.body FROM journal j JOIN incidents i ON j.idx = i.doc_entry WHERE i.id = ` + lit(inc.ID)).Scan(&body); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE incidents SET doc = ` + lit(string(body)) + ` WHERE id = ` + lit(inc.ID))
			if is, err := list(); err != nil || len(is) != 1 {
				t.Fatalf("row holding its entry's body: %d, %v", len(is), err)
			}
			changed := *inc
			changed.Status = observation.StatusVerified
			b, _ := json.Marshal(&changed)
			exec(`UPDATE incidents SET doc = ` + lit(string(b)) + ` WHERE id = ` + lit(inc.ID))
			if _, err := list(); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("edited incident listed: %v, want integrity", err)
			}
			exec(`UPDATE incidents SET doc = '', doc_entry = doc_entry - 1 WHERE id = ` + lit(inc.ID))
			if _, err := list(); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("incident pointed at another entry listed: %v, want integrity", err)
			}
		})
	}
}
