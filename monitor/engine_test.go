package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// pos is a full report of an aircraft at (lat, lon, ft) at t0+sec seconds.
func pos(icao uint32, sec float64, lat, lon, altFt float64) feed.Position {
	return feed.Position{
		ICAO: icao, Lat: lat, Lon: lon, AltFt: altFt, AltM: altFt * feed.FeetToMetres,
		Time:    t0.Add(time.Duration(sec * float64(time.Second))),
		Present: feed.FieldLatLon | feed.FieldAltitude,
	}
}

func moving(p feed.Position, gsKt, trackDeg float64) feed.Position {
	p.GroundSpeedKt, p.TrackDeg = gsKt, trackDeg
	p.Present |= feed.FieldGroundSpeed | feed.FieldTrack
	return p
}

// square is a lon/lat box zone.
func square(id string, lon0, lat0, lon1, lat1 float64) spatial.Zone {
	return spatial.Zone{
		ID:       id,
		Geometry: orb.Polygon{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}},
		FloorM:   math.Inf(-1), CeilingM: math.Inf(1),
	}
}

type recorder struct {
	mu     sync.Mutex
	alerts []monitor.Alert
}

func (r *recorder) emit(a monitor.Alert) {
	r.mu.Lock()
	r.alerts = append(r.alerts, a)
	r.mu.Unlock()
}

// of returns the alerts of one kind, in order.
func (r *recorder) of(kind monitor.Kind) []monitor.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []monitor.Alert
	for _, a := range r.alerts {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

func (r *recorder) kinds() map[monitor.Kind]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[monitor.Kind]int{}
	for _, a := range r.alerts {
		m[a.Kind]++
	}
	return m
}

func newEngine(t *testing.T, cfg monitor.Config, zones ...spatial.Zone) (*monitor.Engine, *spatial.ZoneIndex, *recorder) {
	t.Helper()
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg.Zones, cfg.Emit = x.Snapshot, rec.emit
	e, err := monitor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, x, rec
}

