package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/geo/geotest"
)

// fence is one zone as both systems get it: a real polygon and an
// altitude band in feet (±Inf for an open end).
type fence struct {
	Name            string
	Geometry        orb.Geometry
	FloorFt, CeilFt float64
}

// band returns the band of fence j: a third unbounded, a third from the
// surface to FL150, a third FL100 to FL300, so altitude filtering does real
// work in both systems.
func band(j int) (floor, ceil float64, floorS, ceilS string) {
	switch j % 3 {
	case 1:
		return math.Inf(-1), 15000, "SFC", "FL150"
	case 2:
		return 10000, 30000, "FL100", "FL300"
	}
	return math.Inf(-1), math.Inf(1), "SFC", "UNL"
}

// loadPolygons decodes OCHA's sub-districts, mending only the defects that
// change no area.
func loadPolygons(path string) ([]orb.Geometry, error) {
	fs, err := geotest.LoadLoose(path)
	if err != nil {
		return nil, err
	}
	return geotest.Geometries(fs), nil
}

// fences makes n fences from the real polygons as spatial's and monitor's
// benchmarks do (geotest.CopyMove), but on a 10-column grid (theirs has
// 5), because 20,000 fences (74 copies) on 5 columns would run past the
// North Pole. The first n of a larger set are the smaller set, so the fence
// counts nest.
func fences(src []orb.Geometry, n int) ([]fence, orb.Bound) {
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	var fs []fence
	for k := 0; len(fs) < n; k++ {
		move := geotest.CopyMove(k, 10)
		for _, g := range src {
			if len(fs) == n {
				break
			}
			j := len(fs)
			lo, hi, _, _ := band(j)
			f := fence{Name: "z" + strconv.Itoa(j), Geometry: geotest.Moved(g, move), FloorFt: lo, CeilFt: hi}
			all = all.Union(f.Geometry.Bound())
			fs = append(fs, f)
		}
	}
	return fs, all
}

func vertices(fs []fence) int {
	n := 0
	for _, f := range fs {
		n += geotest.Vertices(f.Geometry)
	}
	return n
}

func geoJSON(g orb.Geometry) string {
	var b []byte
	ring := func(r orb.Ring) {
		b = append(b, '[')
		for i, p := range r {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	poly := func(p orb.Polygon) {
		b = append(b, '[')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			ring(r)
		}
		b = append(b, ']')
	}
	switch g := g.(type) {
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		poly(g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			poly(p)
		}
		b = append(b, ']')
	}
	return string(append(b, '}'))
}

// stream is the position stream: aircraft placed uniformly over the fences'
// area flying straight and level at 150–500 kt between 1,000 and 40,000 ft,
// one report a second each, interleaved as a receiver delivers them.
func stream(nAircraft, n int, area orb.Bound, seed uint64, t0 time.Time) []feed.Position {
	rng := rand.New(rand.NewPCG(seed, 7))
	type ac struct{ lat, lon, gs, trk, alt float64 }
	fleet := make([]ac, nAircraft)
	for i := range fleet {
		fleet[i] = ac{
			lat: area.Min[1] + rng.Float64()*(area.Max[1]-area.Min[1]),
			lon: area.Min[0] + rng.Float64()*(area.Max[0]-area.Min[0]),
			gs:  150 + 350*rng.Float64(), trk: 360 * rng.Float64(), alt: 1000 + 39000*rng.Float64(),
		}
	}
	ps := make([]feed.Position, 0, n)
	for i := range n {
		a, k := i%nAircraft, i/nAircraft
		f := fleet[a]
		d := f.gs * 1852 / 3600 * float64(k)
		s, c := math.Sincos(f.trk * math.Pi / 180)
		ps = append(ps, feed.Position{
			ICAO: uint32(0x100000 + a), Lat: f.lat + d*c/111320, Lon: f.lon + d*s/(111320*math.Cos(f.lat*math.Pi/180)),
			AltFt: math.Round(f.alt), Time: t0.Add(time.Duration(k) * time.Second),
			Present: feed.FieldLatLon | feed.FieldAltitude,
		})
	}
	return ps
}

// appendSBS writes p as an SBS-1 MSG,3 (airborne position) line.
func appendSBS(b []byte, p feed.Position) []byte {
	d, t := p.Time.Format("2006/01/02"), p.Time.Format("15:04:05.000")
	b = append(b, "MSG,3,1,1,"...)
	b = append(b, feed.FormatICAO(p.ICAO)...)
	b = append(b, ",1,"...)
	b = append(b, d...)
	b = append(b, ',')
	b = append(b, t...)
	b = append(b, ',')
	b = append(b, d...)
	b = append(b, ',')
	b = append(b, t...)
	b = append(b, ",,"...)
	b = strconv.AppendFloat(b, p.AltFt, 'f', 0, 64)
	b = append(b, ",,,"...)
	b = strconv.AppendFloat(b, p.Lat, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Lon, 'f', 6, 64)
	return append(b, ",,,0,0,0,0\n"...)
}

// appendNDJSON writes p as one line of POST /api/v1/positions.
func appendNDJSON(b []byte, p feed.Position) []byte {
	b = append(b, `{"icao":"`...)
	b = append(b, feed.FormatICAO(p.ICAO)...)
	b = append(b, `","lat":`...)
	b = strconv.AppendFloat(b, p.Lat, 'f', 6, 64)
	b = append(b, `,"lon":`...)
	b = strconv.AppendFloat(b, p.Lon, 'f', 6, 64)
	b = append(b, `,"alt_ft":`...)
	b = strconv.AppendFloat(b, p.AltFt, 'f', 0, 64)
	b = append(b, `,"time":"`...)
	b = p.Time.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	return append(b, "\"}\n"...)
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// conn is a minimal RESP2 client: enough for commands and pub/sub.
type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func newConn(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 1<<16), w: bufio.NewWriterSize(c, 1<<16)}, nil
}

