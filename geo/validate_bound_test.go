package geo_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// comb is a valid polygon of 4n+3 vertices: n long thin teeth off a spine.
// With transpose, the spine runs east-west instead of north-south.
func comb(n int, transpose bool) orb.Polygon {
	var r orb.Ring
	for i := range n {
		y := 30 + float64(i)*0.001
		r = append(r, orb.Point{36, y}, orb.Point{36.5, y + 0.0002}, orb.Point{36.5, y + 0.0004}, orb.Point{36, y + 0.0006})
	}
	r = append(r, orb.Point{35.9, 30 + float64(n)*0.001}, orb.Point{35.9, 30}, r[0])
	if transpose {
		for i, p := range r {
			r[i] = orb.Point{p[1] + 6, p[0] - 6}
		}
		// Transposing mirrors the ring: keep it counter-clockwise.
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
	return orb.Polygon{r}
}

// TestValidate_Direction: validating a 20,000-vertex ring costs the same
// whichever way it runs. A sweep over x alone visited every pair of a
// north-south ring's edges: 4.5 s, against milliseconds east-west.
func TestValidate_Direction(t *testing.T) {
	cost := func(p orb.Polygon) time.Duration {
		start := time.Now()
		if err := geo.ValidateTopology(p); err != nil {
			t.Fatal(err)
		}
		if _, err := geo.MakeValid(p); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	ns, ew := comb(5000, false), comb(5000, true)
	cost(ew) // warm up
	dNS, dEW := cost(ns), cost(ew)
	t.Logf("north-south %v, east-west %v", dNS, dEW)
	if dNS > 40*dEW+500*time.Millisecond {
		t.Errorf("north-south took %v, east-west %v", dNS, dEW)
	}
}

// TestMakeValidContext_Limit: repairing a ring whose edges cross each
// other about a million times is refused with a LimitError, soon: the
// hot pixels each long edge's box holds were examined without being
// counted (34 s before the refusal).
func TestMakeValidContext_Limit(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	var ring orb.Ring
	for range 2500 {
		ring = append(ring, orb.Point{36 + float64(r.IntN(10000))/1e4, 33 + float64(r.IntN(10000))/1e4})
	}
	ring = append(ring, ring[0])
	start := time.Now()
	_, err := geo.MakeValidContext(context.Background(), orb.Polygon{ring})
	var le *geo.LimitError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "(the limit)") {
		t.Fatalf("err %v, want a LimitError naming the limit", err)
	}
	if d := time.Since(start); d > slowdown*10*time.Second {
		t.Errorf("refused after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := geo.MakeValidContext(ctx, orb.Polygon{ring}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v, want context.Canceled", err)
	}
}

// TestIntersects_ManyParts: an operation of 5,000 small polygons against a
// 20,000-vertex zone. With no edges meeting, one vertex of each part was
// located by walking every edge of the other (parts × edges: 0.3 s
// prepared, 1.2 s not, per zone); the edges a ray meets are now found with
// an R-tree.
func TestIntersects_ManyParts(t *testing.T) {
	zone := comb(5000, false)
	parts := func(inTooth int) orb.MultiPolygon {
		var mp orb.MultiPolygon
		for i := range 5000 {
			y := 30 + float64(i)*0.001 + 0.0008 // between two teeth
			if i == inTooth {
				y -= 0.0005 // in a tooth
			}
			mp = append(mp, orb.Polygon{{{36.1, y}, {36.1001, y}, {36.1, y + 0.0001}, {36.1, y}}})
		}
		return mp
	}
	p, err := geo.Prepare(zone)
	if err != nil {
		t.Fatal(err)
	}
	best := func(f func()) time.Duration {
		d := time.Duration(math.MaxInt64)
		for range 3 {
			start := time.Now()
			f()
			d = min(d, time.Since(start))
		}
		return d
	}
	for _, tt := range []struct {
		inTooth int
		want    bool
	}{{-1, false}, {4321, true}} {
		mp := parts(tt.inTooth)
		var got1, got2 bool
		d1 := best(func() { got1 = p.Intersects(mp) })
		d2 := best(func() { got2 = geo.Intersects(zone, mp) })
		if got1 != tt.want || got2 != tt.want {
			t.Errorf("part %d in a tooth: prepared %v, plain %v; want %v", tt.inTooth, got1, got2, tt.want)
		}
		t.Logf("prepared %v, plain %v", d1, d2)
		if d1 > slowdown*150*time.Millisecond || d2 > slowdown*500*time.Millisecond {
			t.Errorf("prepared %v, plain %v", d1, d2)
		}
	}
}
