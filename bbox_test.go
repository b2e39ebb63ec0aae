package truce_test

import (
	"strings"
	"testing"

	"github.com/truce-project/truce"
)

// TestParseBBox checks the one bbox parser: what it takes, what it
// rejects, and which boxes cross the antimeridian (accepted; the searches
// that cannot take them reject them with NotCrossing).
func TestParseBBox(t *testing.T) {
	for _, c := range []struct {
		name, in      string
		want          truce.BBox
		wantErr       bool
		wantCrosses   bool
		wantErrSubstr string
	}{
		{name: "Box", in: "35,32,37,34", want: truce.BBox{35, 32, 37, 34}},
		{name: "Spaces", in: " 35.5 , -32 ,37, 34.25 ", want: truce.BBox{35.5, -32, 37, 34.25}},
		{name: "World", in: "-180,-90,180,90", want: truce.BBox{-180, -90, 180, 90}},
		{name: "Point", in: "36,33,36,33", want: truce.BBox{36, 33, 36, 33}},
		{name: "Exponent", in: "3.5e1,32,37,34", want: truce.BBox{35, 32, 37, 34}},
		{name: "Antimeridian", in: "179,-18,-179,-16", want: truce.BBox{179, -18, -179, -16}, wantCrosses: true},
		{name: "ErrThree", in: "35,32,37", wantErr: true, wantErrSubstr: "not 3"},
		{name: "ErrFive", in: "35,32,37,34,1", wantErr: true, wantErrSubstr: "not 5"},
		{name: "ErrSixWithAltitudes", in: "35,32,0,37,34,1000", wantErr: true, wantErrSubstr: "altitudes"},
		{name: "ErrEmpty", in: "", wantErr: true},
		{name: "ErrEmptyValue", in: "35,,37,34", wantErr: true, wantErrSubstr: "value 2"},
		{name: "ErrWord", in: "35,x,37,34", wantErr: true, wantErrSubstr: "value 2"},
		{name: "ErrNaN", in: "NaN,0,1,1", wantErr: true, wantErrSubstr: "finite"},
		{name: "ErrNaNLat", in: "0,nan,1,1", wantErr: true, wantErrSubstr: "finite"},
		{name: "ErrInf", in: "0,0,Inf,1", wantErr: true, wantErrSubstr: "finite"},
		{name: "ErrMinusInf", in: "0,-Inf,1,1", wantErr: true, wantErrSubstr: "finite"},
		{name: "ErrHuge", in: "0,0,1e400,1", wantErr: true, wantErrSubstr: "finite"},
		{name: "ErrWestOutOfRange", in: "-180.5,0,1,1", wantErr: true, wantErrSubstr: "longitudes"},
		{name: "ErrEastOutOfRange", in: "35,32,190,34", wantErr: true, wantErrSubstr: "longitudes"},
		{name: "ErrSouthOutOfRange", in: "35,-91,37,34", wantErr: true, wantErrSubstr: "latitudes"},
		{name: "ErrNorthOutOfRange", in: "35,32,37,95", wantErr: true, wantErrSubstr: "latitudes"},
		{name: "ErrSouthAboveNorth", in: "35,34,37,32", wantErr: true, wantErrSubstr: "above"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := truce.ParseBBox(c.in)
			if c.wantErr {
				if truce.ErrorCode(err) != truce.EINVALID || b != nil {
					t.Fatalf("ParseBBox(%q) = %v, %v; want nil and an EINVALID error", c.in, b, err)
				}
				if msg := truce.ErrorMessage(err); c.wantErrSubstr != "" && !strings.Contains(msg, c.wantErrSubstr) {
					t.Errorf("message %q lacks %q", msg, c.wantErrSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *b != c.want || b.Crosses() != c.wantCrosses {
				t.Errorf("ParseBBox(%q) = %v (crosses %v), want %v (crosses %v)", c.in, *b, b.Crosses(), c.want, c.wantCrosses)
			}
			if err := b.NotCrossing(); (err != nil) != c.wantCrosses || (err != nil && truce.ErrorCode(err) != truce.EINVALID) {
				t.Errorf("NotCrossing = %v, want an error %v", err, c.wantCrosses)
			}
		})
	}
}

// TestBBox_Intersects checks boxes against extents, edges included, and
// across the antimeridian.
func TestBBox_Intersects(t *testing.T) {
	syria := truce.BBox{35, 32, 37, 34}
	fiji := truce.BBox{170, -20, -170, 0}
	for _, c := range []struct {
		name string
		box  truce.BBox
		e    truce.BBox
		want bool
	}{
		{"Inside", syria, truce.BBox{36, 33, 36, 33}, true},
		{"Overlaps", syria, truce.BBox{30, 30, 35.5, 32.5}, true},
		{"Contains", syria, truce.BBox{-10, -10, 50, 50}, true},
		{"EdgeEast", syria, truce.BBox{37, 33, 38, 33}, true},
		{"EdgeNorth", syria, truce.BBox{36, 34, 36, 35}, true},
		{"East", syria, truce.BBox{37.01, 33, 38, 33}, false},
		{"South", syria, truce.BBox{36, 30, 36, 31.99}, false},
		{"AntimeridianEast", fiji, truce.BBox{175, -10, 175, -10}, true},
		{"AntimeridianWest", fiji, truce.BBox{-175, -10, -175, -10}, true},
		{"AntimeridianOut", fiji, truce.BBox{0, -10, 0, -10}, false},
		{"AntimeridianNorth", fiji, truce.BBox{175, 1, 175, 1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.box.Intersects(c.e); got != c.want {
				t.Errorf("%v.Intersects(%v) = %v, want %v", c.box, c.e, got, c.want)
			}
		})
	}
	var none *truce.BBox
	if err := none.Validate(); err != nil {
		t.Errorf("nil box: %v", err)
	}
}