func (c *conn) Close() error { return c.c.Close() }

func (c *conn) do(args ...string) (any, error) {
	if _, err := c.w.Write(appendCommand(nil, args...)); err != nil {
		return nil, err
	}
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	return c.read()
}

func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

type respError string

func (e respError) Error() string { return string(e) }

// read reads one reply: a string, an int64, nil, or []any; an error reply
// is returned as a respError.
func (c *conn) read() (any, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("bad RESP line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 512<<20 {
			return nil, fmt.Errorf("bad RESP bulk length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 1<<20 {
			return nil, fmt.Errorf("bad RESP array length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		a := make([]any, n)
		for i := range a {
			if a[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("bad RESP type %q", line[0])
}

// The alert-dense scenario: small fences in a 1°×1° box (38–39° E,
// 35–36° N, the Syrian steppe) and vehicles on the ground crossing their
// boundaries, so that entries and exits are a large share of the traffic.
const (
	denseLon, denseLat = 38.0, 35.0
	denseVertices      = 16
	denseReach         = 150.0 // metres either side of a fence's boundary a vehicle moves to
)

// denseFences makes n fences: 16-vertex regular polygons of radius 200 to
// 1,500 m centred uniformly in the box, from the surface up (Tile38 gets
// them without a WHERE clause). The first n of a larger set are the
// smaller set.
func denseFences(n int) []fence {
	rng := rand.New(rand.NewPCG(13, 1))
	fs := make([]fence, n)
	for j := range fs {
		lon, lat := denseLon+0.02+0.96*rng.Float64(), denseLat+0.02+0.96*rng.Float64() // the whole fence in the box
		r := 200 + 1300*rng.Float64()
		ring := make(orb.Ring, denseVertices+1)
		for v := range denseVertices {
			s, c := math.Sincos(2 * math.Pi * float64(v) / denseVertices)
			ring[v] = orb.Point{lon + r*c/(111320*math.Cos(lat*math.Pi/180)), lat + r*s/111320}
		}
		ring[denseVertices] = ring[0]
		fs[j] = fence{Name: "d" + strconv.Itoa(j), Geometry: orb.Polygon{ring}, FloorFt: math.Inf(-1), CeilFt: math.Inf(1)}
	}
	return fs
}

// vehicle is one of the dense scenario's vehicles: it goes back and forth
// along a radius of its fence (vehicle i has fence i mod n), between
// denseReach metres inside and outside the boundary, at speed metres an
// update (25–50 m), so it crosses the boundary every 6–12 updates; it may
// cross other fences on the way.
type vehicle struct {
	clon, clat, r, sin, cos, speed, phase float64
}

func denseFleet(fs []fence, n int, seed uint64) []vehicle {
	rng := rand.New(rand.NewPCG(seed, 17))
	vs := make([]vehicle, n)
	for i := range vs {
		ring := fs[i%len(fs)].Geometry.(orb.Polygon)[0]
		var c orb.Point
		for _, p := range ring[:denseVertices] {
			c[0] += p[0] / denseVertices
			c[1] += p[1] / denseVertices
		}
		r := (ring[0][0] - c[0]) * 111320 * math.Cos(c[1]*math.Pi/180)
		s, co := math.Sincos(2 * math.Pi * rng.Float64())
		vs[i] = vehicle{clon: c[0], clat: c[1], r: r, sin: s, cos: co, speed: 25 + 25*rng.Float64(), phase: rng.Float64()}
	}
	return vs
}

// at is the vehicle's position after k updates: a triangle wave of
// amplitude denseReach about the boundary.
func (v vehicle) at(k int) (lon, lat float64) {
	period := 4 * denseReach / v.speed // updates for a return trip
	x := math.Mod(float64(k)/period+v.phase, 1)
	off := denseReach * (4*math.Abs(x-0.5) - 1) // from -reach to +reach and back
	d := v.r + off
	return v.clon + d*v.cos/(111320*math.Cos(v.clat*math.Pi/180)), v.clat + d*v.sin/111320
}

// denseStream is the dense scenario's position stream: n positions from
// the fleet, one update a second each, interleaved round by round, at 500
// ft (vehicles' altitude as a transponder reports it).
func denseStream(fleet []vehicle, n int, t0 time.Time) []feed.Position {
	ps := make([]feed.Position, 0, n)
	for i := range n {
		a, k := i%len(fleet), i/len(fleet)
		lon, lat := fleet[a].at(k)
		ps = append(ps, feed.Position{ICAO: uint32(0x500000 + a), Lat: lat, Lon: lon, AltFt: 500,
			Time: t0.Add(time.Duration(k) * time.Second), Present: feed.FieldLatLon | feed.FieldAltitude})
	}
	return ps
}
