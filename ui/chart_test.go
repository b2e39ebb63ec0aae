package ui

import (
	"math"
	"testing"
)

// TestTickStep: the y axis steps are 1, 2 or 5 × 10ⁿ, at most five up to
// the largest value.
func TestTickStep(t *testing.T) {
	for _, c := range []struct{ top, want int }{{0, 1}, {1, 1}, {5, 1}, {6, 2}, {10, 2}, {11, 5}, {25, 5}, {26, 10}, {49, 10}, {51, 20}, {1000, 200}, {2001, 500}} {
		if got := tickStep(c.top); got != c.want {
			t.Errorf("tickStep(%d) = %d, want %d", c.top, got, c.want)
		}
	}
}

// TestStackedBars: each day's bar stacks its series bottom up, heights in
// proportion to the values on one scale, zero values drawn as nothing.
func TestStackedBars(t *testing.T) {
	c := stackedBars([]string{"d1", "d2", "d3"}, []chartSeries{
		{Key: "a", Values: []int{1, 0, 4}},
		{Key: "b", Values: []int{2, 3, 0}},
	})
	if c.Max != 4 || len(c.Bars) != 4 || len(c.Legend) != 2 {
		t.Fatalf("max %d, %d bars, %d legend entries; want 4, 4, 2", c.Max, len(c.Bars), len(c.Legend))
	}
	unit := c.Bars[0].H // one incident
	var d1 []chartBar
	for _, b := range c.Bars {
		if math.Abs(b.H-float64(b.Value)*unit) > 1e-9 {
			t.Errorf("bar %s/%s of %d is %.2f high, want %.2f", b.Label, b.Series.Key, b.Value, b.H, float64(b.Value)*unit)
		}
		if b.Label == "d1" {
			d1 = append(d1, b)
		}
	}
	if len(d1) != 2 || d1[0].Series.Key != "a" || math.Abs(d1[1].Y+d1[1].H-d1[0].Y) > 1e-9 || d1[0].X != d1[1].X {
		t.Errorf("d1's bars are not stacked b on a: %+v", d1)
	}
	top := c.YTicks[len(c.YTicks)-1]
	for _, b := range c.Bars {
		if b.Label == "d3" && (top.Text != "4" || math.Abs(top.Y-b.Y) > 1e-9) {
			t.Errorf("d3's bar of 4 tops at %.2f; the axis's top tick %q is at %.2f", b.Y, top.Text, top.Y)
		}
	}
}
