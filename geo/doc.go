// Package geo decodes, validates and reasons about the geometry of Truce's
// zones, sites and movements.
//
// Geometry is carried in the types of github.com/paulmach/orb ([orb.Point] is
// [lon, lat]), so that callers can hand it to other orb-based tools; decoding
// is done here because orb's own geojson package drags in a BSON driver and is
// lax about malformed positions. The package implements:
//
//   - RFC 7946 (GeoJSON) geometry, Feature and FeatureCollection decoding
//     ([Decode], [DecodeFeatures]), strict about positions and nesting;
//   - validation against the OGC Simple Features rules as the JTS Topology
//     Suite applies them ([Validate], [ValidateTopology]) plus Truce's own
//     bounds (coordinate ranges, vertex cap), reporting a [*ValidationError]
//     that says which ring and vertex is wrong, and RFC 7946 §3.1.6 ring
//     orientation ([Normalize]: exteriors counter-clockwise, holes clockwise);
//   - the DE-9IM relation of OGC 06-103r4 §6.1.15 ([Relate]) and the named
//     predicates derived from it ([Intersects], [Contains], [Covers],
//     [Within], [CoveredBy], [Disjoint]), checked against the JTS test suite;
//     predicates work in the plane of lon/lat degrees, as RFC 7946 §3.1.1
//     prescribes for interpreting edges; [Prepare] keeps a geometry's edges
//     indexed for repeated tests, and [Dimension] checks input cheaply;
//   - [Repair] of the harmless defects real boundary data has (repeated
//     vertices, zero-width spikes), never of crossings, and, on request,
//     [MakeValid]: any polygonal geometry made valid by the linework method
//     of JTS/GEOS (rings noded by snap rounding, Hobby 1999, faces labelled
//     by even-odd parity), with [Area] (square metres on the WGS84
//     ellipsoid) and [AreaChange] to report what the repair changed;
//   - geodesy on the WGS84 ellipsoid ([Distance], [Bearing], [Destination],
//     [Circle], [BufferLine], [BufferLines]). The direct problem
//     ([Destination], behind every circle and buffer) is Karney's algorithm
//     (J. Geodesy 87, 2013) from github.com/tidwall/geodesic. The inverse
//     problem ([Distance], [Bearing]) is Vincenty's (Survey Review 23(176),
//     1975), hand-written, because it is the monitor's hot path (every pair
//     of aircraft) and Karney's is slower there; where Vincenty's iteration
//     does not converge (nearly antipodal points) it hands over to Karney's.
//     A sphere would not do: zone edges and buffer widths are negotiated to
//     tens of metres and the spherical error reaches 0.5 %;
//   - altitude strings of aviation practice ([ParseAltitude]).
//
// Any operator of a party can send a geometry, so the operations whose
// cost depends on its shape are bounded: [BufferLinesContext] and
// [MakeValidContext] stop when their context is done and refuse, with a
// [*LimitError] naming the bound, work past [MaxPairs], [MaxNodes] or
// [MaxOutputVertices]; candidate pairs of edges are found with an R-tree
// (github.com/tidwall/rtree), so a ring running north-south costs what one
// running east-west does.
//
// Geometry crossing the antimeridian is not split (RFC 7946 §3.1.9): Truce's
// area of operations does not reach it, and [Circle] and [BufferLine]
// refuse shapes that would.
//
// # Why some of this is hand-written
//
// Measured on 2026-12-07 (2 shared cores, medians of 5 runs; figures are
// noisy to ±30 % on this machine) against github.com/tidwall/geodesic
// v1.52.4 and github.com/peterstace/simplefeatures v0.50.0. The comparisons
// with simplefeatures were throwaway tests (simplefeatures is not a
// dependency); the geodesy ones are kept.
//
//   - Inverse geodesy: Vincenty agrees with Karney within 0.09 mm and 3e-8°
//     on 10,000 random pairs over the whole ellipsoid, 10,000 nearly
//     antipodal pairs and the GeoNames towns (TestGeodesy_MatchesKarney,
//     which keeps checking it), and takes 1.9 µs against Karney's 3.0 µs on
//     random Levant pairs and 0.8 µs against 2.0 µs on pairs a few km apart
//     (`go test ./geo -run '^$' -count 5 -bench
//     'BenchmarkDistance|BenchmarkDestination'`). Karney's direct solution
//     costs 0.7 µs against 0.6 µs for the Vincenty direct this package had
//     until then (timed side by side before it was deleted); that is off
//     the hot path (zones are buffered once), so it was adopted and
//     Vincenty's direct deleted.
//
//   - Relate and predicates: simplefeatures' Relate, run over the same JTS
//     XML suite (geom.UnmarshalWKT of each case), got 5,606 checks right,
//     3 wrong (two of the "very skinny polygon" cases of TestRelateAA-big,
//     and a point on a zero-length line) and panicked ("point has no
//     incidents") on 9; this package passes all 5,619 (TestRelate_JTS). It
//     has no prepared geometry, so a 10 km circle against an OCHA
//     sub-district (BenchmarkIntersects_SubdistrictCircle's data) took
//     about 65 µs and 27 allocations against 3.5 µs for [Prepared.Intersects]
//     (the spatial index's path; unprepared [Intersects] took about 50 µs),
//     and a point in a sub-district 50 µs against 3.5 µs.
//
//   - Validity: simplefeatures' Validate got 826 of the 840 JTS validity
//     checks that this package passes (TestValidateTopology_JTS) right: it
//     accepts a hole inside a hole (TestValid.xml case 70), refuses empty
//     rings JTS calls valid, and its WKT reader refuses 8 cases (NaN,
//     LINEARRING). On the 270 OCHA sub-districts both agree; the times were
//     equal within the noise (about 170 ms for all of them).
//
//   - Union (of [BufferLines]): on 150 pairs of neighbouring OCHA
//     sub-districts both gave valid results of the same area (within
//     7e-13); this package took 330-400 ms, simplefeatures 480-530 ms. Ours
//     also stops on a done context and at [MaxPairs]/[MaxNodes], which an
//     operation on geometry any party can send needs.
package geo