func TestNew_BadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  monitor.Config
	}{
		{"NegativeSeparation", monitor.Config{Separation: monitor.Separation{HorizontalM: -1}}},
		{"InfiniteSeparation", monitor.Config{Separation: monitor.Separation{VerticalFt: math.Inf(1)}}},
		{"MaxBelowDefault", monitor.Config{MaxHorizontalM: 100}},
		{"ConfirmTooLarge", monitor.Config{Confirm: monitor.MaxConfirm + 1}},
		{"ConfirmNegative", monitor.Config{Confirm: -1}},
		{"NegativeStale", monitor.Config{StaleAfter: -time.Second}},
		{"TooManyPredictedPoints", monitor.Config{LookAhead: time.Hour, PredictStep: time.Second}},
		{"NegativeMaxTracks", monitor.Config{MaxTracks: -5}},
		{"NaNMargin", monitor.Config{ProximityMargin: math.NaN()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := monitor.New(tt.cfg); !errors.Is(err, monitor.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// TestEngine_Proximity flies two aircraft head-on at the same level and
// checks that one alert is raised per episode for different parties and
// none for the same party or unattributed aircraft.
func TestEngine_Proximity(t *testing.T) {
	for _, tt := range []struct {
		name   string
		partyA string
		partyB string
		altB   float64
		want   int
		sep    *monitor.Separation
	}{
		{"DifferentParties", "red", "blue", 20000, 1, nil},
		{"SameParty", "red", "red", 20000, 0, nil},
		{"Unattributed", "red", "", 20000, 0, nil},
		{"VerticallySeparated", "red", "blue", 21500, 0, nil},
		{"WithinVertical", "red", "blue", 20900, 1, nil},
		{"PairMinimaSmaller", "red", "blue", 20000, 0, &monitor.Separation{HorizontalM: 100, VerticalFt: 1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parties := map[uint32]string{0xA: tt.partyA, 0xB: tt.partyB}
			cfg := monitor.Config{Attribute: func(icao uint32, _ string) string { return parties[icao] }}
			if tt.sep != nil {
				cfg.PairSeparation = func(a, b string) (monitor.Separation, bool) { return *tt.sep, true }
			}
			e, _, rec := newEngine(t, cfg)
			// 0.01° of latitude is 1.1 km: they close from 44 km to 0 and
			// part again, 1 km per second each... then turn back and meet
			// again for a second episode.
			for s := 0; s <= 40; s++ {
				d := float64(20-s) * 0.01
				e.Process(pos(0xA, float64(s), 33+d, 36, 20000))
				e.Process(pos(0xB, float64(s), 33-d, 36.003, tt.altB))
			}
			got := rec.kinds()[monitor.KindProximity]
			if got != tt.want {
				t.Fatalf("%d proximity alerts, want %d", got, tt.want)
			}
			if got == 1 {
				a := rec.alerts[0]
				if a.Other == nil || a.HorizontalM >= 9260 || a.MinHorizontalM != 9260 || a.VerticalFt >= 1000 {
					t.Fatalf("alert %+v", a)
				}
				if a.Aircraft.Party == a.Other.Party {
					t.Fatalf("same parties %q", a.Aircraft.Party)
				}
			}
		})
	}
}

// TestEngine_ProximityEpisodes checks the hysteresis: aircraft hovering at
// the separation raise one alert, and a second approach after parting
// beyond the margin raises another.
func TestEngine_ProximityEpisodes(t *testing.T) {
	parties := map[uint32]string{1: "red", 2: "blue"}
	e, _, rec := newEngine(t, monitor.Config{Attribute: func(icao uint32, _ string) string { return parties[icao] }})
	sec := 0.0
	at := func(km float64) {
		sec++
		e.Process(pos(1, sec, 33, 36, 10000))
		e.Process(pos(2, sec, 33+km/111.2, 36, 10000))
	}
	for _, km := range []float64{30, 9.0, 9.4, 9.1, 9.5, 9.0, 10.0, 9.2} { // within 5 NM + 10%
		at(km)
	}
	if n := rec.kinds()[monitor.KindProximity]; n != 1 {
		t.Fatalf("%d alerts while hovering at the minimum, want 1", n)
	}
	at(10.5) // beyond 9,260 m × 1.1
	at(8)
	if n := rec.kinds()[monitor.KindProximity]; n != 2 {
		t.Fatalf("%d alerts after parting and closing again, want 2", n)
	}
	ps, ends := rec.of(monitor.KindProximity), rec.of(monitor.KindProximityEnded)
	if ps[0].Episode == ps[1].Episode {
		t.Fatal("two episodes share an id")
	}
	// The first episode ended when they parted, with its reason; the
	// second goes on.
	if len(ends) != 1 || ends[0].Episode != ps[0].Episode || ends[0].Reason != monitor.ReasonSeparated || ends[0].Other == nil {
		t.Fatalf("episode ends %+v, want one: the first episode's, separated", ends)
	}
}

// TestEngine_ProximityGrid puts many attributed aircraft on a lattice 20 km
// apart (none in conflict) and one intruder, and checks that exactly its
// neighbours within 5 NM are reported, at several latitudes.
func TestEngine_ProximityGrid(t *testing.T) {
	for _, lat0 := range []float64{-60, 0, 33.5, 69.9} {
		parties := func(icao uint32, _ string) string {
			if icao == 0xFFFF {
				return "blue"
			}
			return "red"
		}
		e, _, rec := newEngine(t, monitor.Config{Attribute: parties})
		dLat := 20.0 / 111.2
		dLon := dLat / math.Cos(lat0*math.Pi/180)
		icao := uint32(1)
		for i := range 20 {
			for j := range 20 {
				e.Process(pos(icao, 0, lat0+float64(i)*dLat, 30+float64(j)*dLon, 5000))
				icao++
			}
		}
		if n := len(rec.alerts); n != 0 {
			t.Fatalf("lat %v: %d alerts on the lattice", lat0, n)
		}
		// At a lattice point's corner: within 9,260 m of the four around.
		p := orb.Point{30 + 5.5*dLon, lat0 + 5.5*dLat}
		want := 0
		for i := range 20 {
			for j := range 20 {
				if geo.Distance(p, orb.Point{30 + float64(j)*dLon, lat0 + float64(i)*dLat}) < 9260*1.6 {
					want++
				}
			}
		}
		e.Process(pos(0xFFFF, 1, p[1], p[0], 5000))
		near := 0
		for i := range 20 {
			for j := range 20 {
				if geo.Distance(p, orb.Point{30 + float64(j)*dLon, lat0 + float64(i)*dLat}) < 9260 {
					near++
				}
			}
		}
		if len(rec.alerts) != near || want < 4 {
			t.Fatalf("lat %v: %d alerts, want %d", lat0, len(rec.alerts), near)
		}
	}
}

// TestEngine_Squawk raises one alert per emergency episode.
func TestEngine_Squawk(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{})
	codes := []feed.Squawk{0o1234, 0o7700, 0o7700, 0o7700, 0o1234, 0o7700, 0o7600, 0o7600}
	for i, c := range codes {
		p := pos(0x4BAAC6, float64(i), 33.5, 36.3, 20000)
		p.Squawk, p.Present = c, p.Present|feed.FieldSquawk
		e.Process(p)
	}
	var got []feed.Squawk
	for _, a := range rec.alerts {
		if a.Kind != monitor.KindEmergencySquawk {
			t.Fatalf("unexpected %s", a.Kind)
		}
		got = append(got, a.Squawk)
		if a.Aircraft.Position.Lat != 33.5 {
			t.Fatalf("alert without the position: %+v", a.Aircraft.Position)
		}
	}
	want := []feed.Squawk{0o7700, 0o7700, 0o7600}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("alerts for %v, want %v", got, want)
	}
}

// TestEngine_PartialReports merges SBS messages that carry one field each,
// as real feeds send them (MSG,1 callsign, MSG,3 position, MSG,4 velocity,
// MSG,6 squawk), decoded by feed.DecodeSBS.
func TestEngine_PartialReports(t *testing.T) {
	var party string
	e, _, _ := newEngine(t, monitor.Config{Attribute: func(_ uint32, cs string) string {
		if cs == "RFR123" {
			party = "red"
			return "red"
		}
		return ""
	}})
	lines := []string{
		"MSG,3,1,1,4CA2D6,1,2026/12/01,06:00:00.000,2026/12/01,06:00:00.000,,37000,,,33.50000,36.30000,,,0,0,0,0",
		"MSG,4,1,1,4CA2D6,1,2026/12/01,06:00:01.000,2026/12/01,06:00:01.000,,,450,90.0,,,-640,,,,,0",
		"MSG,1,1,1,4CA2D6,1,2026/12/01,06:00:02.000,2026/12/01,06:00:02.000,RFR123,,,,,,,,,,,0",
		"MSG,6,1,1,4CA2D6,1,2026/12/01,06:00:03.000,2026/12/01,06:00:03.000,,,,,,,,2000,0,0,0,0",
		"MSG,5,1,1,4CA2D6,1,2026/12/01,06:00:04.000,2026/12/01,06:00:04.000,,36900,,,,,,,0,0,0,0",
	}
	for _, l := range lines {
		p, err := feed.DecodeSBS([]byte(l), t0)
		if err != nil {
			t.Fatal(err)
		}
		e.Process(p)
	}
	ti, ok := e.Track(0x4CA2D6)
	if !ok {
		t.Fatal("no track")
	}
	want := monitor.TrackInfo{Callsign: "RFR123", Squawk: 0o2000, Party: "red"}
	if ti.Callsign != want.Callsign || ti.Squawk != want.Squawk || ti.Party != want.Party || party != "red" {
		t.Fatalf("track %+v", ti)
	}
	if ti.Position.Lat != 33.5 || ti.Position.AltFt != 36900 || ti.Position.GroundSpeedKt != 450 || ti.Position.TrackDeg != 90 || ti.VerticalRateFpm != -640 {
		t.Fatalf("position %+v vrate %v", ti.Position, ti.VerticalRateFpm)
	}
	if !ti.Position.Time.Equal(t0) || !ti.LastSeen.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("position time %v, last seen %v", ti.Position.Time, ti.LastSeen)
	}
	if _, ok := e.Track(0x123456); ok {
		t.Fatal("a track for an aircraft never reported")
	}
}

// TestEngine_PredictedEntry flies an aircraft east towards a zone 30 km
// ahead at 450 kt (231 m/s): the entry is predicted once, about 2 minutes
// before, and then the real entry follows; no prediction is raised for a
// zone the aircraft is inside, nor for an aircraft flying away.
func TestEngine_PredictedEntry(t *testing.T) {
	zone := square("nfz", 36.5, 33.0, 36.7, 34.0)
	t.Run("Towards", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{}, zone)
		// 0.5° of longitude at 33.5° N is 46.4 km.
		lonPerSec := 231.5 / (111320 * math.Cos(33.5*math.Pi/180))
		for s := 0; s < 220; s++ {
			e.Process(moving(pos(0xA, float64(s), 33.5, 36.0+float64(s)*lonPerSec, 20000), 450, 90))
		}
		var kinds []monitor.Kind
		for _, a := range rec.alerts {
			kinds = append(kinds, a.Kind)
		}
		// The prediction's episode ends with the entry, after it, naming it.
		if len(kinds) != 3 || kinds[0] != monitor.KindPredictedEntry || kinds[1] != monitor.KindZoneEntry || kinds[2] != monitor.KindPredictionEnded {
			t.Fatalf("alerts %v, want a predicted entry, an entry, then the prediction's end", kinds)
		}
		p, entry, end := rec.alerts[0], rec.alerts[1], rec.alerts[2]
		if end.Episode != p.Episode || end.Reason != monitor.ReasonEntered || end.EndedBy != entry.Episode || !end.Time.Equal(entry.Time) {
			t.Errorf("prediction end %+v, want the prediction's episode ended by the entry's (%s) at %v", end, entry.Episode, entry.Time)
		}
		lead := entry.Time.Sub(p.Time)
		if lead < 100*time.Second || lead > 125*time.Second {
			t.Errorf("predicted %v ahead, want about 2 minutes", lead)
		}
		if d := p.PredictedAt.Sub(entry.Aircraft.Trigger[0].Time); d < -6*time.Second || d > 6*time.Second {
			t.Errorf("predicted entry at %v, actual first inside position %v", p.PredictedAt, entry.Aircraft.Trigger[0].Time)
		}
		if p.PredictedPoint.Lon < 36.5 || p.PredictedPoint.Lon > 36.52 {
			t.Errorf("predicted point %+v", p.PredictedPoint)
		}
	})
	// Heading for the zone, then turning away: the prediction expires on
	// its own after PredictHold, with its reason, and no entry.
	t.Run("TurnsAway", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{}, zone)
		lonPerSec := 231.5 / (111320 * math.Cos(33.5*math.Pi/180))
		lon := 36.25 // 23 km from the zone: predicted at once
		for s := 0; s < 100; s++ {
			trk := 90.0
			if s >= 10 {
				trk = 270
				lon -= lonPerSec
			} else {
				lon += lonPerSec
			}
			e.Process(moving(pos(0xA, float64(s), 33.5, lon, 20000), 450, trk))
		}
		ps, ends := rec.of(monitor.KindPredictedEntry), rec.of(monitor.KindPredictionEnded)
		if len(ps) != 1 || len(ends) != 1 || rec.kinds()[monitor.KindZoneEntry] != 0 {
			t.Fatalf("alerts %v, want one prediction and its end", rec.kinds())
		}
		if ends[0].Episode != ps[0].Episode || ends[0].Reason != monitor.ReasonNoEntry || ends[0].EndedBy != "" {
			t.Fatalf("end %+v, want the prediction's episode expired (%s)", ends[0], monitor.ReasonNoEntry)
		}
		// Not before PredictHold (30 s) after the last prediction (before
		// the turn at 10 s).
		if d := ends[0].Time.Sub(t0); d < 39*time.Second || d > 42*time.Second {
			t.Errorf("prediction expired at t0+%v, want 30 s after the turn", d)
		}
	})
	t.Run("Away", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{}, zone)
		for s := 0; s < 100; s++ {
			e.Process(moving(pos(0xA, float64(s), 33.5, 36.4-float64(s)*0.0025, 20000), 450, 270))
		}
		if len(rec.alerts) != 0 {
			t.Fatalf("%d alerts flying away", len(rec.alerts))
		}
	})
	t.Run("Inside", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{}, zone)
		for s := 0; s < 100; s++ {
			e.Process(moving(pos(0xA, float64(s), 33.1+float64(s)*0.0021, 36.6, 20000), 450, 0))
		}
		if k := rec.kinds(); k[monitor.KindPredictedEntry] != 0 || k[monitor.KindZoneEntry] != 1 {
			t.Fatalf("alerts %v inside a zone", k)
		}
	})
	// The zone comes into force at t0+opens; the aircraft reaches it at
	// about t0+200 s. A prediction is made only if the zone will be in force
	// when the aircraft gets there.
	for _, tt := range []struct {
		name  string
		opens time.Duration
		want  map[monitor.Kind]int
	}{
		{"OpensBeforeArrival", 150 * time.Second, map[monitor.Kind]int{monitor.KindPredictedEntry: 1, monitor.KindZoneEntry: 1, monitor.KindPredictionEnded: 1}},
		{"OpensAfterArrival", 300 * time.Second, map[monitor.Kind]int{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			z := zone
			z.Windows = []spatial.Window{{Start: t0.Add(tt.opens)}}
			e, _, rec := newEngine(t, monitor.Config{}, z)
			lonPerSec := 231.5 / (111320 * math.Cos(33.5*math.Pi/180))
			for s := 0; s < 220; s++ {
				e.Process(moving(pos(0xA, float64(s), 33.5, 36.0+float64(s)*lonPerSec, 20000), 450, 90))
			}
			got := rec.kinds()
			if len(got) != len(tt.want) || got[monitor.KindPredictedEntry] != tt.want[monitor.KindPredictedEntry] || got[monitor.KindZoneEntry] != tt.want[monitor.KindZoneEntry] {
				t.Fatalf("alerts %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("ClimbIntoBand", func(t *testing.T) {
		z := square("band", 35.0, 33.0, 38.0, 34.0)
		z.FloorM, z.CeilingM = 6000, 8000
		e, _, rec := newEngine(t, monitor.Config{}, z)
		for s := 0; s < 200; s++ {
			altM := 4000 + 15.24*float64(s) // 3,000 ft/min
			p := moving(pos(0xA, float64(s), 33.5, 35.5+float64(s)*0.002, altM/feed.FeetToMetres), 400, 90)
			p.VerticalRateFpm, p.Present = 3000, p.Present|feed.FieldVerticalRate
			e.Process(p)
		}
		if len(rec.alerts) != 3 || rec.alerts[0].Kind != monitor.KindPredictedEntry || rec.alerts[1].Kind != monitor.KindZoneEntry || rec.alerts[2].Kind != monitor.KindPredictionEnded {
			t.Fatalf("alerts %v", rec.kinds())
		}
		// 6,000 m is reached at 131 s; the prediction comes at most 120 s
		// before (at 15 s: the first tested point in the band is at 135 s),
		// the entry on the second position in the band (132 s, 133 s).
		if p, e := rec.alerts[0], rec.alerts[1]; p.Time.Sub(t0) < 10*time.Second || p.Time.Sub(t0) > 16*time.Second || e.Time.Sub(t0) != 133*time.Second {
			t.Fatalf("predicted at %v, entered at %v", p.Time.Sub(t0), e.Time.Sub(t0))
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{LookAhead: -1}, zone)
		for s := 0; s < 100; s++ {
			e.Process(moving(pos(0xA, float64(s), 33.5, 36.3+float64(s)*0.0025, 20000), 450, 90))
		}
		if rec.kinds()[monitor.KindPredictedEntry] != 0 {
			t.Fatal("prediction while disabled")
		}
	})
}

// TestEngine_NoFlapping flies along a zone's edge with positions alternately
// just inside and just outside: nothing with the default hysteresis, and
// one episode once it settles inside and another when it settles outside.
func TestEngine_NoFlapping(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{}, square("nfz", 36.0, 33.0, 37.0, 34.0))
	s := 0.0
	fly := func(n int, lat func(i int) float64) {
		for i := range n {
			s++
			e.Process(pos(0xA, s, lat(i), 36.5, 20000))
		}
	}
	hug := func(i int) float64 { return 33.0 + 0.0001*float64(1-2*(i%2)) }
	fly(200, hug)
	if len(rec.alerts) != 0 {
		t.Fatalf("%d alerts on the boundary, want 0", len(rec.alerts))
	}
	fly(3, func(int) float64 { return 33.01 })
	fly(200, hug)
	fly(3, func(int) float64 { return 32.99 })
	k := rec.kinds()
	if k[monitor.KindZoneEntry] != 1 || k[monitor.KindZoneExit] != 1 {
		t.Fatalf("alerts %v, want one entry and one exit", k)
	}
	if rec.alerts[0].Episode != rec.alerts[1].Episode || rec.alerts[1].Reason != monitor.ReasonLeft {
		t.Fatalf("exit %+v", rec.alerts[1])
	}
}

// TestEngine_ZoneIntoForce adds a no-fly zone with aircraft already inside
// it, then withdraws it, then restricts it to a window that closes.
func TestEngine_ZoneIntoForce(t *testing.T) {
	now := t0.Add(10 * time.Second)
	e, x, rec := newEngine(t, monitor.Config{Now: func() time.Time { return now }})
	e.Process(pos(1, 0, 33.5, 36.5, 10000))
	e.Process(pos(2, 0, 33.5, 36.6, 50000)) // above the band
	e.Process(pos(3, 0, 35.0, 36.5, 10000)) // elsewhere
	z := square("nfz", 36.0, 33.0, 37.0, 34.0)
	z.FloorM, z.CeilingM = 0, 10000
	if err := x.Insert(z); err != nil {
		t.Fatal(err)
	}
	e.ZonesChanged([]string{"nfz"})
	if len(rec.alerts) != 1 || rec.alerts[0].Kind != monitor.KindZoneEntry || rec.alerts[0].Aircraft.ICAO != 1 || rec.alerts[0].Reason != monitor.ReasonZoneChange || !rec.alerts[0].Time.Equal(now) {
		t.Fatalf("alerts %+v, want one entry of aircraft 1", rec.alerts)
	}
	if ti, _ := e.Track(1); len(ti.Zones) != 1 || ti.Zones[0] != "nfz" {
		t.Fatalf("track zones %v", ti.Zones)
	}
	x.Delete("nfz")
	e.ZonesChanged(nil)
	if len(rec.alerts) != 2 || rec.alerts[1].Kind != monitor.KindZoneExit || rec.alerts[1].Reason != monitor.ReasonZoneInactive || rec.alerts[1].Episode != rec.alerts[0].Episode {
		t.Fatalf("alerts %+v, want an exit for the withdrawn zone", rec.alerts)
	}
	// A window closing while the aircraft reports from inside: an exit
	// with Reason zone_inactive after Confirm positions.
	z.Windows = []spatial.Window{{End: t0.Add(20 * time.Second)}}
	if err := x.Insert(z); err != nil {
		t.Fatal(err)
	}
	e.ZonesChanged(nil)
	for s := 11; s <= 25; s++ {
		now = t0.Add(time.Duration(s) * time.Second) // Config.Now is the wall clock
		e.Process(pos(1, float64(s), 33.5, 36.5, 10000))
	}
	last := rec.alerts[len(rec.alerts)-1]
	if len(rec.alerts) != 4 || last.Kind != monitor.KindZoneExit || last.Reason != monitor.ReasonZoneInactive || !last.Time.Equal(t0.Add(21*time.Second)) {
		t.Fatalf("alerts %+v", rec.alerts)
	}
}

// TestEngine_Stale expires silent tracks, closing their episodes.
func TestEngine_Stale(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{}, square("nfz", 36.0, 33.0, 37.0, 34.0))
	// Each aircraft's reports in time order: silence is measured on the
	// engine's clock, which follows the newest report.
	for s := range 5 {
		e.Process(pos(1, float64(s), 33.5, 36.5, 10000))
	}
	for s := range 5 {
		e.Process(pos(2, float64(s)+30, 35.5, 36.5, 10000))
	}
	e.Expire(t0.Add(60 * time.Second))
	if e.Len() != 2 {
		t.Fatalf("%d tracks before the timeout, want 2", e.Len())
	}
	e.Expire(t0.Add(65 * time.Second))
	if _, ok := e.Track(1); ok || e.Len() != 1 {
		t.Fatal("track 1 not expired")
	}
	last := rec.alerts[len(rec.alerts)-1]
	if last.Kind != monitor.KindZoneExit || last.Reason != monitor.ReasonTrackLost || e.Counters.Expired.Load() != 1 {
		t.Fatalf("alerts %+v", rec.alerts)
	}
	e.Expire(t0.Add(95 * time.Second))
	if e.Len() != 0 {
		t.Fatal("track 2 not expired")
	}
}

