package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce/humanitarian"
)

// TestUI_DrawMovement: in a real browser, the Red Crescent's user draws a
// convoy's route on the movement form with three clicks, fills in its
// windows and notifies it; the movement's page shows it, and the map's
// movements layer draws it.
func TestUI_DrawMovement(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	b := newBrowser(t, path)
	sarc := tab(t, b)
	defer watchConsole(t, sarc, "sarc").check(t)
	login(t, sarc, s.url, s.creds["sarc"].Username, s.creds["sarc"].Password)
	poll(t, sarc, "the map after signing in", `location.pathname === '/map' && document.getElementById('map') && document.getElementById('map').dataset.zonesLoaded === '1'`)

	must(t, sarc, "open the movement form", chromedp.Navigate(s.url+"/movements/new"))
	poll(t, sarc, "the draw map", `window.Truce && Truce.map && Truce.draw && document.getElementById('map').dataset.basemap === '1'`)
	eval[int](t, sarc, `Truce.map.setView([32.59, 36.05], 11, {animate: false}), 0`)
	route := [][2]float64{{32.556, 36.0076}, {32.59, 36.05}, {32.6189, 36.102}}
	for _, c := range route {
		pt := eval[[]float64](t, sarc, fmt.Sprintf(`(function(){ var p = Truce.map.latLngToContainerPoint([%f, %f]); var r = document.getElementById('map').getBoundingClientRect();
			return [r.left + p.x, r.top + p.y]; })()`, c[0], c[1]))
		must(t, sarc, "click along the route", chromedp.MouseClickXY(pt[0], pt[1]))
	}
	geom := eval[string](t, sarc, `document.getElementById('geometry').value`)
	if !strings.Contains(geom, `"LineString"`) || strings.Count(geom, "],[") != 2 {
		t.Fatalf("drawn route: %q", geom)
	}
	at := func(h int) string {
		return time.Now().UTC().Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04")
	}
	eval[int](t, sarc, fmt.Sprintf(`(function(){ var f = document.getElementById('movement-form');
		f.name.value = 'Drawn convoy'; f.organisation.value = 'SARC';
		f.departure_from.value = %q; f.departure_to.value = %q; f.arrival_from.value = %q; f.arrival_to.value = %q; return 0; })()`, at(80), at(81), at(82), at(85)))
	must(t, sarc, "notify the movement", chromedp.Click(chromedp.CSS("#draw-finish")), chromedp.Click(chromedp.CSS("#movement-submit")))
	poll(t, sarc, "the movement's page", `location.pathname.indexOf('/movements/') === 0 && location.pathname !== '/movements/new' && !!document.getElementById('movement-status')`)
	if h := eval[string](t, sarc, `document.querySelector('h1').textContent`); !strings.Contains(h, "Drawn convoy") {
		t.Fatalf("movement page heading %q", h)
	}
	must(t, sarc, "open the map", chromedp.Navigate(s.url+"/map"))
	poll(t, sarc, "the movements layer", `window.Truce && Truce.map && document.querySelectorAll('path.movement').length >= 2`)
}

// TestUI_ConvoyLayer: in a real browser, the demo's convoy, under way
// and reporting a position 4 km off its route, is on the map's convoys
// layer at that position, coloured as off its route, with its state in
// its popup in English and, after switching, in Arabic.
func TestUI_ConvoyLayer(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	sarcCtx := s.actor(t, ctx, "sarc")
	ms, _, err := s.node.Humanitarian.ListMovements(sarcCtx, humanitarian.MovementFilter{Status: humanitarian.MovementNotified})
	if err != nil || len(ms) == 0 {
		t.Fatalf("the demo's convoy: %v %v", ms, err)
	}
	m := ms[0]
	if _, err := s.node.Humanitarian.MoveMovement(sarcCtx, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.node.Humanitarian.ReportPosition(sarcCtx, m.ID, humanitarian.ConvoyPosition{Lon: 36.2, Lat: 32.55}); err != nil || res.Inside {
		t.Fatalf("a position 4 km off the route: %+v %v", res, err)
	}
	b := newBrowser(t, path)
	sarc := tab(t, b)
	defer watchConsole(t, sarc, "sarc").check(t)
	login(t, sarc, s.url, s.creds["sarc"].Username, s.creds["sarc"].Password)
	poll(t, sarc, "the convoys layer", `location.pathname === '/map' && document.querySelectorAll('path.convoy.convoy-off_route').length === 1`)
	if txt := eval[string](t, sarc, `document.body.textContent`); !strings.Contains(txt, "Convoys under way") {
		t.Fatalf("no convoys layer named on the English map")
	}
	// The marker is where the convoy reported. (The demo's replayed
	// emergency convoy is on the layer too, where it last reported.)
	is := fmt.Sprintf(`l.feature && l.feature.properties && l.feature.properties.kind === 'convoy' && l.feature.id === %q`, m.ID)
	ll := eval[[]float64](t, sarc, `(function(){ var out = null; Truce.map.eachLayer(function(l){ if (`+is+`) { var p = l.getLatLng(); out = [p.lng, p.lat]; } }); return out; })()`)
	if len(ll) != 2 || ll[0] != 36.2 || ll[1] != 32.55 {
		t.Fatalf("convoy marker at %v", ll)
	}
	popup := func() string {
		eval[int](t, sarc, `(function(){ Truce.map.eachLayer(function(l){ if (`+is+`) { l.openPopup(); } }); return 0; })()`)
		poll(t, sarc, "the convoy's popup", `!!document.querySelector('.convoy-popup')`)
		return eval[string](t, sarc, `document.querySelector('.convoy-popup').textContent`)
	}
	if p := popup(); !strings.Contains(p, "off its route") || !strings.Contains(p, m.Name) {
		t.Fatalf("English popup %q", p)
	}
	must(t, sarc, "switch to Arabic", chromedp.Click(chromedp.CSS(`a[hreflang="ar"]`)))
	poll(t, sarc, "the Arabic map's convoys layer", `document.documentElement.lang === 'ar' && document.querySelectorAll('path.convoy.convoy-off_route').length === 1`)
	if p := popup(); !strings.Contains(p, "خارج مسارها") {
		t.Fatalf("Arabic popup %q", p)
	}
}
