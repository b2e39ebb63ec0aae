package demo

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/node"
)

// Real recorded flights (xoolive/traffic samples, MIT): an airliner
// climbing out of Istanbul (THY9BP) and a Boeing 737 (N899DN) from a readsb
// trace, picked at a moment it passes the first one's altitude. The demo
// moves them over south-west Syria and to the present, and labels every
// position as relocated.
//
//go:embed data/*.json.gz
var flights embed.FS

const (
	flightA = "data/noisy_spoofing.json.gz"
	flightB = "data/trace_full_ac671b.json.gz"
)

// Timeline of the demo's live traffic, in seconds from its start at speed
// 1: the first aircraft enters a no-fly zone at entryAt (a predicted entry
// comes before it), and the two aircraft, attributed to different
// guarantors, pass within a mile of each other at meetAt.
const (
	entryAt = 75 * time.Second
	meetAt  = 100 * time.Second
)

// Traffic describes the replay the demo runs.
type Traffic struct {
	Flights []string // callsigns
	// Entry and Meet are when, from the start, the scripted no-fly entry
	// and the close pass happen at the chosen speed.
	Entry, Meet time.Duration
	Zone        string // name of the no-fly zone entered
}

// StartTraffic replays the recorded flights into the node's airspace
// monitor at the given speed, looping until ctx ends. It registers the
// first flight to the United States and the second to the Russian
// Federation, so their close pass is a proximity alert between parties.
func StartTraffic(ctx context.Context, n *node.Node, sc *Scenario, speed float64) (*Traffic, error) {
	if speed <= 0 {
		speed = 1
	}
	a, err := readFlight(flightA)
	if err != nil {
		return nil, err
	}
	b, err := readFlight(flightB)
	if err != nil {
		return nil, err
	}
	actors := map[string]context.Context{}
	for _, c := range sc.Credentials {
		if c.Party == "us" || c.Party == "ru" {
			u, err := n.Store.Accounts().User(ctx, c.Username)
			if err != nil {
				return nil, err
			}
			p, err := n.Store.Accounts().Party(ctx, u.PartyID)
			if err != nil {
				return nil, err
			}
			actors[c.Party] = truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
		}
	}
	for party, icao := range map[string]uint32{"us": a[0].ICAO, "ru": b[0].ICAO} {
		if _, err := n.Air.RegisterAircraft(actors[party], truce.Aircraft{ICAO: feed.FormatICAO(icao), Note: "demo: replayed recording"}); err != nil {
			return nil, fmt.Errorf("demo aircraft: %w", err)
		}
	}
	zones, err := n.Zones.ZonesInForce(actors["us"], time.Now())
	if err != nil {
		return nil, err
	}
	var areas []orb.Geometry
	var names []string
	for _, v := range zones {
		if v.Spec.Kind != truce.ZoneNoFly {
			continue
		}
		g, err := geo.Decode(v.Spec.Geometry, geo.Options{MaxVertices: -1})
		if err != nil {
			return nil, err
		}
		areas, names = append(areas, g), append(names, v.Spec.Name)
	}
	if len(areas) == 0 {
		return nil, fmt.Errorf("demo traffic: no no-fly zone in force")
	}
	plan, err := planTraffic(a, b, areas, names)
	if err != nil {
		return nil, err
	}
	go func() {
		for ctx.Err() == nil {
			ps := plan.positions(time.Now().Add(time.Second))
			feed.Replay(ctx, ps, speed, func(p feed.Position) error {
				n.IngestPosition(p)
				return nil
			}, feed.Restamp())
		}
	}()
	return &Traffic{Flights: []string{callsign(a), callsign(b)}, Entry: time.Duration(float64(entryAt) / speed),
		Meet: time.Duration(float64(meetAt) / speed), Zone: plan.zone}, nil
}

func callsign(ps []feed.Position) string {
	for _, p := range ps {
		if p.Callsign != "" {
			return p.Callsign
		}
	}
	return feed.FormatICAO(ps[0].ICAO)
}

