package humanitarian

// RoutePieceVertices lets benchmarks compare piece sizes of the route
// hazard check.
var RoutePieceVertices = &routePieceVertices
