package observation_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/truce-project/truce/observation"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// randomEntry draws an observation over southern Syria (35.5–37.5 E,
// 32–34 N) within span of t0: a window of up to 2 h (now and then longer
// than GroupSpan, which is never grouped), a radius of 100 m to 10 km,
// one of the categories.
func randomEntry(r *rand.Rand, span time.Duration, cats []observation.Category) observation.Entry {
	start := t0.Add(time.Duration(r.Int64N(int64(span))))
	w := time.Duration(r.Int64N(int64(2 * time.Hour)))
	if r.IntN(50) == 0 {
		w = 30 * time.Hour
	}
	return observation.Entry{
		Category: cats[r.IntN(len(cats))],
		Center:   observation.Point{Lon: 35.5 + 2*r.Float64(), Lat: 32 + 2*r.Float64()},
		Radius:   100 + 9900*r.Float64()*r.Float64(),
		Start:    start, End: start.Add(w),
	}
}

var someCats = []observation.Category{observation.CatExplosion, observation.CatBurstShot, observation.CatFlare}

// fill adds n random entries as the service would: each joins the
// incident Match finds, or opens its own.
func fill(x *observation.Index, r *rand.Rand, n int, span time.Duration) {
	for i := range n {
		e := randomEntry(r, span, someCats)
		e.Incident = x.Match(&e)
		if e.Incident == "" {
			e.Incident = fmt.Sprint("inc-", i)
		}
		x.Add(e)
	}
}

// TestIndex_MatchesBrute checks the grid against the brute-force scan
// of every entry, on entries dense enough that most new ones match: the
// same incident (that of the earliest entry Near) or none, every time.
func TestIndex_MatchesBrute(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	x := observation.NewIndex()
	fill(x, r, 10000, 3*24*time.Hour)
	matched := 0
	for range 2000 {
		e := randomEntry(r, 3*24*time.Hour, someCats)
		got, want := x.Match(&e), x.MatchBrute(&e)
		if got != want {
			t.Fatalf("Match(%+v) = %q, brute force %q", e, got, want)
		}
		if got != "" {
			matched++
		}
	}
	if matched < 200 || matched > 1800 {
		t.Fatalf("%d of 2000 matched: the test does not exercise both outcomes", matched)
	}
	t.Logf("%d of 2000 matched", matched)
}

// TestNear is the grouping rule on its edges.
func TestNear(t *testing.T) {
	a := observation.Entry{Category: observation.CatExplosion, Center: observation.Point{Lon: 36, Lat: 32.6}, Radius: 1000, Start: t0, End: t0.Add(time.Minute)}
	tests := []struct {
		name string
		edit func(b *observation.Entry)
		want bool
	}{
		{"Same", func(b *observation.Entry) {}, true},
		{"CirclesTouch", func(b *observation.Entry) { b.Center.Lon += 0.0212; b.Radius = 1000 }, true},  // ≈ 1.99 km apart
		{"CirclesApart", func(b *observation.Entry) { b.Center.Lon += 0.0216; b.Radius = 1000 }, false}, // ≈ 2.03 km
		{"OtherCategory", func(b *observation.Entry) { b.Category = observation.CatFlare }, false},
		{"WithinTolerance", func(b *observation.Entry) { b.Start, b.End = t0.Add(15*time.Minute), t0.Add(16*time.Minute) }, true},
		{"BeyondTolerance", func(b *observation.Entry) { b.Start, b.End = t0.Add(17*time.Minute), t0.Add(18*time.Minute) }, false},
		{"WindowTooLong", func(b *observation.Entry) { b.Start = t0.Add(-30 * time.Hour) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := a
			tt.edit(&b)
			if got := observation.Near(&a, &b); got != tt.want {
				t.Fatalf("Near = %v, want %v", got, tt.want)
			}
			if got := observation.Near(&b, &a); got != tt.want {
				t.Fatalf("Near (swapped) = %v, want %v", got, tt.want)
			}
		})
	}
}

// BenchmarkIndex_Match is the grouping engine's target (DESIGN.md: ≤ 50 µs
// per observation with 1 M stored): 1,000,000 observations over a year in
// southern Syria, then each new observation matched and added, as the
// service does.
//
//	go test ./observation -run '^$' -bench Index_Match -benchtime 20000x
func BenchmarkIndex_Match(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x := observation.NewIndex()
	for i := range 1_000_000 {
		e := randomEntry(r, 365*24*time.Hour, someCats)
		e.Incident = fmt.Sprint("inc-", i)
		x.Add(e)
	}
	es := make([]observation.Entry, 10000)
	for i := range es {
		es[i] = randomEntry(r, 365*24*time.Hour, someCats)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := es[i%len(es)]
		if e.Incident = x.Match(&e); e.Incident == "" {
			e.Incident = "new"
		}
		x.Add(e)
	}
}
