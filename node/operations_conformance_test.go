package node

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/operations"
)

// TestOperations_LiveConformance: an air patrol made active holds its
// aircraft to its volume. A position of that aircraft outside the
// volume's area raises a non-conformance alert, journalled, concerning
// the operation's party and naming the operation; the same position of
// an aircraft not in the operation raises none. Before the patrol is
// active, its aircraft flies where it likes. An aircraft of another party
// entering the volume raises an intrusion alert to both parties.
func TestOperations_LiveConformance(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		// The patrol's aircraft is in its party's registry (an operation
		// names only aircraft its participants answer for).
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: e.admin.Party.ID, ICAO: "A1B2C3"}); err != nil {
			t.Fatal(err)
		}
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, truce.AgreementRules{})
		start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		r, err := n.Operations.File(admin, operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: "patrol", Kind: operations.AirPatrol, Aircraft: []string{"a1b2c3"},
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(boxGeometry), FloorM: 0, CeilingM: 3000, Start: start, End: start.Add(2 * time.Hour)}}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		outside := func(icao uint32) {
			n.IngestPosition(feed.Position{ICAO: icao, Lat: 33.5, Lon: 36.5, AltFt: 5000, AltM: 5000 * feed.FeetToMetres, Time: time.Now().UTC(),
				Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude})
		}
		alerts := func() []*truce.Alert {
			as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertNonConformance, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return as
		}
		// Filed, not active: no conformance yet.
		outside(0xa1b2c3)
		time.Sleep(300 * time.Millisecond) // the engine's batch and the journal writer
		if as := alerts(); len(as) != 0 {
			t.Fatalf("alerts before the operation is active: %+v", as)
		}
		if _, err := n.Operations.Move(admin, r.Operation.ID, operations.Active); err != nil {
			t.Fatal(err)
		}
		var as []*truce.Alert
		if !testwait.Until(10*time.Second, func() bool {
			outside(0xa1b2c3)
			outside(0xd4e5f6)
			as = alerts()
			return len(as) > 0
		}) {
			t.Fatal("no non-conformance alert for the patrol's aircraft outside its volume")
		}
		a := as[0]
		if len(as) != 1 || a.Aircraft[0].ICAO != "A1B2C3" || !slices.Contains(a.Parties, e.admin.Party.ID) || a.JournalIndex == 0 {
			t.Fatalf("alerts: %+v", as)
		}
		if want := "operation " + r.Operation.ID; !strings.Contains(a.Summary, want) {
			t.Fatalf("summary %q does not name %s", a.Summary, want)
		}

		// An aircraft registered to another party flies into the
		// patrol's volume: an intrusion, concerning both parties.
		other, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "other", Name: "Other", Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: other.ID, ICAO: "0C0FFE"}); err != nil {
			t.Fatal(err)
		}
		var in []*truce.Alert
		if !testwait.Until(10*time.Second, func() bool {
			n.IngestPosition(feed.Position{ICAO: 0x0c0ffe, Lat: 33.1, Lon: 36.1, AltFt: 5000, AltM: 5000 * feed.FeetToMetres, Time: time.Now().UTC(),
				Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude})
			var err error
			in, err = n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertIntrusion, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(in) > 0
		}) {
			t.Fatal("no intrusion alert for the other party's aircraft in the patrol's volume")
		}
		if a := in[0]; len(in) != 1 || a.Aircraft[0].ICAO != "0C0FFE" || !slices.Contains(a.Parties, e.admin.Party.ID) || !slices.Contains(a.Parties, other.ID) ||
			!strings.Contains(a.Summary, r.Operation.ID) {
			t.Fatalf("intrusion alerts: %+v", in)
		}
	})
}
