package node

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
)

// TestAirspace_NoFlyExempt: a no-fly zone whose agreement exempts a party
// from the overflight prohibition (rules.prohibited[].exempt) raises no
// entry alert for that party's aircraft; another party's aircraft in the
// same zone raises one.
func TestAirspace_NoFlyExempt(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		host, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "host", Name: "Host", Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		other, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "other", Name: "Other", Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		for p, icao := range map[string]string{host.ID: "4CA0E1", other.ID: "4CA0E2"} {
			if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: p, ICAO: icao}); err != nil {
				t.Fatal(err)
			}
		}
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, truce.AgreementRules{Prohibited: []truce.Prohibition{
			{Activity: "overflight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}, Exempt: []string{host.ID}}}})
		z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		// The host's aircraft first, then the other's: once the other's
		// entry is journalled, the host's (queued before it) would be.
		in := func(icao uint32) {
			n.IngestPosition(feed.Position{ICAO: icao, Lat: 33.1, Lon: 36.1, AltFt: 3000, AltM: 3000 * feed.FeetToMetres, Time: time.Now().UTC(),
				Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude})
		}
		in(0x4CA0E1)
		if !flyInto(t, n, z.ID, 0x4CA0E2) {
			t.Fatal("no entry alert for the other party's aircraft")
		}
		in(0x4CA0E1)
		time.Sleep(300 * time.Millisecond)
		as, err := n.Store.Airspace().Alerts(context.Background(), truce.AlertFilter{Kind: truce.AlertZoneEntry, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Aircraft[0].ICAO == "4CA0E1" {
				t.Fatalf("an entry alert for the exempt party's aircraft: %s", a.Summary)
			}
		}
	})
}
