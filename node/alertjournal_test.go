package node

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/testwait"
)

// TestAirspace_AlertJournalOutage: the journal cannot be written for
// longer than the monitor used to retry an alert (about 3 s); the entry
// alert of an aircraft flown into a no-fly zone meanwhile is journalled
// once the database can be written again, never given up, and /readyz
// says the monitor's alerts are waiting for the journal while it cannot.
func TestAirspace_AlertJournalOutage(t *testing.T) {
	n, fs, admin := flakyNode(t, false)
	ag := inForceAgreement(t, n, admin, []string{truce.CallerFrom(admin).Party.ID}, truce.AgreementRules{})
	z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	fs.Unwritable.Failing.Store(true)
	flyInto(t, n, z.ID, 0x4CA0FF) // cannot be journalled yet
	// The fault must outlast the old give-up: this is the time the test
	// is about, not a wait for something to happen.
	time.Sleep(4 * time.Second)
	if fs.Unwritable.Failed.Load() == 0 {
		t.Fatal("no write was attempted while the store failed: the test injected nothing")
	}
	code, problems := readyz(t, n)
	if !hasProblem(problems, "alert", "journal") {
		t.Fatalf("/readyz while alerts cannot be journalled: %d %q", code, problems)
	}
	fs.Unwritable.Failing.Store(false)
	journalled := testwait.Until(15*time.Second, func() bool {
		as, err := fs.Alerts(context.Background(), truce.AlertFilter{Kind: "zone_entry", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range as {
			found = found || a.ZoneID == z.ID
		}
		return found
	})
	if !journalled {
		t.Fatal("the entry alert raised while the journal could not be written was never journalled")
	}
	recovered := testwait.Until(5*time.Second, func() bool {
		_, problems := readyz(t, n)
		return !hasProblem(problems, "alert", "journal")
	})
	if !recovered {
		t.Fatalf("/readyz still reports the alert journal after it recovered")
	}
}
