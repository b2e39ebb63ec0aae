package control_test

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/control"
)

func TestIncidentBreaches(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	ptr := func(t time.Time) *time.Time { return &t }
	// The basin has a hole (a town nobody guarantees) at 35.94–35.96.
	holed := orb.Polygon{box(35.9, 32.7, 36.0, 32.8)[0], orb.Ring{{35.94, 32.74}, {35.94, 32.76}, {35.96, 32.76}, {35.96, 32.74}, {35.94, 32.74}}}
	basin := control.Guarded{Guarantee: &control.Guarantee{ID: "basin", Allowed: []string{"saa"}, From: t0}, Area: holed}
	ended := control.Guarded{Guarantee: &control.Guarantee{ID: "ended", Allowed: []string{"saa"}, From: t0, To: ptr(later(10))}, Area: box(35.9, 32.7, 36.0, 32.8)}
	north := control.Guarded{Guarantee: &control.Guarantee{ID: "north", Allowed: []string{"saa", "fsa"}, From: later(5)}, Area: box(35.9, 32.8, 36.0, 32.9)}
	in := orb.Point{35.92, 32.72}
	tests := []struct {
		name   string
		s      control.Sighting
		gs     []control.Guarded
		want   []string
		wantAt []time.Time
	}{
		{"allowed actor takes ground", control.Sighting{Point: in, Start: later(1), End: later(2), ActorID: "saa"}, []control.Guarded{basin}, nil, nil},
		{"faction takes a village inside", control.Sighting{Point: in, Start: later(1), End: later(2), ActorID: "faction"}, []control.Guarded{basin}, []string{"basin"}, []time.Time{later(1)}},
		{"attributed to no known actor", control.Sighting{Point: in, Start: later(1), End: later(1), Attribution: "unidentified gunmen"}, []control.Guarded{basin}, []string{"basin"}, []time.Time{later(1)}},
		{"in the hole of the area", control.Sighting{Point: orb.Point{35.95, 32.75}, Start: later(1), End: later(2), ActorID: "faction"}, []control.Guarded{basin}, nil, nil},
		{"on the area's edge", control.Sighting{Point: orb.Point{36.0, 32.75}, Start: later(1), End: later(2), ActorID: "faction"}, []control.Guarded{basin}, []string{"basin"}, []time.Time{later(1)}},
		{"outside", control.Sighting{Point: orb.Point{36.1, 32.75}, Start: later(1), End: later(2), ActorID: "faction"}, []control.Guarded{basin}, nil, nil},
		{"before the guarantee", control.Sighting{Point: in, Start: later(-3), End: later(-1), ActorID: "faction"}, []control.Guarded{basin}, nil, nil},
		{"window reaches into the guarantee: from its start", control.Sighting{Point: in, Start: later(-3), End: later(1), ActorID: "faction"}, []control.Guarded{basin}, []string{"basin"}, []time.Time{t0}},
		{"window ends as the guarantee starts", control.Sighting{Point: in, Start: later(-3), End: t0, ActorID: "faction"}, []control.Guarded{basin}, []string{"basin"}, []time.Time{t0}},
		{"after the guarantee ended", control.Sighting{Point: in, Start: later(10), End: later(11), ActorID: "faction"}, []control.Guarded{ended}, nil, nil},
		{"just before the guarantee ended", control.Sighting{Point: in, Start: later(9), End: later(11), ActorID: "faction"}, []control.Guarded{ended}, []string{"ended"}, []time.Time{later(9)}},
		{"on the line between two areas, one allows the actor", control.Sighting{Point: orb.Point{35.92, 32.8}, Start: later(6), End: later(6), ActorID: "fsa"}, []control.Guarded{basin, north}, []string{"basin"}, []time.Time{later(6)}},
		{"on the line between two areas, both breached", control.Sighting{Point: orb.Point{35.92, 32.8}, Start: later(6), End: later(6), ActorID: "faction"}, []control.Guarded{basin, north}, []string{"basin", "north"}, []time.Time{later(6), later(6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := control.IncidentBreaches(tt.s, tt.gs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d breaches, want %v", len(got), tt.want)
			}
			for i, f := range got {
				if f.Guarantee.ID != tt.want[i] || !f.At.Equal(tt.wantAt[i]) {
					t.Errorf("breach %d = %s at %s, want %s at %s", i, f.Guarantee.ID, f.At, tt.want[i], tt.wantAt[i])
				}
			}
			x := control.NewIndex[control.Guarded]()
			for _, g := range tt.gs {
				x.Add(g.Area.Bound(), g)
			}
			if n := len(control.CheckSighting(x, tt.s)); n != len(tt.want) {
				t.Errorf("CheckSighting found %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestResolveActor(t *testing.T) {
	saa := &control.Actor{ID: "id-saa", Slug: "saa", Names: map[string]string{"en": "Syrian Arab Army", "ar": "الجيش العربي السوري"}, Aliases: []string{"SAA", "Government forces"}}
	hts := &control.Actor{ID: "id-hts", Slug: "hts", Names: map[string]string{"en": "Hay'at Tahrir al-Sham"}, Aliases: []string{"HTS", "Opposition"}}
	fsa := &control.Actor{ID: "id-fsa", Slug: "fsa", Names: map[string]string{"en": "Free Syrian Army"}, Aliases: []string{"opposition"}}
	actors := []*control.Actor{saa, hts, fsa}
	tests := []struct {
		attribution string
		want        *control.Actor
	}{
		{"", nil},
		{"   ", nil},
		{"id-hts", hts},
		{"saa", saa},
		{"SAA", saa}, // the slug ignoring case, and an alias
		{"syrian arab army", saa},
		{"  الجيش العربي السوري ", saa},
		{"Government Forces", saa},
		{"hay'at tahrir al-sham", hts},
		{"Opposition", nil}, // an alias of two actors names neither
		{"unidentified gunmen", nil},
		{"Syrian Arab", nil}, // no partial names
	}
	for _, tt := range tests {
		got := control.ResolveActor(tt.attribution, actors)
		if got != tt.want {
			name := func(a *control.Actor) string {
				if a == nil {
					return "none"
				}
				return a.Slug
			}
			t.Errorf("ResolveActor(%q) = %s, want %s", tt.attribution, name(got), name(tt.want))
		}
	}
}
