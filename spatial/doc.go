// Package spatial holds Truce's in-memory spatial indexes. [ZoneIndex]
// answers the air-picture monitor's hot question, "which agreed zones hold
// this position, at this altitude, now?", and the conflict check's "which
// zones does this area touch in this time range?".
//
// Zones are polygons in lon/lat degrees as RFC 7946 (GeoJSON) carries them,
// located in that plane (RFC 7946 §3.1.1: edges are straight lines in
// lon/lat) with the holes honoured; each has an altitude band in metres
// AMSL and active windows of half-open UTC intervals.
//
// Readers never block: the index is a copy-on-write snapshot behind an
// atomic pointer, and a writer builds the next snapshot and swaps it in.
// Area queries find candidates in an R-tree of zone boxes
// (github.com/tidwall/rtree, copied in O(1)); point queries, the hot path,
// in a uniform grid of those boxes rebuilt with each snapshot, which
// measured 1.6x faster than the R-tree for 5,000 zones. A write therefore
// costs O(zones) (about a millisecond at 5,000); use [ZoneIndex.Load] for
// bulk loading. Each polygon is
// prepared once with a y-band index of its edges, so that a point-in-polygon
// test reads only the few edges in the point's band instead of all of them
// (crossing-number rule, one horizontal ray).
//
// [VolumeIndex] is the conflict check's space-time index: 4D volumes (a
// polygon, circle or corridor × an altitude band × a time window, or no
// window for a static site) and which stored ones overlap a new one,
// exactly, with the band and window they share. Operations, humanitarian
// sites and movements are checked by this one engine.
package spatial
