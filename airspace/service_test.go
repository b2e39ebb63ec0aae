package airspace_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// TestService_RaiseAlerts: a batch of engine alerts is journalled in one
// write, each with its own consecutive entry that vouches for its row and
// an event logged with it; a batch with an alert refused for what it is
// records none of them.
func TestAlerts_RaiseAlerts(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
			if err != nil {
				t.Fatal(err)
			}
			acc := accounts.New(st.Accounts(), journal.New(st), keys)
			svc := airspace.NewService(st.Airspace(), acc.Journal, acc)
			p, u, _, err := acc.Bootstrap(ctx, truce.PartyCreate{Slug: "sec", Name: "Secretariat", Kind: truce.PartyCoordinator},
				truce.UserCreate{Username: "admin", Roles: []truce.Role{truce.RoleAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			admin := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
			var events []truce.Event
			svc.OnEvent = func(e truce.Event) { events = append(events, e) }
			alert := func(i int) *truce.Alert {
				return &truce.Alert{Kind: "emergency_squawk", Summary: "AB12" + string(rune('0'+i)) + " squawks 7700 <\u2028é>", Lon: 36.1 + float64(i)/3, Lat: 33.000001,
					Aircraft: []truce.AlertAircraft{{ICAO: "4CA2D" + string(rune('0'+i)), Squawk: "7700"}}, Evidence: json.RawMessage(`{"z":1,"history":[{"lon":36.10,"lat":3.3e1}]}`)}
			}
			size0, err := st.JournalSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			batch := []*truce.Alert{alert(1), alert(2), alert(3)}
			if err := svc.RaiseAlerts(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for i, a := range batch {
				if a.JournalIndex != batch[0].JournalIndex+int64(i) || a.ID == "" || a.State != truce.AlertOpen {
					t.Fatalf("alert %d: index %d (first %d), id %q, state %s", i, a.JournalIndex, batch[0].JournalIndex, a.ID, a.State)
				}
				got, err := svc.FindAlert(admin, a.ID) // vouched: the row matches its entry's body
				if err != nil {
					t.Fatalf("alert %d: %v", i, err)
				}
				if got.JournalIndex != a.JournalIndex || got.Summary != a.Summary {
					t.Fatalf("alert %d read back as %+v", i, got)
				}
				if i >= len(events) || events[i].Kind != "alert" || events[i].Subject != a.ID || events[i].Index != a.JournalIndex {
					t.Fatalf("events %+v, want one per alert in order", events)
				}
			}
			if size, _ := st.JournalSize(ctx); size != size0+3 {
				t.Fatalf("journal grew from %d to %d for 3 alerts", size0, size)
			}

			bad := alert(5)
			bad.Summary = ""
			if err := svc.RaiseAlerts(ctx, []*truce.Alert{alert(4), bad}); truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("a batch with an alert without summary: %v, want EINVALID", err)
			}
			if err := svc.RaiseAlerts(admin, []*truce.Alert{alert(7)}); err != nil {
				t.Fatalf("an administrator raising an alert: %v", err)
			}
			// A record JSON cannot carry is refused for what it is
			// (EINVALID), so the monitor's host counts it lost rather
			// than retrying it, and the alerts queued behind it, forever.
			nan := alert(8)
			nan.Lat = math.NaN()
			if _, err := svc.RaiseAlert(ctx, nan); truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("an alert at latitude NaN: %v, want EINVALID", err)
			}
			if err := svc.RaiseAlerts(ctx, []*truce.Alert{alert(9), nan}); truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("a batch with an alert at latitude NaN: %v, want EINVALID", err)
			}
			if size, _ := st.JournalSize(ctx); size != size0+4 {
				t.Fatalf("journal at %d after refused batches and one alert, want %d", size, size0+4)
			}
		})
	}
}
