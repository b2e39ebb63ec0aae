package humanitarian_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

func TestMovementStatus_CanMove(t *testing.T) {
	s := func(v string) humanitarian.MovementStatus { return humanitarian.MovementStatus(v) }
	tests := []struct {
		from, to string
		want     bool
	}{
		{"draft", "notified", true},
		{"draft", "under_way", false},
		{"notified", "under_way", true},
		{"notified", "postponed", true},
		{"notified", "aborted", true},
		{"notified", "arrived", false},
		{"postponed", "notified", true},
		{"postponed", "under_way", false},
		{"under_way", "arrived", true},
		{"under_way", "aborted", true},
		{"under_way", "postponed", false},
		{"arrived", "aborted", false},
		{"aborted", "notified", false},
	}
	for _, tt := range tests {
		if got := s(tt.from).CanMove(s(tt.to)); got != tt.want {
			t.Errorf("%s -> %s: %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

// convoy is the demo's route from the Ramtha/Dar'a crossing to Dar'a city.
func convoy() humanitarian.MovementFields {
	dep := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	return humanitarian.MovementFields{Name: "Convoy 1", Organisation: "SARC",
		Route:     json.RawMessage(`{"type":"LineString","coordinates":[[36.0101,32.5445],[36.06,32.59],[36.10213,32.61889]]}`),
		CorridorM: 500, Departure: humanitarian.Window{From: dep, To: dep.Add(2 * time.Hour)},
		Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(5 * time.Hour)}, Vehicles: []humanitarian.Vehicle{{Count: 6, Type: "truck"}}}
}

func TestCheckMovement(t *testing.T) {
	if _, err := humanitarian.CheckMovement(ptr(convoy())); err != nil {
		t.Fatalf("a good convoy: %v", err)
	}
	tests := []struct {
		name string
		edit func(f *humanitarian.MovementFields)
		want string // the field the message names
	}{
		{"ZeroLength", func(f *humanitarian.MovementFields) {
			f.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.1,32.6],[36.1,32.6]]}`)
		}, "route: geo: invalid geometry: too few distinct vertices"},
		{"Spike", func(f *humanitarian.MovementFields) {
			f.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.6],[36.05,32.55],[36.2,32.5]]}`)
		}, "route: The route doubles back on itself at vertex 2"},
		{"SpikeAfterRepeatedVertex", func(f *humanitarian.MovementFields) {
			f.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.6],[36.1,32.6],[36.0,32.5]]}`)
		}, "route: The route doubles back"},
		{"NotALine", func(f *humanitarian.MovementFields) {
			f.Route = json.RawMessage(`{"type":"Point","coordinates":[36.1,32.6]}`)
		}, "route: A route is a LineString"},
		{"OutOfRange", func(f *humanitarian.MovementFields) {
			f.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.1,32.6],[36.1,92.6]]}`)
		}, "route:"},
		{"DepartureBackwards", func(f *humanitarian.MovementFields) { f.Departure.To = f.Departure.From.Add(-time.Minute) }, "departure: The departure window ends"},
		{"ArrivalBeforeDeparture", func(f *humanitarian.MovementFields) {
			f.Arrival = humanitarian.Window{From: f.Departure.From.Add(-3 * time.Hour), To: f.Departure.From.Add(-2 * time.Hour)}
		}, "arrival: The arrival window ends before the departure window starts"},
		{"NoVehicles", func(f *humanitarian.MovementFields) { f.Vehicles = nil }, "vehicles:"},
		{"CorridorTooWide", func(f *humanitarian.MovementFields) { f.CorridorM = 20_000 }, "corridor_m:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := convoy()
			tt.edit(&f)
			_, err := humanitarian.CheckMovement(&f)
			if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(truce.ErrorMessage(err), tt.want) {
				t.Fatalf("error %v, want EINVALID saying %q", err, tt.want)
			}
		})
	}
	// A sharp but real turn (a hairpin of 170°) is not a spike.
	f := convoy()
	f.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.5],[36.0,32.51]]}`)
	if _, err := humanitarian.CheckMovement(&f); err != nil {
		t.Errorf("a hairpin: %v", err)
	}
}

func TestMovementLate(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := truce.AgreementRules{} // defaults: 48 h, 24 h in an emergency
	for _, tt := range []struct {
		emergency bool
		notice    time.Duration
		want      bool
	}{{false, 72 * time.Hour, false}, {false, 47 * time.Hour, true}, {true, 25 * time.Hour, false}, {true, 23 * time.Hour, true}} {
		if got := humanitarian.MovementLate(rules, "", tt.emergency, now.Add(tt.notice), now); got != tt.want {
			t.Errorf("emergency %v, notice %v: late %v, want %v", tt.emergency, tt.notice, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
