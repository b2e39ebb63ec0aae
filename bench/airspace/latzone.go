package main

import (
	"math"

	"github.com/paulmach/orb"
)

// latencyZone is the latency test's no-fly zone: a 1° box over the Golan
// and Damascus countryside, from the surface up.
func latencyZone() fence {
	return fence{Name: "z0", FloorFt: math.Inf(-1), CeilFt: math.Inf(1), Geometry: orb.Polygon{orb.Ring{
		{35.7, 32.8}, {36.7, 32.8}, {36.7, 33.8}, {35.7, 33.8}, {35.7, 32.8}}}}
}
