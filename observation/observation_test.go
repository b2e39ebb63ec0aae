package observation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

var now = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

// valid returns a heard explosion near Dar'a, with a bearing.
func valid() observation.Input {
	return observation.Input{
		Mode:     observation.ModeHeard,
		Position: observation.Point{Lon: 36.05, Lat: 32.58},
		Bearing:  &observation.Bearing{Degrees: 90, Error: 5, MinDistance: 2000, MaxDistance: 6000},
		Start:    now.Add(-10 * time.Minute), End: now.Add(-9 * time.Minute),
		Category: observation.CatExplosion, SubCategory: "artillery",
		Events: observation.Count{Best: 3, Low: 2, High: 5},
	}
}

func TestInput_Validate(t *testing.T) {
	tests := []struct {
		name string
		edit func(in *observation.Input)
		want string // a word of the message; "" for valid
	}{
		{"Valid", func(in *observation.Input) {}, ""},
		{"ValidPoint", func(in *observation.Input) {
			in.Bearing, in.Location, in.Accuracy = nil, &observation.Point{Lon: 36.1, Lat: 32.6}, 500
		}, ""},
		{"ErrMode", func(in *observation.Input) { in.Mode = "smelled" }, "mode"},
		{"ErrBearingOver360", func(in *observation.Input) { in.Bearing.Degrees = 360 }, "bearing.degrees"},
		{"ErrBearingNegative", func(in *observation.Input) { in.Bearing.Degrees = -1 }, "bearing.degrees"},
		{"ErrBearingError", func(in *observation.Input) { in.Bearing.Error = 90 }, "bearing.error"},
		{"ErrDistanceInverted", func(in *observation.Input) { in.Bearing.MinDistance, in.Bearing.MaxDistance = 6000, 2000 }, "min_distance"},
		{"ErrDistanceTooFar", func(in *observation.Input) { in.Bearing.MaxDistance = 500_000 }, "distances"},
		{"ErrNoLocation", func(in *observation.Input) { in.Bearing = nil }, "location"},
		{"ErrBoth", func(in *observation.Input) { in.Location, in.Accuracy = &observation.Point{Lon: 36, Lat: 32}, 10 }, "not both"},
		{"ErrNoAccuracy", func(in *observation.Input) { in.Bearing, in.Location = nil, &observation.Point{Lon: 36, Lat: 32} }, "accuracy"},
		{"ErrObserverPosition", func(in *observation.Input) { in.Position.Lat = 95 }, "observer_position"},
		{"ErrFuture", func(in *observation.Input) { in.End = now.Add(time.Hour) }, "future"},
		{"ErrWindowInverted", func(in *observation.Input) { in.End = in.Start.Add(-time.Minute) }, "before start"},
		{"ErrWindowLong", func(in *observation.Input) { in.Start = in.End.Add(-40 * 24 * time.Hour) }, "window"},
		{"ErrCountsOrder", func(in *observation.Input) { in.Events = observation.Count{Best: 5, Low: 6, High: 4} }, "low ≤ best ≤ high"},
		{"ErrBestAboveHigh", func(in *observation.Input) { in.Casualties = observation.Count{Best: 5, Low: 1, High: 4} }, "casualties"},
		{"ErrCategory", func(in *observation.Input) { in.Category = "fireworks" }, "category"},
		{"ErrSubCategory", func(in *observation.Input) { in.SubCategory = "catapult" }, "sub-category"},
		{"ErrConfidence", func(in *observation.Input) { in.Actor, in.Confidence = "X", 1.5 }, "confidence"},
		{"ErrConfidenceWithoutActor", func(in *observation.Input) { in.Confidence = 0.5 }, "actor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := valid()
			tt.edit(&in)
			err := in.Validate(now)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(truce.ErrorMessage(err), tt.want) {
				t.Fatalf("Validate = %v, want EINVALID about %q", err, tt.want)
			}
		})
	}
}

func TestACLEDType(t *testing.T) {
	tests := []struct {
		cat      observation.Category
		sub      string
		want     string
		activity string
	}{
		{observation.CatExplosion, "artillery", "Shelling/artillery/missile attack", "shelling"},
		{observation.CatExplosion, "air_strike", "Air/drone strike", "air_strike"},
		{observation.CatExplosion, "ied", "Remote explosive/landmine/IED", ""},
		{observation.CatArmedClash, "", "Armed clash", ""},
		{observation.CatTerritory, "", "Non-state actor overtakes territory", ""},
	}
	for _, tt := range tests {
		if got := observation.ACLEDType(tt.cat, tt.sub).SubEventType; got != tt.want {
			t.Errorf("ACLEDType(%s, %s) = %q, want %q", tt.cat, tt.sub, got, tt.want)
		}
		if got := observation.Activity(tt.cat, tt.sub); got != tt.activity {
			t.Errorf("Activity(%s, %s) = %q, want %q", tt.cat, tt.sub, got, tt.activity)
		}
	}
	for c, info := range observation.Categories {
		if info.ACLED.EventType == "" {
			t.Errorf("category %s has no ACLED type", c)
		}
	}
}

// TestCategoryList: the forms' list holds every category once.
func TestCategoryList(t *testing.T) {
	seen := map[observation.Category]bool{}
	for _, c := range observation.CategoryList {
		if _, ok := observation.Categories[c]; !ok || seen[c] {
			t.Fatalf("CategoryList has %q twice or unknown", c)
		}
		seen[c] = true
	}
	if len(seen) != len(observation.Categories) {
		t.Fatalf("CategoryList has %d of %d categories", len(seen), len(observation.Categories))
	}
}
