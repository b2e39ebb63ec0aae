package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce"
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

// TestUI_ObservationEvidence: a monitor attaches a real photo carrying a
// GPS position (observation/testdata) to a report in headless Chromium.
// The browser hashes it, keeps it with the queued report, uploads it
// under its SHA-256 and files the report citing it; the incident page
// shows it to the monitor as uploaded, with the metadata removed for the
// others. A guarantor's operator, in Arabic, sees the copy without
// metadata: the file the page links to is that copy, byte for byte.
func TestUI_ObservationEvidence(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	photo, err := filepath.Abs(filepath.Join("..", "..", "observation", "testdata", "nikon-d2h-gps.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	sum := observation.SHA256Hex(data)
	b := newBrowser(t, path)
	tb := tab(t, b)
	login(t, tb, s.url, s.creds["amman-mc"].Username, s.creds["amman-mc"].Password)
	poll(t, tb, "signed in", `location.pathname === '/map'`)
	must(t, tb, "open the form", chromedp.Navigate(s.url+"/observations/new"), chromedp.WaitVisible(chromedp.CSS("#observation-form")))
	fillObservation(t, tb)
	must(t, tb, "attach the photo", chromedp.SetUploadFiles(chromedp.CSS("#obs-evidence"), []string{photo}))
	// Made without a connection: the report and its photo wait in the
	// browser, then go when the connection returns.
	eval[bool](t, tb, `(function () {
		window.realFetch = window.fetch;
		window.fetch = function () { return Promise.reject(new TypeError('offline')); };
		document.getElementById('obs-submit').click();
		return true;
	})()`)
	poll(t, tb, "the report and its photo queued", `TruceObservationQueue.load().length === 1 && (TruceObservationQueue.load()[0].body.evidence || [])[0] === '`+sum+`' &&
		document.querySelectorAll('#obs-queue li.queued').length === 1`)
	pollAsync(t, tb, "the photo kept in the browser", `new Promise(function (ok) {
		var r = indexedDB.open('truce-evidence', 1);
		r.onsuccess = function () { var g = r.result.transaction('files').objectStore('files').get('`+sum+`'); g.onsuccess = function () { ok(!!g.result && g.result.data.byteLength === `+strconv.Itoa(len(data))+`); }; };
	})`)
	if n, _ := s.node.Store.Observation().Observations(ctx, observation.Filter{}); len(n) != 0 {
		t.Fatalf("%d observations stored while offline", len(n))
	}
	if _, err := s.node.Store.Observation().Evidence(ctx, sum); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the photo stored while offline: %v", err)
	}
	eval[bool](t, tb, `(function () { window.fetch = window.realFetch; window.dispatchEvent(new Event('online')); return true; })()`)
	poll(t, tb, "the report recorded", `document.querySelectorAll('#obs-results li.filed a[href^="/incidents/"]').length === 1 && TruceObservationQueue.load().length === 0`)
	stored, err := s.node.Store.Observation().Observations(ctx, observation.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || len(stored[0].Evidence) != 1 || stored[0].Evidence[0] != sum {
		t.Fatalf("stored observations %d; want one citing %s", len(stored), sum)
	}
	e, err := s.node.Store.Observation().Evidence(ctx, sum)
	if err != nil || e.Shared == "" || e.Shared == sum || len(e.Removed) == 0 {
		t.Fatalf("evidence record %+v, %v: want a copy without the metadata", e, err)
	}
	pollAsync(t, tb, "the browser's copy forgotten", `new Promise(function (ok) {
		var r = indexedDB.open('truce-evidence', 1);
		r.onsuccess = function () { var g = r.result.transaction('files').objectStore('files').count(); g.onsuccess = function () { ok(g.result === 0); }; };
	})`)

	incident := "/incidents/" + stored[0].IncidentID
	must(t, tb, "open the incident", chromedp.Navigate(s.url+incident), chromedp.WaitVisible(chromedp.CSS("#incident-evidence")))
	poll(t, tb, "the photo shown as uploaded", `(function () {
		var li = document.querySelector('#incident-evidence li[data-sha256="`+sum+`"]');
		var img = li && li.querySelector('img.evidence-thumb');
		return img && img.complete && img.naturalWidth > 0 && li.querySelector('.evidence-removed') && /APP1/.test(li.textContent) && !li.querySelector('.evidence-copy');
	})()`)
	// The file linked is the one uploaded, to its party.
	ownSum := eval[string](t, tb, `fetch(document.querySelector('#incident-evidence a.evidence-file').href).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return crypto.subtle.digest('SHA-256', b); }).then(function (d) { return Array.prototype.map.call(new Uint8Array(d), function (x) { return ('0' + x.toString(16)).slice(-2); }).join(''); })`)
	if ownSum != sum {
		t.Errorf("the monitor downloads %s, want the file uploaded, %s", ownSum, sum)
	}

	us := tab(t, b)
	login(t, us, s.url, s.creds["us"].Username, s.creds["us"].Password)
	poll(t, us, "signed in", `location.pathname === '/map'`)
	must(t, us, "open the incident in Arabic", chromedp.Navigate(s.url+"/lang/ar?next="+incident), chromedp.WaitVisible(chromedp.CSS("#incident-evidence")))
	poll(t, us, "the copy shown", `(function () {
		var li = document.querySelector('#incident-evidence li[data-sha256="`+sum+`"]');
		var img = li && li.querySelector('img.evidence-thumb');
		return document.documentElement.dir === 'rtl' && /الأدلة/.test(document.body.textContent) && img && img.complete && img.naturalWidth > 0 &&
			li.querySelector('.evidence-copy') && li.querySelector('.evidence-copy').textContent.indexOf('`+e.Shared+`') >= 0 && !li.querySelector('.evidence-removed');
	})()`)
	gotSum := eval[string](t, us, `fetch(document.querySelector('#incident-evidence a.evidence-file').href).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return crypto.subtle.digest('SHA-256', b); }).then(function (d) { return Array.prototype.map.call(new Uint8Array(d), function (x) { return ('0' + x.toString(16)).slice(-2); }).join(''); })`)
	if gotSum != e.Shared {
		t.Errorf("another party downloads %s, want the copy without metadata, %s", gotSum, e.Shared)
	}
}

// pollAsync waits until js, an expression whose value may be a promise,
// is (or resolves to) true.
func pollAsync(t testing.TB, ctx context.Context, what, js string) {
	t.Helper()
	var last error
	if !testwait.Until(30*time.Second, func() bool {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		cancel()
		last = err
		return err == nil && ok
	}) {
		t.Fatalf("waiting for %s (%s): %v", what, js, last)
	}
}

// TestUI_DailyReport: the daily report page in headless Chromium. Shelling
// near Dar'a today and shots yesterday show in the totals against the day
// before and in the server-drawn charts (by category and by governorate,
// one bar per day); the centre's operator publishes the report and the
// page shows the hash the journal holds; a report filed afterwards makes
// the page say the report has changed since; republishing needs a reason
// and makes version 2. In Arabic the page is right to left with the
// categories named in Arabic; another party reads it without the form.
func TestUI_DailyReport(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	observer := s.actor(t, ctx, "amman-mc")
	now := time.Now().UTC()
	today, yesterday := now.Format(time.DateOnly), now.AddDate(0, 0, -1).Format(time.DateOnly)
	file := func(cat observation.Category, sub string, at time.Time, lon, lat float64) {
		t.Helper()
		p := observation.Point{Lon: lon, Lat: lat}
		if _, err := s.node.Observation.AddObservation(observer, observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: lon - 0.02, Lat: lat},
			Location: &p, Accuracy: 300, Start: at, End: at, Category: cat, SubCategory: sub, Events: observation.Count{Best: 2, Low: 1, High: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	recent := now.Add(-time.Minute)
	if recent.Format(time.DateOnly) != today {
		recent = now
	}
	file(observation.CatExplosion, "artillery", recent, 36.1063, 32.6189)
	file(observation.CatBurstShot, "", now.AddDate(0, 0, -1), 36.25, 32.86)
	admin, err := s.node.Store.Accounts().User(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	un, err := s.node.Store.Accounts().Party(ctx, admin.PartyID)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := s.node.Store.Accounts().Party(ctx, "amman-mc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Accounts.CreateUser(truce.NewContext(ctx, &truce.Caller{User: admin, Party: un}),
		truce.UserCreate{Party: mc.ID, Username: "centre-duty", Roles: []truce.Role{truce.RoleOperator}, Password: "centre-duty-password"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, path)
	op := tab(t, b)
	login(t, op, s.url, "centre-duty", "centre-duty-password")
	poll(t, op, "signed in", `location.pathname === '/map'`)
	must(t, op, "open the report", chromedp.Navigate(s.url+"/reports/daily"), chromedp.WaitVisible(chromedp.CSS("#report-publication")))
	poll(t, op, "the day's totals against the day before", `document.getElementById('report-day').textContent === '`+today+`' &&
		document.querySelector('#report-total-day td').textContent === '1' && document.querySelector('#report-total-prev td').textContent === '1' &&
		document.querySelector('#report-total-change td').textContent === '0' && document.getElementById('report-unpublished')`)
	bar := func(chart, series, day string) string {
		return `document.querySelector('#` + chart + ` rect.bar[data-series="` + series + `"][data-day="` + day + `"][data-value="1"]')`
	}
	poll(t, op, "the charts", bar("chart-category", "explosion", today)+` && `+bar("chart-category", "burst_and_shot", yesterday)+` && `+
		bar("chart-governorate", "SY12", today)+` && `+bar("chart-governorate", "SY12", yesterday)+` &&
		document.querySelectorAll('#chart-category rect.bar').length === 2 && !document.querySelector('#chart-category rect.bar[data-day="`+yesterday+`"][data-series="explosion"]')`)

	must(t, op, "publish", chromedp.Click(chromedp.CSS("#report-publish-submit")))
	poll(t, op, "the publication shown", `document.getElementById('report-unchanged') && document.getElementById('report-published-version').textContent === '1'`)
	pub, err := s.node.Observation.PublishedReport(observer, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, op, `document.getElementById('report-published-hash').textContent`); got != pub.Publication.SHA256 {
		t.Fatalf("the page shows hash %s, the journalled publication %s", got, pub.Publication.SHA256)
	}
	if got := eval[string](t, op, `document.getElementById('report-published-entry').textContent`); got != "#"+strconv.FormatInt(pub.Publication.JournalIndex, 10) {
		t.Fatalf("the page links entry %s, the publication is at %d", got, pub.Publication.JournalIndex)
	}

	file(observation.CatExplosion, "mortar", recent, 36.5, 33.5)
	must(t, op, "reload", chromedp.Navigate(s.url+"/reports/daily?day="+today), chromedp.WaitVisible(chromedp.CSS("#report-publication")))
	poll(t, op, "the change since publication shown", `document.getElementById('report-changed') && !document.getElementById('report-unchanged') && document.querySelector('#report-total-day td').textContent === '2'`)
	eval[bool](t, op, `(function () {
		var f = document.getElementById('report-publish');
		f.elements.reason.value = 'A mortar report filed after publication.';
		document.getElementById('report-publish-submit').click();
		return true;
	})()`)
	poll(t, op, "version 2 published", `document.getElementById('report-unchanged') && document.getElementById('report-published-version').textContent === '2'`)

	us := tab(t, b)
	login(t, us, s.url, s.creds["us"].Username, s.creds["us"].Password)
	poll(t, us, "signed in", `location.pathname === '/map'`)
	must(t, us, "open the report in Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/reports/daily"), chromedp.WaitVisible(chromedp.CSS("#report-publication")))
	poll(t, us, "the report in Arabic", `document.documentElement.dir === 'rtl' && /التقرير اليومي/.test(document.querySelector('h1').textContent) &&
		/رشقات وطلقات/.test(document.querySelector('#chart-category').textContent) && document.getElementById('report-unchanged') && !document.getElementById('report-publish')`)
}
