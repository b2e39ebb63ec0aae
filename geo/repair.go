package geo

import "github.com/paulmach/orb"

// Repair returns g with the defects that real boundary data commonly has
// and that change no area removed from every polygon ring: repeated
// consecutive vertices and zero-width spikes (a ring going out along an
// edge and straight back, as OCHA's COD-AB Dar'a boundary does). Rings are
// re-closed. Other geometry types are returned unchanged; the input is not
// modified. Repair does not fix crossings; [Validate] still reports them.
func Repair(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		return repairPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = repairPolygon(p)
		}
		return out
	}
	return g
}

func repairPolygon(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = repairRing(r)
	}
	return out
}

// spike reports whether b is the tip of a spike a→b→c: c goes back along
// the line it came on.
func spike(a, b, c orb.Point) bool {
	if a == c {
		return true
	}
	return orient(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0
}

func repairRing(r orb.Ring) orb.Ring {
	if len(r) < 4 || r[0] != r[len(r)-1] {
		return append(orb.Ring(nil), r...) // not a ring Repair can reason about
	}
	st := make(orb.Ring, 0, len(r))
	for _, p := range r[:len(r)-1] {
		if len(st) > 0 && st[len(st)-1] == p {
			continue
		}
		for len(st) >= 2 && spike(st[len(st)-2], st[len(st)-1], p) {
			st = st[:len(st)-1]
		}
		if len(st) > 0 && st[len(st)-1] == p {
			continue
		}
		st = append(st, p)
	}
	// The ring is cyclic: spikes may straddle its start.
	for changed := true; changed && len(st) >= 3; {
		changed = false
		n := len(st)
		switch {
		case st[n-1] == st[0]:
			st = st[:n-1]
			changed = true
		case spike(st[n-1], st[0], st[1]):
			st = st[1:]
			changed = true
		case spike(st[n-2], st[n-1], st[0]):
			st = st[:n-1]
			changed = true
		}
	}
	if len(st) == 0 {
		return orb.Ring{}
	}
	return append(st, st[0])
}
