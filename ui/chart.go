package ui

import (
	"fmt"
	"math"
)

// chartSeries is one stacked layer of a bar chart: a label and one value
// per bar.
type chartSeries struct {
	// Label is shown as it is; LabelKey, when set, is a message key the
	// template translates instead.
	Label, LabelKey string
	Key             string // for data- attributes and tests
	Values          []int
}

// barChart is a stacked bar chart laid out for an SVG drawn by a template
// (templates/report.html): the server renders the charts, so a page is
// complete without JavaScript and prints as it shows.
type barChart struct {
	Width, Height int
	Bars          []chartBar
	XLabels       []chartLabel
	YTicks        []chartLabel
	Legend        []chartLegend
	Series        []chartSeries
	Max           int
}

type chartBar struct {
	X, Y, W, H float64
	Color      string
	Label      string // the bar's (a day)
	Series     chartSeries
	Value      int
}

type chartLabel struct {
	X, Y float64
	Text string
}

type chartLegend struct {
	// X, Y place the swatch; TextX, TextY its label.
	X, Y, TextX, TextY float64
	Color              string
	Series             chartSeries
}

// chartColors are the series' colours (Okabe–Ito, distinguishable with
// colour-blindness), the last for whatever is beyond them.
var chartColors = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999"}

// stackedBars lays out one bar per label, each stacking the series'
// values in order, with a y axis of round ticks and a legend below.
func stackedBars(labels []string, series []chartSeries) barChart {
	const (
		width, plotH         = 720.0, 220.0
		left, top, right     = 40.0, 10.0, 10.0
		legendRow, labelArea = 18.0, 34.0
	)
	c := barChart{Width: int(width), Series: series}
	totals := make([]int, len(labels))
	for _, s := range series {
		for i, v := range s.Values {
			if i < len(totals) {
				totals[i] += v
			}
		}
	}
	for _, t := range totals {
		c.Max = max(c.Max, t)
	}
	step := tickStep(c.Max)
	top2 := int(math.Ceil(float64(max(c.Max, 1))/float64(step))) * step
	scale := plotH / float64(top2)
	for v := 0; v <= top2; v += step {
		c.YTicks = append(c.YTicks, chartLabel{X: left - 4, Y: top + plotH - float64(v)*scale, Text: fmt.Sprint(v)})
	}
	n := max(len(labels), 1)
	slot := (width - left - right) / float64(n)
	bw := math.Max(slot*0.7, 1)
	every := int(math.Ceil(float64(n) / 10)) // at most ~10 labels
	for i, l := range labels {
		x := left + float64(i)*slot + (slot-bw)/2
		y := top + plotH
		for k, s := range series {
			if i >= len(s.Values) || s.Values[i] == 0 {
				continue
			}
			h := float64(s.Values[i]) * scale
			y -= h
			c.Bars = append(c.Bars, chartBar{X: x, Y: y, W: bw, H: h, Color: chartColors[min(k, len(chartColors)-1)],
				Label: l, Series: s, Value: s.Values[i]})
		}
		// Counted from the last bar, so that the latest is labelled and
		// the labels are evenly spaced; a date loses its year.
		if (n-1-i)%every == 0 {
			text := l
			if len(l) == len("2006-01-02") && l[4] == '-' {
				text = l[5:]
			}
			c.XLabels = append(c.XLabels, chartLabel{X: x + bw/2, Y: top + plotH + 14, Text: text})
		}
	}
	y := top + plotH + labelArea
	x := left
	for k, s := range series {
		if x > width-160 {
			x, y = left, y+legendRow
		}
		c.Legend = append(c.Legend, chartLegend{X: x, Y: y - 9, TextX: x + 14, TextY: y, Color: chartColors[min(k, len(chartColors)-1)], Series: s})
		x += 170
	}
	c.Height = int(y + legendRow)
	return c
}

// tickStep returns a round step (1, 2 or 5 × 10ⁿ) giving at most about
// five ticks up to top.
func tickStep(top int) int {
	step := 1
	for {
		for _, m := range []int{1, 2, 5} {
			if top <= 5*m*step {
				return m * step
			}
		}
		step *= 10
	}
}