func readFlight(name string) ([]feed.Position, error) {
	raw, err := flights.ReadFile(name)
	if err != nil {
		return nil, err
	}
	read := feed.ReadTraffic
	if strings.Contains(name, "trace") {
		read = feed.ReadTrace
	}
	ps, err := read(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []feed.Position
	for _, p := range ps {
		if p.Present.Has(feed.FieldLatLon) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no positions", name)
	}
	return out, nil
}

// plan is where and from when each flight is replayed.
type plan struct {
	a, b           []feed.Position // segments to replay, in recorded time
	aStart, bStart orb.Point       // where their first positions are placed
	bShift         time.Duration   // b's start relative to a's
	zone           string
}

// planTraffic places flight A so that it crosses into a no-fly zone at
// entryAt, having been outside it for the first 60 % of that time, and
// flight B so that at meetAt it is one nautical mile from A, picking the
// part of B's recording whose altitude is closest to A's then.
func planTraffic(a, b []feed.Position, areas []orb.Geometry, names []string) (*plan, error) {
	at := func(ps []feed.Position, d time.Duration) feed.Position {
		t := ps[0].Time.Add(d)
		i := sort.Search(len(ps), func(i int) bool { return ps[i].Time.After(t) })
		return ps[max(i-1, 0)]
	}
	// A's displacement from its start at entryAt, after a trial move.
	trial, err := feed.Relocate(a, 32.6, 36.2, time.Time{})
	if err != nil {
		return nil, err
	}
	e, early := at(trial, entryAt), at(trial, entryAt*6/10)
	dLon, dLat := e.Lon-trial[0].Lon, e.Lat-trial[0].Lat
	eLon, eLat := early.Lon-trial[0].Lon, early.Lat-trial[0].Lat
	inside := func(p orb.Point) int {
		for i, g := range areas {
			if geo.Covers(g, p) {
				return i
			}
		}
		return -1
	}
	p := &plan{a: a}
	found := false
	for i, g := range areas {
		bd := g.Bound()
		for s := 1; s < 20 && !found; s++ {
			for r := 1; r < 20 && !found; r++ {
				x := orb.Point{bd.Min[0] + (bd.Max[0]-bd.Min[0])*float64(s)/20, bd.Min[1] + (bd.Max[1]-bd.Min[1])*float64(r)/20}
				start := orb.Point{x[0] - dLon, x[1] - dLat}
				if inside(x) == i && inside(start) < 0 && inside(orb.Point{start[0] + eLon, start[1] + eLat}) < 0 {
					p.aStart, p.zone, found = start, names[i], true
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("demo traffic: no way to bring the recorded flight into a no-fly zone")
	}
	// B: the recorded moment whose altitude is nearest A's at meetAt.
	am := at(a, meetAt)
	best, bi := math.Inf(1), -1
	for i, q := range b {
		if !q.Present.Has(feed.FieldAltitude) || q.Time.Sub(b[0].Time) < meetAt || !q.Present.Has(feed.FieldGroundSpeed) || q.GroundSpeedKt < 80 {
			continue
		}
		if d := math.Abs(q.AltFt - am.AltFt); d < best {
			best, bi = d, i
		}
	}
	if bi < 0 || best > 500 {
		return nil, fmt.Errorf("demo traffic: the second recording never flies near the first's altitude")
	}
	// Start B meetAt before that moment.
	from := b[bi].Time.Add(-meetAt)
	k := sort.Search(len(b), func(i int) bool { return !b[i].Time.Before(from) })
	p.b = b[k:]
	// Where A is at meetAt once placed, and B's offset to put its
	// meeting point one mile east of it.
	placedA, err := feed.Relocate(a, p.aStart[1], p.aStart[0], time.Time{})
	if err != nil {
		return nil, err
	}
	ma := at(placedA, meetAt)
	meet := geo.Destination(orb.Point{ma.Lon, ma.Lat}, 90, 1852)
	trialB, err := feed.Relocate(p.b, meet[1], meet[0], time.Time{})
	if err != nil {
		return nil, err
	}
	mb := at(trialB, b[bi].Time.Sub(p.b[0].Time))
	p.bStart = orb.Point{meet[0] - (mb.Lon - trialB[0].Lon), meet[1] - (mb.Lat - trialB[0].Lat)}
	p.bShift = time.Duration(0) + (p.b[0].Time.Sub(from))
	return p, nil
}

// positions returns both flights moved into place with A starting at t0,
// merged in time order.
func (p *plan) positions(t0 time.Time) []feed.Position {
	a, errA := feed.Relocate(p.a, p.aStart[1], p.aStart[0], t0)
	b, errB := feed.Relocate(p.b, p.bStart[1], p.bStart[0], t0.Add(p.bShift))
	if errA != nil || errB != nil {
		return nil
	}
	all := append(a, b...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all
}
