package ui

// SimplifyForDrawing and DrawTolerance are the zone layer's drawing
// simplification, for the black-box tests.
var (
	SimplifyForDrawing = simplifyForDrawing
	DrawTolerance      = drawTolerance
)