// TestEngine_MaxTracks refuses new aircraft beyond the cap until old ones
// are stale.
func TestEngine_MaxTracks(t *testing.T) {
	e, _, _ := newEngine(t, monitor.Config{MaxTracks: 10})
	for i := range 20 {
		e.Process(pos(uint32(i+1), 0, 33.5, 36.5, 10000))
	}
	if e.Len() != 10 || e.Counters.Refused.Load() != 10 {
		t.Fatalf("%d tracks, %d refused", e.Len(), e.Counters.Refused.Load())
	}
	e.Process(pos(100, 120, 33.5, 36.5, 10000))
	if e.Len() != 1 {
		t.Fatalf("%d tracks after the others went stale, want 1", e.Len())
	}
}

// TestEngine_Overload fills the queue faster than the worker drains it:
// positions are dropped and counted, and every alert still arrives.
func TestEngine_Overload(t *testing.T) {
	block := make(chan struct{})
	var once sync.Once
	rec := &recorder{}
	x := spatial.NewZoneIndex()
	if err := x.Load([]spatial.Zone{square("nfz", 36.0, 33.0, 37.0, 34.0)}); err != nil {
		t.Fatal(err)
	}
	e, err := monitor.New(monitor.Config{
		Zones: x.Snapshot, QueueSize: 64, Confirm: 1, LookAhead: -1,
		Emit: func(a monitor.Alert) {
			once.Do(func() { <-block }) // a slow journal, once
			rec.emit(a)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	for e.Ingest(pos(0xFFFFFF, 0, 10, 10, 0)) == false {
	}
	// The worker has taken the first position and waits for more.
	testwait.For(t, time.Minute, "the first position processed", func() bool { return e.Counters.Processed.Load() == 1 })
	// 1,000 aircraft each entering the zone: 1,000 entry alerts expected
	// for those whose position got in.
	accepted := 0
	for i := range 1000 {
		if e.Ingest(pos(uint32(i+1), 0, 33.5, 36.5, 10000)) {
			accepted++
		}
	}
	close(block)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	c := &e.Counters
	if c.Dropped.Load() == 0 || c.Dropped.Load()+c.Ingested.Load() != 1001 || int(c.Ingested.Load()) != accepted+1 {
		t.Fatalf("ingested %d, dropped %d", c.Ingested.Load(), c.Dropped.Load())
	}
	if c.Processed.Load() != c.Ingested.Load() || accepted < 60 || len(rec.alerts) != accepted || c.Alerts.Load() != uint64(accepted) {
		t.Fatalf("processed %d of %d, %d alerts", c.Processed.Load(), accepted, len(rec.alerts))
	}
}

// TestEngine_ConcurrentReads reads tracks while the worker processes.
func TestEngine_ConcurrentReads(t *testing.T) {
	e, _, _ := newEngine(t, monitor.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			n := 0
			e.Tracks(orb.Bound{Min: orb.Point{36, 33}, Max: orb.Point{37, 34}}, func(monitor.TrackInfo) bool { n++; return true })
			e.Track(5)
		}
	}()
	for i := range 5000 {
		p := pos(uint32(i%100+1), float64(i/100), 33.5, 36.5, 10000)
		testwait.For(t, time.Minute, "room in the queue", func() bool { return e.Ingest(p) })
	}
	wg.Wait()
	cancel()
	<-done
	n := 0
	e.Tracks(orb.Bound{Min: orb.Point{36, 33}, Max: orb.Point{37, 34}}, func(monitor.TrackInfo) bool { n++; return true })
	if n != 100 {
		t.Fatalf("%d tracks in the box, want 100", n)
	}
	ti, _ := e.Track(5)
	if len(ti.History) != 5 { // 50 s at one report a second, 10 s spacing
		t.Fatalf("history of %d points, want 5", len(ti.History))
	}
}

// TestEngine_BadPositions feeds positions no decoder would produce: they are
// counted and ignored, never a panic.
func TestEngine_BadPositions(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{Attribute: func(uint32, string) string { return "red" }}, square("nfz", 36.0, 33.0, 37.0, 34.0))
	bad := []feed.Position{
		pos(1, 0, math.NaN(), 36.5, 10000),
		pos(1, 0, 33.5, math.Inf(1), 10000),
		pos(1, 0, 91, 36.5, 10000),
		pos(1, 0, 33.5, -181, 10000),
		pos(1, 0, 33.5, 36.5, math.NaN()),
		moving(pos(1, 0, 33.5, 36.5, 10000), math.Inf(1), 90),
		moving(pos(1, 0, 33.5, 36.5, 10000), 400, math.NaN()),
	}
	for _, p := range bad {
		e.Process(p)
	}
	if got := e.Counters.Invalid.Load(); got != uint64(len(bad)) || e.Len() != 0 || len(rec.alerts) != 0 {
		t.Fatalf("%d invalid of %d, %d tracks, %d alerts", got, len(bad), e.Len(), len(rec.alerts))
	}
	// Extreme but valid: the poles and the antimeridian.
	for i, p := range []feed.Position{pos(2, 0, 90, 180, 0), pos(3, 0, -90, -180, 0), pos(4, 0, 89.99, 0, 0), pos(5, 0, 89.99, 0.001, 0)} {
		e.Process(p)
		if e.Len() != i+1 {
			t.Fatalf("valid position %d not tracked", i)
		}
	}
}

// TestEngine_RunOnce refuses a second Run while one works.
func TestEngine_RunOnce(t *testing.T) {
	e, _, _ := newEngine(t, monitor.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	e.Ingest(pos(1, 0, 33, 36, 0))
	testwait.For(t, time.Minute, "the position to be processed", func() bool { return e.Counters.Processed.Load() > 0 })
	if err := e.Run(ctx); !errors.Is(err, monitor.ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// TestAlert_JSON encodes alerts with unknown values, which encoding/json
// cannot write as NaN.
func TestAlert_JSON(t *testing.T) {
	parties := map[uint32]string{1: "red", 2: "blue"}
	e, _, rec := newEngine(t, monitor.Config{Attribute: func(icao uint32, _ string) string { return parties[icao] }})
	p := pos(1, 0, 33.5, 36.5, 0)
	p.Present &^= feed.FieldAltitude // unknown altitude
	e.Process(p)
	e.Process(pos(2, 1, 33.51, 36.5, 10000))
	if len(rec.alerts) != 1 {
		t.Fatalf("%d alerts", len(rec.alerts))
	}
	b, err := json.Marshal(rec.alerts[0])
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Kind     string
		Aircraft struct {
			ICAO     string
			Position struct {
				AltFt *float64 `json:"alt_ft"`
			}
		}
		VerticalFt *float64 `json:"vertical_ft"`
		Horizontal float64  `json:"horizontal_m"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != "proximity" || got.VerticalFt != nil || got.Horizontal < 1000 || got.Horizontal > 1200 {
		t.Fatalf("%s", b)
	}
	ti, _ := e.Track(1)
	if b, err = json.Marshal(ti); err != nil || !strings.Contains(string(b), `"icao":"000001"`) || !strings.Contains(string(b), `"alt_ft":null`) {
		t.Fatalf("%s %v", b, err)
	}
}

// TestEngine_FeedClock runs a replay of positions two days old through Run:
// the default clock follows the feed, so the tracks are not expired as
// stale by the wall clock.
func TestEngine_FeedClock(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{}, square("nfz", 36.0, 33.0, 37.0, 34.0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	old := time.Now().Add(-48 * time.Hour)
	for s := range 3 {
		p := pos(1, 0, 33.5, 36.5, 10000)
		p.Time = old.Add(time.Duration(s) * time.Second)
		e.Ingest(p)
	}
	testwait.For(t, time.Minute, "3 positions processed", func() bool { return e.Counters.Processed.Load() >= 3 })
	// What is checked is that Run's expiry, once a second, expires
	// nothing: wait for a pass that began after the positions were in
	// and has ended (a pass counts when it ends, so the second one
	// counted from now).
	swept := e.Counters.Sweeps.Load()
	testwait.For(t, time.Minute, "an expiry pass", func() bool { return e.Counters.Sweeps.Load() >= swept+2 })
	if e.Len() != 1 || e.Counters.Expired.Load() != 0 {
		t.Fatalf("%d tracks, %d expired", e.Len(), e.Counters.Expired.Load())
	}
	if d := e.Now().Sub(old); d < 2*time.Second || d > 10*time.Second {
		t.Fatalf("clock %v after the replay's last position", d)
	}
	// A report from the future does not move the clock past the wall.
	p := pos(2, 0, 35, 36, 0)
	p.Time = time.Now().Add(time.Hour)
	e.Ingest(p)
	testwait.For(t, time.Minute, "4 positions processed", func() bool { return e.Counters.Processed.Load() >= 4 })
	if e.Now().After(time.Now()) {
		t.Fatal("clock ahead of the wall clock")
	}
	cancel()
	<-done
	if k := rec.kinds(); k[monitor.KindZoneEntry] != 1 || k[monitor.KindZoneExit] != 0 {
		t.Fatalf("alerts %v", k)
	}
}

// TestEngine_PartiesChanged ends proximity episodes between aircraft that
// become the same party and finds them again when they differ again.
func TestEngine_PartiesChanged(t *testing.T) {
	parties := map[uint32]string{1: "red", 2: "blue"}
	var mu sync.Mutex
	e, _, rec := newEngine(t, monitor.Config{Attribute: func(icao uint32, _ string) string {
		mu.Lock()
		defer mu.Unlock()
		return parties[icao]
	}})
	sec := 0.0
	step := func() {
		sec++
		e.Process(pos(1, sec, 33.5, 36.5, 10000))
		e.Process(pos(2, sec, 33.52, 36.5, 10000))
	}
	step()
	set := func(p string) {
		mu.Lock()
		parties[2] = p
		mu.Unlock()
		e.PartiesChanged()
	}
	set("red")
	step()
	if ti, _ := e.Track(2); ti.Party != "red" {
		t.Fatalf("party %q after PartiesChanged", ti.Party)
	}
	set("blue")
	step()
	step()
	if ps := rec.of(monitor.KindProximity); len(ps) != 2 || ps[0].Episode == ps[1].Episode {
		n := len(ps)
		t.Fatalf("%d proximity alerts, want 2 episodes", n)
	}
}

// TestEngine_ZonesChangedSome re-evaluates only the named zones, and
// confirms at once an entry that was still being counted.
func TestEngine_ZonesChangedSome(t *testing.T) {
	now := t0.Add(time.Minute)
	a, b := square("a", 36.0, 33.0, 37.0, 34.0), square("b", 36.4, 33.4, 36.6, 33.6)
	e, x, rec := newEngine(t, monitor.Config{Confirm: 3, Now: func() time.Time { return now }}, a, b)
	e.Process(pos(1, 0, 33.5, 36.5, 10000)) // counting 1 of 3 for both zones
	if len(rec.alerts) != 0 {
		t.Fatal("entry before Confirm positions")
	}
	x.Delete("b")
	e.ZonesChanged([]string{"a"})
	if len(rec.alerts) != 1 || rec.alerts[0].ZoneID != "a" || rec.alerts[0].Reason != monitor.ReasonZoneChange {
		t.Fatalf("alerts %+v, want the entry into a only", rec.alerts)
	}
	// b's count was left alone: two more positions inside a, none in b
	// (deleted) start nothing new and end b's count.
	e.Process(pos(1, 1, 33.5, 36.5, 10000))
	e.Process(pos(1, 2, 33.5, 36.5, 10000))
	if ti, _ := e.Track(1); len(ti.Zones) != 1 || ti.Zones[0] != "a" || len(rec.alerts) != 1 {
		t.Fatalf("zones %v, %d alerts", ti.Zones, len(rec.alerts))
	}
}

// TestEngine_HistoryPrecision checks the evidence a track keeps in compact
// form: values with no more decimals than its steps (1e-7 degree, 0.01 ft,
// 0.001 kt, 1e-5 degree of track) come back exactly, others within a step,
// unknown values stay unknown, and times are exact to the nanosecond.
func TestEngine_HistoryPrecision(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{Confirm: 3, HistorySpacing: time.Second}, square("nfz", 36.0, 33.0, 37.0, 34.0))
	type report struct {
		lat, lon, alt, gs, trk float64
		ns                     int64
	}
	reps := []report{
		{-12.3456789123, 36.5, -1234.56789, 450.3333333, 0.000004, 999999999},
		{33.1234567, 36.9876543, 12375, 431.125, 87.12345, 123456789},
		{33.5000001, 36.1000009, math.NaN(), 0.001, 359.99999, 1},
		{33.75, 36.75, 41000, 300, 270, 0},
	}
	for i, r := range reps {
		p := moving(pos(7, float64(2*i), r.lat, r.lon, r.alt), r.gs, r.trk)
		p.Time = p.Time.Add(time.Duration(r.ns))
		if math.IsNaN(r.alt) {
			p.Present &^= feed.FieldAltitude
		}
		e.Process(p)
	}
	ti, ok := e.Track(7)
	if !ok || len(ti.History) != len(reps) {
		t.Fatalf("track %v, history %d points, want %d", ok, len(ti.History), len(reps))
	}
	near := func(got, want, step float64) bool {
		if math.IsNaN(want) {
			return math.IsNaN(got)
		}
		return math.Abs(got-want) <= step/2*(1+1e-9)
	}
	for i, r := range reps {
		h := ti.History[i]
		wantT := t0.Add(time.Duration(2*i)*time.Second + time.Duration(r.ns))
		if !h.Time.Equal(wantT) {
			t.Errorf("point %d: time %v, want %v", i, h.Time, wantT)
		}
		alt := r.alt
		if i == 2 {
			alt = reps[1].alt // an unreported altitude keeps the last known one
		}
		if !near(h.Lat, r.lat, 1e-7) || !near(h.Lon, r.lon, 1e-7) || !near(h.AltFt, alt, 1e-2) ||
			!near(h.GroundSpeedKt, r.gs, 1e-3) || !near(h.TrackDeg, r.trk, 1e-5) {
			t.Errorf("point %d: %+v, want %+v within a step", i, h, r)
		}
	}
	// Reported with no more decimals than the steps: exact.
	if h := ti.History[1]; h.Lat != 33.1234567 || h.Lon != 36.9876543 || h.AltFt != 12375 || h.GroundSpeedKt != 431.125 || h.TrackDeg != 87.12345 {
		t.Errorf("point 1: %+v, want the reported values exactly", h)
	}
	if h := ti.History[3]; h.Lat != 33.75 || h.Lon != 36.75 || h.AltFt != 41000 || h.GroundSpeedKt != 300 || h.TrackDeg != 270 {
		t.Errorf("point 3: %+v, want the reported values exactly", h)
	}
	// The entry's trigger holds the Confirm positions inside, the kept
	// ones from the same compact ring.
	var entry *monitor.Alert
	for i := range rec.alerts {
		if rec.alerts[i].Kind == monitor.KindZoneEntry {
			entry = &rec.alerts[i]
		}
	}
	if entry == nil {
		t.Fatalf("no entry alert in %d alerts", len(rec.alerts))
	}
	tr := entry.Aircraft.Trigger
	if len(tr) != 3 || tr[0] != ti.History[1] || tr[1].Lat != 33.5000001 || tr[1].Lon != 36.1000009 || tr[1].AltFt != 12375 ||
		tr[2] != entry.Aircraft.Position {
		t.Errorf("trigger %+v", tr)
	}
}

// TestEngine_EpisodesInOrder: episodes that start later have identifiers
// that sort later, so that a store indexing alerts by episode appends to
// the index rather than writing a page at random in it for every alert
// (with hashed identifiers, journalling an alert wrote three times as many
// bytes at 40,000 alerts as at 4,000). They stay distinct for episodes
// started in the same millisecond, and 32 hexadecimal digits.
func TestEngine_EpisodesInOrder(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{})
	for i := range 400 {
		// Four aircraft start an episode in each millisecond.
		p := pos(0x700000+uint32(i), float64(i/4)/1000, 33.5, 36.3, 20000)
		p.Squawk, p.Present = feed.SquawkEmergency, p.Present|feed.FieldSquawk
		e.Process(p)
	}
	if len(rec.alerts) != 400 {
		t.Fatalf("%d alerts, want 400", len(rec.alerts))
	}
	seen := map[string]bool{}
	for i, a := range rec.alerts {
		if len(a.Episode) != 32 || strings.Trim(a.Episode, "0123456789abcdef") != "" {
			t.Fatalf("episode %q is not 32 hexadecimal digits", a.Episode)
		}
		if seen[a.Episode] {
			t.Fatalf("episode %s given twice", a.Episode)
		}
		seen[a.Episode] = true
		if i >= 4 && rec.alerts[i-4].Episode >= a.Episode {
			t.Fatalf("episode %s started at %s sorts before or as %s started at %s", a.Episode, a.Time, rec.alerts[i-4].Episode, rec.alerts[i-4].Time)
		}
	}
}
