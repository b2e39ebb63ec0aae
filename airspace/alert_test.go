package airspace

import (
	"cmp"
	"encoding/json"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// evidenceMap is how the evidence was written before it had a type (a map,
// whose keys encoding/json sorts): the reference the journalled records
// hold.
func evidenceMap(al monitor.Alert) map[string]any {
	ev := map[string]any{"reason": al.Reason, "trigger": evPoints(al.Aircraft.Trigger), "history": evPoints(al.Aircraft.History)}
	if al.Other != nil {
		ev["other_trigger"] = evPoints(al.Other.Trigger)
		ev["horizontal_m"], ev["min_horizontal_m"] = al.HorizontalM, al.MinHorizontalM
		if !math.IsNaN(al.VerticalFt) {
			ev["vertical_ft"], ev["min_vertical_ft"] = al.VerticalFt, al.MinVerticalFt
		}
	}
	if al.Kind == monitor.KindPredictedEntry {
		ev["predicted_at"], ev["predicted_point"] = al.PredictedAt, evPoints([]monitor.Point{al.PredictedPoint})[0]
	}
	return ev
}

// TestEvidence_SameBytes: every kind of engine alert's evidence is
// journalled byte for byte as it was before Evidence was a type (the
// journal seals the canonical form, truce.AppendCanonical, of what was
// json.Marshal's), so records journalled before and after read alike.
func TestEvidence_SameBytes(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pt := func(s int, alt float64) monitor.Point {
		return monitor.Point{Time: t0.Add(time.Duration(s) * time.Second), Lat: 33 + float64(s)/100, Lon: 36, AltFt: alt, GroundSpeedKt: 420, TrackDeg: math.NaN()}
	}
	ac := monitor.Aircraft{ICAO: 0x4CA2D1, Callsign: "RYR1", Position: pt(2, 20000),
		Trigger: []monitor.Point{pt(1, 20000), pt(2, 20000)}, History: []monitor.Point{pt(0, math.NaN()), pt(1, 20000), pt(2, 20000)}}
	other := monitor.Aircraft{ICAO: 0x150001, Position: pt(2, 21000), Trigger: []monitor.Point{pt(2, 21000)}}
	empty := monitor.Aircraft{ICAO: 0x150002, Position: pt(2, math.NaN()), Trigger: []monitor.Point{}}
	for name, al := range map[string]monitor.Alert{
		"entry":         {Kind: monitor.KindZoneEntry, Time: t0, Aircraft: ac, ZoneID: "z"},
		"exit":          {Kind: monitor.KindZoneExit, Time: t0, Reason: monitor.ReasonTrackLost, Aircraft: ac, ZoneID: "z"},
		"no history":    {Kind: monitor.KindZoneEntry, Time: t0, Aircraft: monitor.Aircraft{ICAO: 1}},
		"predicted":     {Kind: monitor.KindPredictedEntry, Time: t0, Aircraft: ac, ZoneID: "z", PredictedAt: t0.Add(90 * time.Second), PredictedPoint: pt(90, 20000)},
		"proximity":     {Kind: monitor.KindProximity, Time: t0, Aircraft: ac, Other: &other, HorizontalM: 5000, VerticalFt: 1000, MinHorizontalM: 9260, MinVerticalFt: 1000},
		"proximity 0":   {Kind: monitor.KindProximity, Time: t0, Aircraft: ac, Other: &other},
		"no altitude":   {Kind: monitor.KindProximity, Time: t0, Aircraft: ac, Other: &empty, HorizontalM: 100, VerticalFt: math.NaN(), MinHorizontalM: 9260, MinVerticalFt: 1000},
		"squawk":        {Kind: monitor.KindEmergencySquawk, Time: t0, Aircraft: ac},
		"empty trigger": {Kind: monitor.KindProximity, Time: t0, Aircraft: monitor.Aircraft{ICAO: 2}, Other: &empty, VerticalFt: math.NaN()},
	} {
		raw, err := json.Marshal(evidenceMap(al))
		if err != nil {
			t.Fatal(err)
		}
		want, err := truce.AppendCanonical(nil, raw)
		if err != nil {
			t.Fatal(err)
		}
		got := toAlert(al, "Box").Evidence
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		var back Evidence
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s: reading it back: %v", name, err)
		}
		if len(back.History) != len(al.Aircraft.History) || len(back.Trigger) != len(al.Aircraft.Trigger) {
			t.Errorf("%s: read back %d history and %d trigger points, want %d and %d", name, len(back.History), len(back.Trigger),
				len(al.Aircraft.History), len(al.Aircraft.Trigger))
		}
	}
}

// TestEvidence_Canonical: the evidence written by hand is json.Marshal's
// encoding made canonical (truce.AppendCanonical), on random evidence of
// every shape (printed seed), with values JSON cannot hold refused.
func TestEvidence_Canonical(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewSource(seed))
	f := func() *float64 {
		if rnd.Intn(4) == 0 {
			return nil
		}
		v := []float64{rnd.Float64()*360 - 180, rnd.NormFloat64() * 1e22, rnd.Float64() * 1e-8, float64(rnd.Intn(40000)), math.Copysign(0, -1)}[rnd.Intn(5)]
		return &v
	}
	pts := func() []EvidencePoint {
		if rnd.Intn(5) == 0 {
			return nil
		}
		ps := make([]EvidencePoint, rnd.Intn(18))
		for i := range ps {
			ps[i] = EvidencePoint{Time: time.Unix(rnd.Int63n(1<<34), rnd.Int63n(1e9)).UTC(), Lon: *cmp.Or(f(), new(float64)), Lat: rnd.Float64()*180 - 90, AltFt: f(), GS: f(), TrackDeg: f()}
		}
		return ps
	}
	for i := range 500 {
		ev := Evidence{History: pts(), HorizontalM: f(), MinHorizontalM: f(), MinVerticalFt: f(), OtherTrigger: pts(),
			Reason: []string{"", "entered", "track_lost", `odd "<&>" reason` + "\n\u2028é"}[rnd.Intn(4)], Trigger: pts(), VerticalFt: f()}
		if rnd.Intn(3) == 0 {
			at := time.Unix(rnd.Int63n(1<<34), rnd.Int63n(1e9)).In(time.FixedZone("", 3600*rnd.Intn(5)))
			ev.PredictedAt, ev.PredictedPoint = &at, &EvidencePoint{Time: at, Lon: 36, Lat: 33, AltFt: f()}
		}
		if i%50 == 0 {
			nan := math.NaN()
			ev.VerticalFt = &nan
		}
		got, err := ev.appendJSON(nil)
		raw, werr := json.Marshal(ev)
		if werr != nil {
			if err == nil {
				t.Fatalf("wrote %s, json.Marshal refused it: %v", got, werr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("refused what json.Marshal writes: %v\n%s", err, raw)
		}
		want, err := truce.AppendCanonical(nil, raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("wrote\n%s\nwant\n%s", got, want)
		}
	}
}
