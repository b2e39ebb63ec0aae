package monitor_test

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/geo/geotest"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// The real recordings of feed's testdata (xoolive/traffic samples, MIT) and
// the real OCHA sub-district polygons of geo's testdata (CC BY-IGO, credit
// OCHA / HDX).
const (
	traceFile = "../feed/testdata/trace_full_ac671b.json.gz"
	admin3    = "../geo/testdata/syria-admin3-ocha.geojson"
)

var replayStart = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

func readRecorded(tb testing.TB, name string) []feed.Position {
	tb.Helper()
	f, err := os.Open("../feed/testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var ps []feed.Position
	if name == "trace_full_ac671b.json.gz" {
		ps, err = feed.ReadTrace(f)
	} else {
		ps, err = feed.ReadTraffic(f)
	}
	if err != nil {
		tb.Fatal(err)
	}
	// Relocated over Syria, starting near Damascus.
	out, err := feed.Relocate(ps, 33.5, 36.3, replayStart)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// subdistricts decodes the real polygons without validation (two carry
// centimetre bow-ties the index still holds).
func subdistricts(tb testing.TB) []orb.Geometry {
	tb.Helper()
	fs, err := geotest.LoadLoose(admin3)
	if err != nil {
		tb.Fatal(err)
	}
	return geotest.Geometries(fs)
}

// moveTo scales g about its bound's centre by s and moves that centre to c.
func moveTo(g orb.Geometry, c orb.Point, s float64) orb.Geometry {
	b := g.Bound().Center()
	return geotest.Moved(g, func(p orb.Point) orb.Point { return orb.Point{c[0] + (p[0]-b[0])*s, c[1] + (p[1]-b[1])*s} })
}

// zonesAcross places zones across a relocated track: at a quarter, half and
// three quarters of its positions, and on the edge of a small circle that
// the path grazes, with real sub-district shapes, altitude bands and an
// active window that opens and closes while the aircraft is inside.
func zonesAcross(tb testing.TB, ps []feed.Position, shapes []orb.Geometry) []spatial.Zone {
	tb.Helper()
	var with []feed.Position
	for _, p := range ps {
		if p.Present.Has(feed.FieldLatLon) {
			with = append(with, p)
		}
	}
	at := func(f float64) feed.Position { return with[int(f*float64(len(with)-1))] }
	alt := func(p feed.Position) float64 {
		if p.Present.Has(feed.FieldAltitude) {
			return p.AltM
		}
		return 3000
	}
	inf := math.Inf(1)
	q1, q2, q3, q4 := at(0.25), at(0.5), at(0.75), at(0.4)
	circle, err := geo.Circle(orb.Point{q4.Lon + 0.01, q4.Lat}, 1200, 64)
	if err != nil {
		tb.Fatal(err)
	}
	// A zone whose edge is a chord of the path through every 10th position
	// between 55% and 70% of the track: the positions between lie on either
	// side of it, so the track hugs the boundary.
	var edge orb.Ring
	i0, i1 := int(0.55*float64(len(with))), int(0.70*float64(len(with)))
	for i := i0; i <= i1; i += 10 {
		edge = append(edge, orb.Point{with[i].Lon, with[i].Lat})
	}
	a, b := edge[0], edge[len(edge)-1]
	dx, dy := b[0]-a[0], b[1]-a[1]
	n := math.Hypot(dx, dy)
	off := orb.Point{-dy / n * 0.05, dx / n * 0.05}
	// The chord is moved 2 m off the positions it is drawn through, so that
	// none lies exactly on the boundary, where either answer is right.
	for i := range edge {
		edge[i] = orb.Point{edge[i][0] + off[0]/2500, edge[i][1] + off[1]/2500}
	}
	hug := append(orb.Ring{}, edge...)
	for i := len(edge) - 1; i >= 0; i-- {
		hug = append(hug, orb.Point{edge[i][0] + off[0], edge[i][1] + off[1]})
	}
	hug = append(hug, edge[0])
	return []spatial.Zone{
		{ID: "hug", Geometry: orb.Polygon{hug}, FloorM: math.Inf(-1), CeilingM: inf},
		// A real sub-district (Damascus's, with the surrounding shapes'
		// detail) at full size over the first quarter, any altitude.
		{ID: "nfz-q1", Geometry: moveTo(shapes[0], orb.Point{q1.Lon, q1.Lat}, 1), FloorM: math.Inf(-1), CeilingM: inf},
		// A band of ±300 m around the aircraft's altitude at half way: the
		// aircraft enters and leaves it by climbing or descending.
		{ID: "band-q2", Geometry: moveTo(shapes[100], orb.Point{q2.Lon, q2.Lat}, 1.5), FloorM: alt(q2) - 300, CeilingM: alt(q2) + 300},
		// Active for three minutes around the three-quarter point.
		{ID: "window-q3", Geometry: moveTo(shapes[200], orb.Point{q3.Lon, q3.Lat}, 2), FloorM: math.Inf(-1), CeilingM: inf,
			Windows: []spatial.Window{{Start: q3.Time.Add(-time.Minute), End: q3.Time.Add(2 * time.Minute)}}},
		// A 1.2 km circle whose centre is 1 km off the path.
		{ID: "graze", Geometry: circle, FloorM: math.Inf(-1), CeilingM: inf},
	}
}

type event struct {
	Kind     monitor.Kind
	Zone     string
	Time     time.Time
	Lat, Lon float64
	Reason   string
	Start    time.Time // time of the first of the Confirm positions that decided it
}

func (ev event) String() string {
	return fmt.Sprintf("%s %s %s (%.5f,%.5f) %s from %s", ev.Time.Format("15:04:05.000"), ev.Kind, ev.Zone, ev.Lat, ev.Lon, ev.Reason, ev.Start.Format("15:04:05.000"))
}

// reference computes the zone entries and exits of ps by brute force: every
// zone tested at every position with geo's predicates, the altitude band
// and windows checked directly, and the hysteresis rule of the package
// documentation written again as simply as possible.
// At expire, the tracks still inside a zone are lost.
func reference(ps []feed.Position, zones []spatial.Zone, confirm int, stale time.Duration, expire time.Time) []event {
	type state struct {
		inside bool
		run    int
		start  time.Time
	}
	var out []event
	states := map[string]*state{}
	var lastSeen time.Time
	var lastPos *feed.Position
	altFt := math.NaN()
	for i := range ps {
		p := ps[i]
		if lastPos != nil && p.Time.Sub(lastSeen) > stale {
			for _, z := range zones {
				if s := states[z.ID]; s != nil && s.inside {
					out = append(out, event{monitor.KindZoneExit, z.ID, lastSeen.Add(stale), lastPos.Lat, lastPos.Lon, monitor.ReasonTrackLost, lastPos.Time})
				}
			}
			states = map[string]*state{}
			lastPos, altFt = nil, math.NaN()
		}
		lastSeen = p.Time
		if p.Present.Has(feed.FieldAltitude) {
			altFt = p.AltFt
		}
		if !p.Present.Has(feed.FieldLatLon) {
			continue
		}
		lastPos = &ps[i]
		pt := orb.Point{p.Lon, p.Lat}
		altM := altFt * feed.FeetToMetres
		for _, z := range zones {
			area := geo.Intersects(z.Geometry, pt)
			band := math.IsNaN(altM) || (altM >= z.FloorM && altM <= z.CeilingM)
			active := len(z.Windows) == 0
			for _, w := range z.Windows {
				if !p.Time.Before(w.Start) && p.Time.Before(w.End) {
					active = true
				}
			}
			in := area && band && active
			s := states[z.ID]
			if s == nil {
				s = &state{}
				states[z.ID] = s
			}
			if in == s.inside {
				s.run = 0
				continue
			}
			s.run++
			if s.run == 1 {
				s.start = p.Time
			}
			if s.run < confirm {
				continue
			}
			s.inside, s.run = in, 0
			ev := event{monitor.KindZoneEntry, z.ID, p.Time, p.Lat, p.Lon, "", s.start}
			if !in {
				ev.Kind, ev.Reason = monitor.KindZoneExit, monitor.ReasonLeft
				if area && band {
					ev.Reason = monitor.ReasonZoneInactive
				}
			}
			out = append(out, ev)
		}
	}
	for _, z := range zones {
		if s := states[z.ID]; s != nil && s.inside {
			out = append(out, event{monitor.KindZoneExit, z.ID, expire, lastPos.Lat, lastPos.Lon, monitor.ReasonTrackLost, lastPos.Time})
		}
	}
	return out
}

// TestEngine_RealTracks replays each real recorded track, relocated over
// Syria, against zones across its path, and checks that the engine's entry
// and exit alerts are, position for position, those of the brute-force
// reference.
func TestEngine_RealTracks(t *testing.T) {
	shapes := subdistricts(t)
	for _, name := range []string{"trace_full_ac671b.json.gz", "border_control.json.gz", "noisy_spoofing.json.gz"} {
		for _, confirm := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/confirm=%d", name, confirm), func(t *testing.T) {
				ps := readRecorded(t, name)
				zones := zonesAcross(t, ps, shapes)
				x := spatial.NewZoneIndex()
				if err := x.Load(zones); err != nil {
					t.Fatal(err)
				}
				var got []event
				episodes := map[string]string{}
				e, err := monitor.New(monitor.Config{
					Zones:   x.Snapshot,
					Confirm: confirm,
					Emit: func(a monitor.Alert) {
						switch a.Kind {
						case monitor.KindZoneEntry:
							if _, dup := episodes[a.Episode]; dup {
								t.Errorf("episode %s entered twice", a.Episode)
							}
							episodes[a.Episode] = a.ZoneID
						case monitor.KindZoneExit:
							if episodes[a.Episode] != a.ZoneID {
								t.Errorf("exit of %s with episode %s that did not enter it", a.ZoneID, a.Episode)
							}
							delete(episodes, a.Episode)
						default:
							return
						}
						if n := len(a.Aircraft.Trigger); a.Reason != monitor.ReasonTrackLost && n != confirm {
							t.Errorf("%s has %d trigger positions, want %d", a.Kind, n, confirm)
						}
						tr := a.Aircraft.Trigger
						if l, p := tr[len(tr)-1], a.Aircraft.Position; !l.Time.Equal(p.Time) || l.Lat != p.Lat || l.Lon != p.Lon {
							t.Errorf("trigger ends with %+v, not the position %+v", tr[len(tr)-1], a.Aircraft.Position)
						}
						got = append(got, event{a.Kind, a.ZoneID, a.Time, a.Aircraft.Position.Lat, a.Aircraft.Position.Lon, a.Reason, tr[0].Time})
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range ps {
					e.Process(p)
				}
				e.Expire(ps[len(ps)-1].Time.Add(time.Hour))
				want := reference(ps, zones, confirm, monitor.DefaultStaleAfter, ps[len(ps)-1].Time.Add(time.Hour))
				// Alerts at one position come in no promised zone order.
				byTimeZone := func(a, b event) int {
					if c := a.Time.Compare(b.Time); c != 0 {
						return c
					}
					return strings.Compare(a.Zone, b.Zone)
				}
				slices.SortStableFunc(got, byTimeZone)
				slices.SortStableFunc(want, byTimeZone)
				for i := range max(len(got), len(want)) {
					var g, w event
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if !g.Time.Equal(w.Time) || g.Kind != w.Kind || g.Zone != w.Zone || g.Lat != w.Lat || g.Lon != w.Lon || g.Reason != w.Reason || !g.Start.Equal(w.Start) {
						t.Fatalf("alert %d:\n got %v\nwant %v", i, g, w)
					}
				}
				if len(episodes) != 0 {
					t.Errorf("%d episodes left open after expiry", len(episodes))
				}
				perZone := map[string]int{}
				for _, ev := range want {
					perZone[ev.Zone]++
					perZone[ev.Reason]++
				}
				t.Logf("%d positions, %d zone alerts %v, %d checks", len(ps), len(got), perZone, e.Counters.Checks.Load())
				// The zones are placed on the path: the three big ones must
				// each see an episode, or the test proves nothing.
				for _, id := range []string{"nfz-q1", "band-q2", "window-q3"} {
					if perZone[id] < 2 {
						t.Errorf("zone %s: %d alerts, want an entry and an exit at least", id, perZone[id])
					}
				}
			})
		}
	}
}
