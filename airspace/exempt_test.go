package airspace_test

import (
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
)

// TestFlightExempt: a party may fly in a zone only when some prohibition
// of flight covers the zone's kind and every one that does exempts it.
func TestFlightExempt(t *testing.T) {
	p := func(act string, kinds []truce.ZoneKind, exempt ...string) truce.Prohibition {
		return truce.Prohibition{Activity: act, ZoneKinds: kinds, Exempt: exempt}
	}
	noFly := []truce.ZoneKind{truce.ZoneNoFly}
	for _, c := range []struct {
		name  string
		rules []truce.Prohibition
		party string
		want  bool
	}{
		{"NothingSaidOfFlight", nil, "host", false},
		{"Exempt", []truce.Prohibition{p("overflight", noFly, "host")}, "host", true},
		{"AnotherParty", []truce.Prohibition{p("overflight", noFly, "host")}, "other", false},
		{"NoPartyKnown", []truce.Prohibition{p("overflight", noFly, "host")}, "", false},
		{"EveryZoneKind", []truce.Prohibition{p("military_flight", nil, "host")}, "host", true},
		{"OneFlightProhibitionBinds", []truce.Prohibition{p("overflight", noFly, "host"), p("air_operation", noFly)}, "host", false},
		{"OtherKindOnly", []truce.Prohibition{p("overflight", []truce.ZoneKind{truce.ZoneBuffer}, "host")}, "host", false},
		{"NotFlight", []truce.Prohibition{p("shelling", noFly, "host")}, "host", false},
	} {
		if got := airspace.FlightExempt(truce.AgreementRules{Prohibited: c.rules}, truce.ZoneNoFly, c.party); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAlertVisibility: conformance alerts are for the parties concerned,
// the others for every member.
func TestAlertVisibility(t *testing.T) {
	caller := func(party string) *truce.Caller {
		return &truce.Caller{User: &truce.User{ID: "u", Roles: []truce.Role{truce.RoleViewer}}, Party: &truce.Party{ID: party}}
	}
	for _, k := range []truce.AlertKind{truce.AlertNonConformance, truce.AlertIntrusion} {
		v := truce.AlertVisibility(&truce.Alert{Kind: k, Parties: []string{"a", "b"}})
		if !v.Allows(caller("a")) || !v.Allows(caller("b")) || v.Allows(caller("c")) {
			t.Errorf("%s: %+v", k, v)
		}
	}
	if v := truce.AlertVisibility(&truce.Alert{Kind: truce.AlertZoneEntry, Parties: []string{"a"}}); !v.Allows(caller("c")) {
		t.Errorf("zone entry: %+v", v)
	}
}
