package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUI_ControlPlayer plays the demo's control changes in Chromium: the
// Play button (hidden without script) steps the map from the first change
// to the last, replacing the map and the step form and the address each
// step, then stops; in Arabic the player speaks Arabic. No console error.
func TestUI_ControlPlayer(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	b := newBrowser(t, path)
	us := tab(t, b)
	// No console errors: the site names its icon (a 404 for
	// /favicon.ico was logged before it did).
	defer watchConsole(t, us, "us").check(t)
	login(t, us, s.url, s.creds["us"].Username, s.creds["us"].Password)
	poll(t, us, "the map after signing in", `location.pathname === '/map'`)
	must(t, us, "open the control map's first change", chromedp.Navigate(s.url+"/control?step=0"))
	poll(t, us, "the player", `document.getElementById('control-play') && !document.getElementById('control-play').hidden`)
	last := eval[int](t, us, `Number(document.getElementById('control-slider').max)`)
	if last < 2 {
		t.Fatalf("the demo has %d changes of control, want at least 3", last+1)
	}
	first := eval[string](t, us, `document.getElementById('control-step-at').dataset.at`)
	must(t, us, "press Play", chromedp.Click(chromedp.CSS("#control-play")))
	if pressed := eval[string](t, us, `document.getElementById('control-play').getAttribute('aria-pressed')`); pressed != "true" {
		t.Fatalf("Play pressed: aria-pressed %q", pressed)
	}
	poll(t, us, "the last change shown and the player stopped",
		`document.body.dataset.controlPlaying === '0' && document.getElementById('control-slider').value === String(`+itoa(last)+`) && location.search === '?step=`+itoa(last)+`'`)
	if got := eval[string](t, us, `document.getElementById('control-step-at').dataset.at`); got == first {
		t.Fatalf("the step's time did not change from %s", got)
	}
	if n := eval[int](t, us, `document.querySelectorAll('#control-view .control-gained').length`); n < 1 {
		t.Fatal("the last change's ground is not marked")
	}
	if label := eval[string](t, us, `document.getElementById('control-play').textContent`); label != "Play the changes" {
		t.Fatalf("after playing the button says %q", label)
	}

	must(t, us, "switch to Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/control%3Fstep=0"))
	poll(t, us, "the Arabic player", `document.documentElement.lang === 'ar' && document.getElementById('control-play') && !document.getElementById('control-play').hidden`)
	if label := eval[string](t, us, `document.getElementById('control-play').textContent`); !strings.Contains(label, "تشغيل") {
		t.Fatalf("the Arabic player says %q", label)
	}
	if at := eval[string](t, us, `document.getElementById('control-step-at').textContent`); !strings.Contains(at, "التغيير 1 من") {
		t.Fatalf("the Arabic step says %q", at)
	}
}
