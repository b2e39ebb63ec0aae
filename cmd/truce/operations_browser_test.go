package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUI_OperationsTimeline draws the demo's operations on the timeline
// in Chromium, as the United States sees them: its air patrol and, in the
// same lane, the joint strike filed later that day, each a bar of some
// width; the strike's bar lies after the patrol's along the line, to the
// right in English and to the left in Arabic, where the lane's name sits
// at the right. No console error.
func TestUI_OperationsTimeline(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	b := newBrowser(t, path)
	us := tab(t, b)
	defer watchConsole(t, us, "us").check(t)
	login(t, us, s.url, s.creds["us"].Username, s.creds["us"].Password)
	poll(t, us, "the map after signing in", `location.pathname === '/map'`)
	must(t, us, "open the operations list", chromedp.Navigate(s.url+"/operations"))
	must(t, us, "follow the link to the timeline", chromedp.Click(chromedp.CSS("#ops-timeline")))
	poll(t, us, "the timeline", `location.pathname === '/operations/timeline' && document.querySelectorAll('#timeline rect.tl-bar').length >= 2`)
	// box returns the rendered box of the bar whose title names the
	// operation.
	const box = `(name) => { const r = [...document.querySelectorAll('#timeline rect.tl-bar')].find(r => r.querySelector('title').textContent.includes(name)); if (!r) return null; const b = r.getBoundingClientRect(); return {Left: b.left, Right: b.right, Width: b.width}; }`
	type rect struct{ Left, Right, Width float64 }
	bars := func() (patrol, joint rect) {
		patrol = eval[rect](t, us, `(`+box+`)("Air patrol Dar'a")`)
		joint = eval[rect](t, us, `(`+box+`)("Joint strike on ISIS")`)
		if patrol.Width < 1 || joint.Width < 1 {
			t.Fatalf("bars: patrol %+v, joint %+v; want both drawn", patrol, joint)
		}
		return patrol, joint
	}
	if p, j := bars(); j.Left < p.Right {
		t.Fatalf("English: the joint strike (%+v) should start right of the patrol's end (%+v)", j, p)
	}
	if lanes := eval[int](t, us, `document.querySelectorAll('#timeline .tl-lane').length`); lanes < 1 {
		t.Fatal("no lane")
	}

	must(t, us, "switch to Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/operations/timeline"))
	poll(t, us, "the Arabic timeline", `document.documentElement.dir === 'rtl' && document.querySelector('h1').textContent.includes('الجدول الزمني') && document.querySelectorAll('#timeline rect.tl-bar').length >= 2`)
	if p, j := bars(); j.Right > p.Left {
		t.Fatalf("Arabic: the joint strike (%+v) should end left of the patrol's start (%+v)", j, p)
	}
	// The lane's name is at the start of the line: the right in Arabic.
	if ok := eval[bool](t, us, `(() => { const svg = document.getElementById('timeline').getBoundingClientRect(); const l = document.querySelector('#timeline .tl-party').getBoundingClientRect(); return l.width > 0 && l.right <= svg.right + 1 && l.left > svg.left + svg.width / 2; })()`); !ok {
		t.Fatal("Arabic: the lane's name is not at the right of the chart")
	}
}
