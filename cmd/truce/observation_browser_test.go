package main

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/observation"
)

// TestUI_ObservationQueue drives the observation form's local queue in
// headless Chromium: a report made without a connection waits in the
// browser; one whose answer is lost stays queued though the server
// recorded it; when the connection returns it is sent again with its
// Idempotency-Key and answered from the record, so the server holds it
// once; a refused report leaves the queue with the server's reason.
func TestUI_ObservationQueue(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	stored := func() int {
		os, err := s.node.Store.Observation().Observations(ctx, observation.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(os)
	}
	b := newBrowser(t, path)
	tb := tab(t, b)
	login(t, tb, s.url, s.creds["amman-mc"].Username, s.creds["amman-mc"].Password)
	poll(t, tb, "signed in", `location.pathname === '/map'`)
	must(t, tb, "open the form", chromedp.Navigate(s.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	start := time.Now().UTC().Add(-3 * time.Minute).Format("2006-01-02T15:04")
	eval[bool](t, tb, `(function () {
		var f = document.getElementById('observation-form');
		var set = function (n, v) { f.elements[n].value = v; };
		set('mode', 'heard'); set('category', 'explosion'); set('sub_category', 'artillery');
		set('start', '`+start+`'); set('end', '`+start+`');
		set('obs_lon', '36.10'); set('obs_lat', '32.58'); set('bearing', '50'); set('bearing_error', '3'); set('dmin', '4000'); set('dmax', '10000');
		set('events_best', '3'); set('events_low', '2'); set('events_high', '5');
		window.realFetch = window.fetch;
		window.fetch = function () { return Promise.reject(new TypeError('offline')); };
		document.getElementById('obs-submit').click();
		return true;
	})()`)
	poll(t, tb, "the report queued", `document.querySelectorAll('#obs-queue li.queued').length === 1 && TruceObservationQueue.load().length === 1`)
	if n := stored(); n != 0 {
		t.Fatalf("%d observations stored while offline", n)
	}

	// The request reaches the server, the answer is lost.
	eval[bool](t, tb, `(function () {
		window.fetch = function (u, o) { return window.realFetch(u, o).then(function () { throw new TypeError('lost'); }); };
		TruceObservationQueue.flush();
		return true;
	})()`)
	if !testwait.Until(10*time.Second, func() bool { return stored() == 1 }) {
		t.Fatalf("the server did not record the report (%d)", stored())
	}
	poll(t, tb, "the report still queued", `TruceObservationQueue.load().length === 1 && /no connection/.test(document.getElementById('obs-queue').textContent)`)

	// Back online: sent again with its key, recorded once.
	eval[bool](t, tb, `(function () { window.fetch = window.realFetch; window.dispatchEvent(new Event('online')); return true; })()`)
	poll(t, tb, "the report recorded", `document.querySelectorAll('#obs-results li.filed a[href^="/incidents/"]').length === 1 && TruceObservationQueue.load().length === 0`)
	if n := stored(); n != 1 {
		t.Fatalf("%d observations stored, want the one report once", n)
	}

	// A refused report leaves the queue with the reason.
	eval[bool](t, tb, `(function () {
		document.getElementById('observation-form').elements['bearing'].value = '400';
		document.getElementById('obs-submit').click();
		return true;
	})()`)
	poll(t, tb, "the refusal shown", `/bearing/.test((document.querySelector('#obs-results li.refused') || {}).textContent || '') && TruceObservationQueue.load().length === 0`)
	if n := stored(); n != 1 {
		t.Fatalf("%d observations stored after a refusal, want 1", n)
	}
}

// fillObservation fills the observation form with shelling heard three
// minutes ago.
func fillObservation(t *testing.T, tb context.Context) {
	t.Helper()
	start := time.Now().UTC().Add(-3 * time.Minute).Format("2006-01-02T15:04")
	eval[bool](t, tb, `(function () {
		var f = document.getElementById('observation-form');
		var set = function (n, v) { f.elements[n].value = v; };
		set('mode', 'heard'); set('category', 'explosion'); set('sub_category', 'artillery');
		set('start', '`+start+`'); set('end', '`+start+`');
		set('obs_lon', '36.10'); set('obs_lat', '32.58'); set('bearing', '50'); set('bearing_error', '3'); set('dmin', '4000'); set('dmax', '10000');
		set('events_best', '3'); set('events_low', '2'); set('events_high', '5');
		return true;
	})()`)
}

// TestUI_ObservationQueueStaleToken: a report made on a form whose CSRF
// token is no longer the session's (a page kept from before the monitor
// signed in again, as the offline copy is) is not lost: the queue sends
// it with the session's current token and the server records it once. It
// used to be dropped as refused, with the server's 403 page as reason.
func TestUI_ObservationQueueStaleToken(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	stored := func() int {
		os, err := s.node.Store.Observation().Observations(ctx, observation.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(os)
	}
	tb := tab(t, newBrowser(t, path))
	login(t, tb, s.url, s.creds["amman-mc"].Username, s.creds["amman-mc"].Password)
	poll(t, tb, "signed in", `location.pathname === '/map'`)
	must(t, tb, "open the form", chromedp.Navigate(s.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	fillObservation(t, tb)
	eval[bool](t, tb, `(function () {
		document.getElementById('observation-form').elements['csrf'].value = 'a token of an earlier session';
		document.getElementById('obs-submit').click();
		return true;
	})()`)
	poll(t, tb, "the report recorded", `document.querySelectorAll('#obs-results li.filed').length === 1 || document.querySelectorAll('#obs-results li.refused').length === 1`)
	if n, refused := stored(), eval[string](t, tb, `(document.querySelector('#obs-results li.refused') || {}).textContent || ''`); n != 1 || refused != "" {
		t.Fatalf("%d observations stored, refused %q; want the report recorded once", n, refused)
	}
}

// gate is a TCP relay to a server that a test can cut, as a field
// monitor's connection is cut: while down, every connection is closed,
// the open ones too.
type gate struct {
	url  string
	mu   sync.Mutex
	down bool
	open map[net.Conn]bool
}

func newGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{url: "http://" + ln.Addr().String(), open: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); g.set(true) })
	addr := strings.TrimPrefix(target, "http://")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go g.relay(c, addr)
		}
	}()
	return g
}

func (g *gate) relay(c net.Conn, addr string) {
	g.mu.Lock()
	if g.down {
		g.mu.Unlock()
		c.Close()
		return
	}
	g.open[c] = true
	g.mu.Unlock()
	s, err := net.Dial("tcp", addr)
	if err != nil {
		c.Close()
		return
	}
	g.mu.Lock()
	g.open[s] = true
	g.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

// set cuts (true) or restores (false) the connection.
func (g *gate) set(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
	if down {
		for c := range g.open {
			c.Close()
		}
		g.open = map[net.Conn]bool{}
	}
}

// TestUI_ObservationOffline: a monitor who opened the observation form
// once loses the connection; the form opens again from the service
// worker's copy, a report made there waits on the device (across a
// reload), and when the connection returns it is sent with its
// Idempotency-Key and recorded once.
func TestUI_ObservationOffline(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	g := newGate(t, s.url)
	stored := func() int {
		os, err := s.node.Store.Observation().Observations(ctx, observation.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(os)
	}
	before := stored()
	tb := tab(t, newBrowser(t, path))
	login(t, tb, g.url, s.creds["amman-mc"].Username, s.creds["amman-mc"].Password)
	poll(t, tb, "signed in", `location.pathname === '/map'`)
	must(t, tb, "open the form", chromedp.Navigate(g.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	poll(t, tb, "the service worker in control", `navigator.serviceWorker.controller !== null`)
	// Loaded again under the worker, so that it keeps the page and its files.
	must(t, tb, "reload under the worker", chromedp.Navigate(g.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	if !testwait.Until(20*time.Second, func() bool {
		return eval[bool](t, tb, `caches.open('truce-observe-v1').then(function (c) { return c.keys(); }).then(function (ks) {
			return ks.some(function (k) { return /\/observations\/new$/.test(k.url); }) && ks.some(function (k) { return /\/static\/observe\./.test(k.url); });
		})`)
	}) {
		t.Fatal("the service worker did not keep the form and its script")
	}

	g.set(true)
	must(t, tb, "open the form offline", chromedp.Navigate(g.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	if !eval[bool](t, tb, `typeof TruceObservationQueue === 'object'`) {
		t.Fatal("the offline form has no queue: its script was not kept")
	}
	fillObservation(t, tb)
	eval[bool](t, tb, `(document.getElementById('obs-submit').click(), true)`)
	poll(t, tb, "the report waiting", `TruceObservationQueue.load().length === 1 && document.querySelectorAll('#obs-queue li.queued').length === 1`)
	must(t, tb, "reload offline", chromedp.Navigate(g.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	poll(t, tb, "the report still waiting", `TruceObservationQueue.load().length === 1 && document.querySelectorAll('#obs-queue li.queued').length === 1`)
	if n := stored(); n != before {
		t.Fatalf("%d observations stored while offline", n-before)
	}

	g.set(false)
	eval[bool](t, tb, `(window.dispatchEvent(new Event('online')), true)`)
	poll(t, tb, "the report recorded", `TruceObservationQueue.load().length === 0 && document.querySelectorAll('#obs-results li.filed').length === 1`)
	if n := stored(); n != before+1 {
		t.Fatalf("%d observations stored, want the one report once", n-before)
	}
}
