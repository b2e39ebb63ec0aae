package airspace

import (
	"slices"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// flightActivities are the activities of an aircraft in flight that an
// agreement's prohibitions may name (those operations.Activities gives
// every air operation).
var flightActivities = []string{"air_operation", "overflight", "military_flight"}

// FlightExempt reports whether rules let party fly in a zone of kind k:
// some prohibition of flight covers the kind, and every one that does
// exempts the party. A zone whose rules say nothing of flight is kept
// against every aircraft, as its kind says.
func FlightExempt(rules truce.AgreementRules, k truce.ZoneKind, party string) bool {
	found := false
	for _, p := range rules.Prohibited {
		if !slices.Contains(flightActivities, p.Activity) || (len(p.ZoneKinds) > 0 && !slices.Contains(p.ZoneKinds, k)) {
			continue
		}
		if !p.Exempts(party) {
			return false
		}
		found = true
	}
	return found
}

// emit receives the engine's alerts and queues them for the journal
// (enqueue), but for the zone alerts of an aircraft whose party the
// zone's agreement exempts from flying there: that aircraft breaks no
// rule, and none is raised, from entry to exit.
func (a *Host) emit(al monitor.Alert) {
	if al.ZoneID != "" && al.Aircraft.Party != "" && a.flightExempt(al.ZoneID, al.Aircraft.Party) {
		return
	}
	a.enqueue(al)
}

func (a *Host) flightExempt(zoneID, party string) bool {
	rs := a.rules.Load()
	if rs == nil {
		return false
	}
	r, ok := a.zones.Index.Record(zoneID)
	if !ok {
		return false
	}
	rules, ok := (*rs)[r.Version.AgreementID]
	return ok && FlightExempt(rules, r.Version.Spec.Kind, party)
}
