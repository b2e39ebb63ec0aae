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
//     [Circle], [BufferLine], [BufferLines]) by Vincenty's formulae (Survey Review 23(176),
//     1975). Vincenty was chosen over a sphere because zone edges and buffer
//     widths are negotiated to tens of metres and the spherical error reaches
//     0.5 %; over Karney's algorithm because, at the sub-2,000 km scale of a
//     ceasefire area, Vincenty is accurate to well under a millimetre and far
//     shorter. Its one weakness, non-convergence for nearly antipodal points,
//     is handled by falling back to a spherical great circle scaled to the
//     ellipsoid's mean radius;
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
package geo
