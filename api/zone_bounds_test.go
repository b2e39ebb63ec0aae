package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestZoneService_BufferBounds: a corridor's buffering is bounded. A
// 1,000-vertex humanitarian corridor 50 km wide (78 s and 271 MB before)
// is accepted at once; a line whose buffer would exceed the geometry
// bounds is refused with a 422 naming the limit, and changes nothing.
func TestZoneService_BufferBounds(t *testing.T) {
	e := newEnv(t)
	r := rand.New(rand.NewPCG(10, 10))
	line := func(pts [][2]float64, halfWidth float64) string {
		c, _ := json.Marshal(pts)
		return fmt.Sprintf(`{"agreement":%q,"name":"Corridor","kind":"humanitarian_corridor","half_width_m":%g,"geometry":{"type":"LineString","coordinates":%s}}`,
			e.agreement.ID, halfWidth, c)
	}

	// A road-like corridor: 1,000 vertices about 100 m apart.
	var road [][2]float64
	lon, lat, brg := 36.3, 33.0, 10.0
	for range 1000 {
		road = append(road, [2]float64{lon, lat})
		brg += r.NormFloat64() * 4
		lon += 0.001 * sinDeg(brg)
		lat += 0.0009 * cosDeg(brg)
	}
	start := time.Now()
	status, _, b := e.do("POST", "/api/v1/zones", e.tokens["us-op"], line(road, 50_000))
	if status != http.StatusCreated {
		t.Fatalf("corridor: %d %s", status, b)
	}
	if d := time.Since(start); d > slowdown*10*time.Second {
		t.Errorf("a 1,000-vertex corridor 50 km wide took %v", d)
	}

	if raceDetector {
		// The refusals below are bounded work measured in time: the race
		// detector makes this geometry about 50 times slower (two minutes
		// per refusal on a busy machine), so they run without it
		// (.ci/run runs this test again without -race).
		t.Log("the refusals over the bounds run without the race detector")
		return
	}

	// 3,000 random vertices in a 100 km square (with four decimals, to
	// fit the test server's 64 kB bodies): the buffer's edges would cross
	// each other millions of times.
	var scribble [][2]float64
	for range 3_000 {
		scribble = append(scribble, [2]float64{36 + float64(r.IntN(10000))/1e4, 33 + float64(r.IntN(10000))/1e4})
	}
	before := e.journalSize()
	status, h, b := e.do("POST", "/api/v1/zones", e.tokens["us-op"], line(scribble, 500))
	if status != http.StatusUnprocessableEntity || problemCode(t, h, b) != truce.EUNPROCESSABLE ||
		!strings.Contains(string(b), "(the limit)") || !strings.Contains(string(b), "the limit") {
		t.Fatalf("over the bounds: %d %.300s; want 422 naming the limit", status, b)
	}
	if e.journalSize() != before {
		t.Error("a refused zone changed the journal")
	}

	// Repair of a polygon whose edges cross each other about a million
	// times is refused the same way.
	ring := append(scribble[:2500:2500], scribble[0])
	c, _ := json.Marshal([][][2]float64{ring})
	body := fmt.Sprintf(`{"agreement":%q,"name":"Scribble","kind":"buffer","repair":true,"geometry":{"type":"Polygon","coordinates":%s}}`, e.agreement.ID, c)
	start = time.Now()
	status, h, b = e.do("POST", "/api/v1/zones", e.tokens["us-op"], body)
	if status != http.StatusUnprocessableEntity || problemCode(t, h, b) != truce.EUNPROCESSABLE || !strings.Contains(string(b), "(the limit)") {
		t.Fatalf("repair over the bounds: %d %.300s; want 422 naming the limit", status, b)
	}
	if d := time.Since(start); d > slowdown*10*time.Second {
		t.Errorf("repair refused after %v", d)
	}
	if e.journalSize() != before {
		t.Error("a refused zone changed the journal")
	}
}

func sinDeg(d float64) float64 { return math.Sin(d * math.Pi / 180) }
func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
