package main

// Browser tests of the web UI: the real server on 127.0.0.1:0 over SQLite,
// set up as the demo is, driven through headless Chromium (Debian's
// chromium package) with chromedp. They skip when no browser is installed,
// and fail instead when TRUCE_REQUIRE_BROWSER=1 (as CI sets it).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/partykey"
)

// findBrowser returns the Chromium executable, or skips (fails under
// TRUCE_REQUIRE_BROWSER=1) when there is none.
func findBrowser(t testing.TB) string {
	t.Helper()
	for _, name := range []string{os.Getenv("TRUCE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TRUCE_REQUIRE_BROWSER") == "1" {
		t.Fatal("TRUCE_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install -y chromium)")
	}
	t.Skip("no chromium found: install it (apt-get install -y chromium) to run the browser tests; TRUCE_REQUIRE_BROWSER=1 makes this a failure")
	return ""
}

// uiServer is a demo deployment served on a loopback port.
type uiServer struct {
	url   string
	node  *node.Node
	creds map[string]demo.Credential // by party slug
	keys  map[string]string          // key files of the parties holding their own, by slug
}

func startUIServer(t testing.TB, ctx context.Context) *uiServer {
	t.Helper()
	return startUIServerIn(t, ctx, t.TempDir())
}

// startUIServerIn keeps the node's data under dir.
func startUIServerIn(t testing.TB, ctx context.Context, dir string) *uiServer {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := node.Config{DataDir: filepath.Join(dir, "data"), Name: "south-west syria 2017", Logger: quiet}
	sc, err := demo.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); n.Serve(sctx, ln) }()
	t.Cleanup(func() { stop(); <-done; n.Close() })
	s := &uiServer{url: "http://" + ln.Addr().String(), node: n, creds: map[string]demo.Credential{}, keys: sc.KeyFiles}
	for _, c := range sc.Credentials {
		s.creds[c.Party] = c
	}
	return s
}

// actor returns the demo user of a party as a service actor.
func (s *uiServer) actor(t testing.TB, ctx context.Context, slug string) context.Context {
	t.Helper()
	a, err := s.node.Accounts.AuthenticatePassword(ctx, s.creds[slug].Username, s.creds[slug].Password)
	if err != nil {
		t.Fatal(err)
	}
	return truce.NewContext(ctx, a)
}

// inForce brings an agreement into force: the first party proposes, and
// each signs its text, a party holding its own key with its key file
// through the client code of its CLI.
func (s *uiServer) inForce(t testing.TB, id string, signers map[string]context.Context, order ...string) {
	t.Helper()
	if _, err := s.node.Zones.ProposeAgreement(signers[order[0]], id, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
		t.Fatal(err)
	}
	for _, slug := range order {
		var err error
		if path := s.keys[slug]; path != "" {
			k, lerr := partykey.Load(path)
			if lerr != nil {
				t.Fatal(lerr)
			}
			_, err = partykey.DecideAgreement(signers[slug], s.node.Zones, k, id, 0, true, "")
		} else {
			_, err = s.node.Zones.DecideAgreement(signers[slug], id, 1, truce.ZoneDecision{Approve: true})
		}
		if err != nil {
			t.Fatalf("%s signs agreement %s: %v", slug, id, err)
		}
	}
}

// approve decides for a party on a version: a party holding its own key
// signs with its key file, through the client code of its CLI.
func (s *uiServer) approve(t testing.TB, ctx context.Context, slug, zoneID string, version int) {
	t.Helper()
	var err error
	if path := s.keys[slug]; path != "" {
		k, lerr := partykey.Load(path)
		if lerr != nil {
			t.Fatal(lerr)
		}
		_, err = partykey.DecideZone(ctx, partykey.Local{ZoneService: s.node.Zones}, k, zoneID, version, true, "")
	} else {
		_, err = s.node.Zones.DecideZone(ctx, zoneID, version, truce.ZoneDecision{Approve: true})
	}
	if err != nil {
		t.Fatalf("%s approves %s version %d: %v", slug, zoneID, version, err)
	}
}

// inboxApprove approves a zone from the open inbox. A party holding its
// own key loads its key file and the page signs (static/sign.js); its tab
// is brought to the front first, as a person's would be, because a
// background tab's file reads and timers are throttled.
func (s *uiServer) inboxApprove(t testing.TB, ctx context.Context, slug, zoneID, what string) {
	t.Helper()
	sel := fmt.Sprintf(`.inbox-item[data-zone=%q]`, zoneID)
	if key := s.keys[slug]; key != "" {
		must(t, ctx, slug+" loads its key", chromedp.SetUploadFiles(chromedp.CSS(sel+" input.sign-key"), []string{key}))
	}
	if s.keys[slug] == "" {
		must(t, ctx, slug+" approves "+what, chromedp.Click(chromedp.CSS(sel+" button.approve")), chromedp.WaitVisible(chromedp.CSS("#zone-state")))
		return
	}
	// The page signs before it posts: the navigation comes later than
	// the click, so the zone page is polled for (poll survives it). The
	// tab comes to the front first, as a person's would: a background
	// tab's file reads may wait.
	if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	must(t, ctx, slug+" signs and approves "+what, chromedp.Click(chromedp.CSS(sel+" button.approve")))
	poll(t, ctx, slug+"'s approval of "+what, `location.pathname === '/zones/`+zoneID+`' && document.getElementById('zone-state')`)
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t testing.TB, path string) context.Context {
	t.Helper()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	bctx, cancelB := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(func() { cancelB(); cancelA() })
	return bctx
}

// tab opens a tab in its own browser context: its own cookies, as another
// person's browser would have.
func tab(t testing.TB, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func must(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// poll waits until js is true; it survives the navigations that a form
// submission makes (an evaluation then fails and is retried).
func poll(t testing.TB, ctx context.Context, what, js string) {
	t.Helper()
	var last error
	if !testwait.Until(30*time.Second, func() bool {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+js+")"))
		cancel()
		last = err
		return err == nil && ok
	}) {
		t.Fatalf("waiting for %s (%s): %v", what, js, last)
	}
}

func login(t testing.TB, ctx context.Context, base, user, pass string) {
	t.Helper()
	must(t, ctx, "log in as "+user,
		chromedp.Navigate(base+"/map"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
}

func TestUI_Browser(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)

	// The US–Russia air-safety memorandum (2015): two signatories, in force,
	// with the real UNDOF zone on the Golan agreed as a buffer zone.
	usCtx, ruCtx := s.actor(t, ctx, "us"), s.actor(t, ctx, "ru")
	ag, err := s.node.Zones.CreateAgreement(usCtx, truce.AgreementCreate{Title: "US–Russia memorandum on air safety in Syria",
		Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s.inForce(t, ag.ID, map[string]context.Context{"us": usCtx, "ru": ruCtx}, "us", "ru")
	undof := undofGeometry(t)
	z, _, err := s.node.Zones.ProposeZone(usCtx, truce.ZoneProposal{Agreement: ag.ID, Name: "UNDOF area of separation",
		Kind: truce.ZoneBuffer, Geometry: undof})
	if err != nil {
		t.Fatal(err)
	}
	s.approve(t, usCtx, "us", z.ID, 1)
	s.approve(t, ruCtx, "ru", z.ID, 1)

	b := newBrowser(t, path)
	us, ru := tab(t, b), tab(t, b)
	// Every page either operator opens must render without a console
	// error; the refused posts of MissingCSRFRefused are the only errors
	// the browser may log.
	for _, c := range []*consoleErrors{watchConsole(t, us, "us"), watchConsole(t, ru, "ru", "/agreements/"+ag.ID+"/proposals")} {
		defer c.check(t)
	}

	t.Run("WrongPasswordRefused", func(t *testing.T) {
		anon := tab(t, b)
		login(t, anon, s.url, s.creds["us"].Username, "not-the-password")
		must(t, anon, "see the refusal", chromedp.WaitVisible(chromedp.CSS("#login-error")))
		if loc := eval[string](t, anon, `location.pathname`); loc != "/login" {
			t.Fatalf("after a wrong password the browser is at %s", loc)
		}
		if got := eval[int](t, anon, `fetch('/map/zones.geojson', {redirect: 'manual'}).then(r => r.type === 'opaqueredirect' ? 303 : r.status)`); got != 303 {
			t.Fatalf("signed-out zones request: %d, want a redirect to the login page", got)
		}
	})

	// Two parties sign in, each sees the agreed zones on the map: the
	// demo's and the memorandum's UNDOF zone.
	inForce, err := s.node.Zones.ZonesInForce(usCtx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pending, _, err := s.node.Zones.ListZones(usCtx, truce.ZoneFilter{State: truce.ZoneStateProposed})
	if err != nil {
		t.Fatal(err)
	}
	base := len(inForce) + len(pending)
	for _, p := range []struct {
		slug string
		ctx  context.Context
	}{{"us", us}, {"ru", ru}} {
		login(t, p.ctx, s.url, s.creds[p.slug].Username, s.creds[p.slug].Password)
		poll(t, p.ctx, p.slug+"'s map zones", `document.getElementById('map') && document.getElementById('map').dataset.zonesLoaded === '1'`)
		if n := eval[int](t, p.ctx, `Truce.zoneLayer.getLayers().length`); n != base {
			t.Fatalf("%s sees %d zone features on the map, want %d", p.slug, n, base)
		}
		who := eval[string](t, p.ctx, `document.getElementById('who').textContent`)
		if !strings.Contains(who, s.creds[p.slug].Username) {
			t.Fatalf("%s's header says %q", p.slug, who)
		}
	}
	if who := eval[string](t, ru, `document.getElementById('who').textContent`); !strings.Contains(who, "Russian Federation") {
		t.Fatalf("ru's header: %q", who)
	}

	// The US operator draws a no-fly zone over Daraa and proposes it.
	must(t, us, "open the propose page", chromedp.Navigate(s.url+"/zones/new?agreement="+ag.ID))
	poll(t, us, "the draw map", `window.Truce && Truce.map && Truce.draw && document.getElementById('map').dataset.basemap === '1'`)
	eval[int](t, us, `Truce.map.setView([32.65, 36.1], 9, {animate: false}), 0`)
	corners := [][2]float64{{32.5, 35.9}, {32.5, 36.3}, {32.8, 36.3}, {32.8, 35.9}}
	for _, c := range corners {
		pt := eval[[]float64](t, us, fmt.Sprintf(`(function(){ var p = Truce.map.latLngToContainerPoint([%f, %f]); var r = document.getElementById('map').getBoundingClientRect();
			return [r.left + p.x, r.top + p.y]; })()`, c[0], c[1]))
		must(t, us, "click a corner", chromedp.MouseClickXY(pt[0], pt[1]))
	}
	if n := eval[string](t, us, `document.getElementById('map').dataset.vertices`); n != "4" {
		t.Fatalf("the draw tool has %s vertices after 4 clicks", n)
	}
	geom := eval[string](t, us, `document.getElementById('geometry').value`)
	if !strings.Contains(geom, `"Polygon"`) {
		t.Fatalf("drawn geometry: %q", geom)
	}
	must(t, us, "propose the zone",
		chromedp.Click(chromedp.CSS("#draw-finish")),
		chromedp.SendKeys(chromedp.CSS("#zone-name"), "Daraa no-fly zone"),
		chromedp.SetValue(chromedp.CSS("#zone-kind"), "no_fly"),
		chromedp.Click(chromedp.CSS("#zone-submit")),
		chromedp.WaitVisible(chromedp.CSS("#zone-state")),
	)
	if st := eval[string](t, us, `document.getElementById('zone-state').dataset.state`); st != "proposed" {
		t.Fatalf("new zone state %q", st)
	}
	zoneID := strings.TrimPrefix(eval[string](t, us, `location.pathname`), "/zones/")
	hist, err := s.node.Zones.ZoneHistory(usCtx, zoneID)
	if err != nil {
		t.Fatal(err)
	}
	// Within 0.03° (a few pixels at zoom 9) of the clicked corners.
	if got, want := hist[0].BBox, (truce.BBox{35.9, 32.5, 36.3, 32.8}); math.Abs(got[0]-want[0]) > 0.03 || math.Abs(got[1]-want[1]) > 0.03 ||
		math.Abs(got[2]-want[2]) > 0.03 || math.Abs(got[3]-want[3]) > 0.03 || hist[0].Spec.Kind != truce.ZoneNoFly {
		t.Fatalf("the drawn zone is a %s with bounds %v, want a no_fly zone with the clicked corners %v", hist[0].Spec.Kind, got, want)
	}

	// It is in the Russian operator's inbox, and in the US operator's.
	for _, p := range []struct {
		slug string
		ctx  context.Context
	}{{"ru", ru}, {"us", us}} {
		must(t, p.ctx, p.slug+" opens the inbox", chromedp.Navigate(s.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox")))
		sel := fmt.Sprintf(`.inbox-item[data-zone=%q]`, zoneID)
		if n := eval[int](t, p.ctx, `document.querySelectorAll('`+sel+`').length`); n != 1 {
			t.Fatalf("%s's inbox holds %d items for the new zone", p.slug, n)
		}
		s.inboxApprove(t, p.ctx, p.slug, zoneID, "the new zone")
	}
	must(t, ru, "reopen the zone", chromedp.Navigate(s.url+"/zones/"+zoneID), chromedp.WaitVisible(chromedp.CSS("#zone-state")))
	if st := eval[string](t, ru, `document.getElementById('zone-state').dataset.state`); st != "in_force" {
		t.Fatalf("after both approvals the zone is %q", st)
	}
	if n := eval[int](t, ru, `document.querySelectorAll('.version[data-version="1"] tr.decision').length`); n != 2 {
		t.Fatalf("the zone page shows %d signed decisions, want 2", n)
	}
	if sig := eval[string](t, ru, `document.querySelector('pre.sig').textContent`); !strings.Contains(sig, "truce zone decision v1") {
		t.Fatalf("signature shown: %q", sig)
	}

	// The map now has both zones in force; a day ago it had none.
	must(t, ru, "open the map", chromedp.Navigate(s.url+"/map"))
	poll(t, ru, "the zones", `document.getElementById('map').dataset.zonesLoaded === '1'`)
	if n := eval[int](t, ru, `Truce.zoneLayer.getLayers().length`); n != base+1 {
		t.Fatalf("map shows %d zones, want %d", n, base+1)
	}
	eval[int](t, ru, `(function(){ var s = document.getElementById('time-slider'); s.value = '-24'; s.dispatchEvent(new Event('change')); return 0; })()`)
	poll(t, ru, "the zones a day ago", `document.getElementById('map').dataset.zonesAt !== '' && document.getElementById('map').dataset.zonesLoaded === '1'`)
	if n := eval[int](t, ru, `Truce.zoneLayer.getLayers().length`); n != 0 {
		t.Fatalf("map shows %d zones in force a day ago, want 0", n)
	}

	t.Run("MissingCSRFRefused", func(t *testing.T) {
		got := eval[int](t, ru, `fetch('/agreements/`+ag.ID+`/proposals', {method: 'POST', body: new URLSearchParams({action: 'suspend'})}).then(r => r.status)`)
		if got != 403 {
			t.Fatalf("POST without a CSRF token: %d, want 403", got)
		}
		bad := eval[int](t, ru, `fetch('/agreements/`+ag.ID+`/proposals', {method: 'POST', body: new URLSearchParams({action: 'suspend', csrf: 'forged'})}).then(r => r.status)`)
		if bad != 403 {
			t.Fatalf("POST with a forged CSRF token: %d, want 403", bad)
		}
		a, err := s.node.Zones.FindAgreement(usCtx, ag.ID)
		if err != nil || a.Status != truce.AgreementInForce {
			t.Fatalf("agreement after refused posts: %v %v", a.Status, err)
		}
	})

	t.Run("ProofDownloadVerifies", func(t *testing.T) {
		dir := t.TempDir()
		bc := chromedp.FromContext(us).BrowserContextID
		if _, err := chromedp.CallBrowser(us, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: bc, DownloadPath: dir}); err != nil {
			t.Fatal(err)
		}
		z, err := s.node.Zones.FindZone(usCtx, zoneID)
		if err != nil {
			t.Fatal(err)
		}
		// The proof needs the zone's last entry in a signed checkpoint.
		waitFor(t, "a checkpoint covering the zone", func() bool {
			_, p, err := s.node.Journal.JournalEntryProof(usCtx, z.JournalIndex)
			return err == nil && p != nil
		})
		must(t, us, "open the zone's last journal entry", chromedp.Navigate(fmt.Sprintf("%s/ledger/%d", s.url, z.JournalIndex)),
			chromedp.WaitVisible(chromedp.CSS("#verify-command")))
		cmd := eval[string](t, us, `document.getElementById('verify-command').textContent`)
		if !strings.Contains(cmd, "truce log verify-proof ") || !strings.Contains(cmd, s.node.LogVerifierKey) {
			t.Fatalf("verify command %q lacks the log key %s", cmd, s.node.LogVerifierKey)
		}
		if n := eval[int](t, us, `document.querySelectorAll('#proof-hashes li').length`); n == 0 {
			t.Fatal("the entry page shows no inclusion proof")
		}
		must(t, us, "download the proof", chromedp.Click(chromedp.CSS("#download-proof")))
		var file string
		waitFor(t, "the downloaded proof", func() bool {
			m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(m) == 1 {
				file = m[0]
			}
			return file != ""
		})
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var bundle truce.RecordProofs
		if err := json.Unmarshal(data, &bundle); err != nil || bundle.Subject != zoneID || len(bundle.Proofs) != 3 {
			t.Fatalf("downloaded %s: subject %q, %d proofs (want the proposal and two decisions), err %v", filepath.Base(file), bundle.Subject, len(bundle.Proofs), err)
		}
		// Exactly what the page tells the user to run.
		args := strings.Fields(strings.ReplaceAll(cmd, "'", ""))
		if len(args) != 6 || args[3] != filepath.Base(file) {
			t.Fatalf("command %q does not name the downloaded file %s", cmd, filepath.Base(file))
		}
		args[3] = file
		out, errs := &syncBuffer{}, &syncBuffer{}
		oldOut, oldErr := stdout, stderr
		stdout, stderr = out, errs
		rc := run(ctx, args[1:])
		stdout, stderr = oldOut, oldErr
		if rc != 0 {
			t.Fatalf("%s: exit %d\n%s%s", cmd, rc, out.take(), errs.take())
		}
		vs, err := verifyProofFile(data, s.node.Policy)
		if err != nil || len(vs) != 3 || !vs[0].BodyVerified {
			t.Fatalf("verifyProofFile: %v, %d records", err, len(vs))
		}
	})

	t.Run("ArabicIsRightToLeft", func(t *testing.T) {
		must(t, ru, "switch to Arabic", chromedp.Navigate(s.url+"/inbox"), chromedp.Click(chromedp.CSS(`a[hreflang="ar"]`)))
		// The demo's corridor awaits Russia's signature: its inbox is not
		// empty.
		poll(t, ru, "the Arabic inbox", `document.documentElement.lang === 'ar' && document.querySelector('#inbox .inbox-item .sign-help')`)
		dir := eval[string](t, ru, `document.documentElement.dir + ' ' + document.documentElement.lang`)
		if dir != "rtl ar" {
			t.Fatalf("Arabic page: dir and lang %q", dir)
		}
		nav := eval[string](t, ru, `document.querySelector('.nav').textContent`)
		if !strings.Contains(nav, "الخريطة") {
			t.Fatalf("Arabic navigation: %q", nav)
		}
		if os.Getenv("TRUCE_UI_SCREENSHOTS") != "" {
			must(t, ru, "Arabic map", chromedp.Navigate(s.url+"/map"))
			poll(t, ru, "the zones", `document.getElementById('map').dataset.zonesLoaded === '1'`)
			time.Sleep(500 * time.Millisecond) // tiles painted for the screenshot: nothing to poll
			shot(t, ru, "map-ar.png")
		}
	})

	t.Run("LiveAlert", func(t *testing.T) { liveAlert(t, s, us, ru) })

	// Every main page, in both languages, with its scripts run to the end
	// (the console watchers above fail the test on any error), and a
	// screenshot of each when asked for.
	for _, p := range []struct{ path, ready, file string }{
		{"/map", `document.getElementById('map').dataset.zonesLoaded === '1' && document.getElementById('map').dataset.alertsLoaded === '1'`, "map.png"},
		{"/inbox", `document.getElementById('inbox')`, "inbox.png"},
		{"/agreements", `document.getElementById('agreements')`, "agreements.png"},
		{"/agreements/" + ag.ID, `document.getElementById('agreement-status')`, "agreement.png"},
		{"/zones/" + zoneID, `document.getElementById('zone-state') && document.querySelector('#zone-map .leaflet-pane')`, "zone.png"},
		{"/zones/new?agreement=" + ag.ID, `document.getElementById('map').dataset.basemap === '1'`, "zone-new.png"},
		{"/alerts", `document.getElementById('alert-filter')`, "alerts.png"},
		{"/ledger", `document.getElementById('entries')`, "ledger.png"},
		{"/ledger/1", `document.getElementById('verify-command') || document.getElementById('entry')`, "ledger-entry.png"},
		{"/admin", `document.getElementById('aircraft-table')`, "admin.png"},
	} {
		for _, who := range []struct {
			name string
			ctx  context.Context
		}{{"us", us}, {"ru", ru}} {
			must(t, who.ctx, who.name+" opens "+p.path, chromedp.Navigate(s.url+p.path))
			poll(t, who.ctx, p.path+" ready", `document.readyState === 'complete' && (`+p.ready+`)`)
			// Late fetches and their errors: what is checked is that
			// none fails after the page is ready, and nothing signals
			// the last one, so the time must pass.
			time.Sleep(300 * time.Millisecond)
			if os.Getenv("TRUCE_UI_SCREENSHOTS") != "" && who.name == "us" {
				shot(t, us, p.file)
			}
		}
	}

	t.Run("ZoneChangeAndSuspension", func(t *testing.T) { zoneChangeAndSuspension(t, s, us, ru, zoneID) })
}

// zoneChangeAndSuspension: from the zone's page, the US operator proposes a
// change of ceiling that keeps the area, both parties approve it from their
// inboxes, then the Russian operator proposes a suspension, which both
// approve too.
func zoneChangeAndSuspension(t *testing.T, s *uiServer, us, ru context.Context, zoneID string) {
	approveAll := func(what string) {
		for _, p := range []struct {
			slug string
			ctx  context.Context
		}{{"ru", ru}, {"us", us}} {
			sel := fmt.Sprintf(`.inbox-item[data-zone=%q] button.approve`, zoneID)
			must(t, p.ctx, p.slug+" opens the inbox", chromedp.Navigate(s.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox")))
			if n := eval[int](t, p.ctx, `document.querySelectorAll('`+sel+`').length`); n != 1 {
				t.Fatalf("%s's inbox offers %d approvals of the %s: %s", p.slug, n, what, eval[string](t, p.ctx, `document.getElementById('inbox').innerText`))
			}
			s.inboxApprove(t, p.ctx, p.slug, zoneID, "the "+what)
		}
	}
	must(t, us, "open the zone", chromedp.Navigate(s.url+"/zones/"+zoneID), chromedp.WaitVisible(chromedp.CSS("#zone-change-form")))
	if name := eval[string](t, us, `document.getElementById('change-name').value`); name != "Daraa no-fly zone" {
		t.Fatalf("the change form starts from name %q", name)
	}
	if os.Getenv("TRUCE_UI_SCREENSHOTS") != "" {
		must(t, us, "scroll to the forms", chromedp.ScrollIntoView(chromedp.CSS("#zone-propose")))
		shot(t, us, "zone-propose.png")
	}
	must(t, us, "propose a lower ceiling",
		chromedp.SetValue(chromedp.CSS("#change-ceiling"), "FL100"),
		chromedp.Click(chromedp.CSS("#change-submit")))
	poll(t, us, "the proposed change", `document.querySelector('.version[data-version="2"]') !== null`)
	approveAll("change")
	hist, err := s.node.Zones.ZoneHistory(s.actor(t, context.Background(), "us"), zoneID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 {
		t.Fatalf("%d versions after the change, want 2", len(hist))
	}
	v1, v2 := hist[0], hist[1]
	if v2.Action != truce.ZoneChange || v2.Status != truce.VersionApproved || v2.Spec.CeilingM == nil || math.Abs(*v2.Spec.CeilingM-3048) > 0.01 ||
		v2.BBox != v1.BBox || v2.Spec.Name != v1.Spec.Name || v2.Spec.Kind != v1.Spec.Kind {
		t.Fatalf("version 2: %s %s, ceiling %v, bbox %v (v1 %v), %q %s", v2.Action, v2.Status, v2.Spec.CeilingM, v2.BBox, v1.BBox, v2.Spec.Name, v2.Spec.Kind)
	}

	must(t, ru, "open the zone", chromedp.Navigate(s.url+"/zones/"+zoneID), chromedp.WaitVisible(chromedp.CSS("#zone-end-form")))
	must(t, ru, "propose a suspension",
		chromedp.SendKeys(chromedp.CSS("#end-note"), "Talks resume"),
		chromedp.Click(chromedp.CSS("#suspend-submit")))
	poll(t, ru, "the proposed suspension", `document.querySelector('.version[data-version="3"]') !== null`)
	if n := eval[int](t, ru, `document.querySelectorAll('#zone-propose').length`); n != 0 {
		t.Fatalf("the page offers another proposal while one is pending: %s at %s: %s", eval[string](t, ru, `document.getElementById('zone-state').dataset.state`),
			eval[string](t, ru, `location.href`), eval[string](t, ru, `document.body.innerText.slice(0, 1500)`))
	}
	approveAll("suspension")
	must(t, ru, "reopen the zone", chromedp.Navigate(s.url+"/zones/"+zoneID), chromedp.WaitVisible(chromedp.CSS("#zone-state")))
	if st := eval[string](t, ru, `document.getElementById('zone-state').dataset.state`); st != "suspended" {
		t.Fatalf("after the approved suspension the zone is %q", st)
	}
	if n := eval[int](t, ru, `document.querySelectorAll('#suspend-submit').length`); n != 0 {
		t.Fatal("a suspended zone offers suspension again")
	}
}

// shot saves a screenshot to $TRUCE_UI_SCREENSHOTS, for people to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(os.Getenv("TRUCE_UI_SCREENSHOTS"), name), png, 0o644)
}

// undofGeometry is the real UN Disengagement Observer Force area on the
// Golan, from the Natural Earth governorates embedded in the UI.
func undofGeometry(t *testing.T) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../../ui/static/data/syria-governorates.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]string `json:"properties"`
			Geometry   json.RawMessage   `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		if f.Properties["region_code"] == "SY-UNDOF" {
			return f.Geometry
		}
	}
	t.Fatal("no SY-UNDOF feature")
	return nil
}

// consoleErrors records the script errors, console.error calls and
// browser-logged errors of a tab; check fails the test with them.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
	// expected are substrings of errors the test provokes on purpose (a
	// refused request the browser logs as failed).
	expected []string
}

func watchConsole(t *testing.T, ctx context.Context, name string, expected ...string) *consoleErrors {
	t.Helper()
	c := &consoleErrors{expected: expected}
	// chromedp enables the Log domain on every target.
	if err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			msg = e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdpruntime.EventConsoleAPICalled:
			if e.Type != cdpruntime.ConsoleAPICalledTypeError {
				return
			}
			for _, a := range e.Args {
				msg += " " + string(a.Value) + a.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level != cdplog.EntryLevelError {
				return
			}
			msg = e.Entry.Text + " " + e.Entry.URL
		default:
			return
		}
		c.mu.Lock()
		for _, x := range c.expected {
			if strings.Contains(msg, x) {
				c.mu.Unlock()
				return
			}
		}
		c.msgs = append(c.msgs, name+": "+msg)
		c.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *consoleErrors) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) > 0 {
		t.Errorf("console errors: %q", c.msgs)
	}
}

// liveAlert registers an aircraft for the United States in the
// administration, flies it into the Dar'a no-fly zones through the
// positions API while the US operator watches the map, and follows the
// alert from the map's side list to its evidence and to the inbox.
func liveAlert(t *testing.T, s *uiServer, us, ru context.Context) {
	const icao = "AC0D15"
	must(t, us, "open the administration", chromedp.Navigate(s.url+"/admin"), chromedp.WaitVisible(chromedp.CSS("#aircraft-table")))
	must(t, us, "register the aircraft",
		chromedp.Click(chromedp.CSS("#add-aircraft summary")),
		chromedp.SetValue(chromedp.CSS("#aircraft-by"), "icao"),
		chromedp.SendKeys(chromedp.CSS("#aircraft-ident"), strings.ToLower(icao)),
		chromedp.Click(chromedp.CSS("#aircraft-submit")),
	)
	poll(t, us, "the registry row", `document.querySelector('#aircraft-table code') && document.querySelector('#aircraft-table code').textContent === '`+icao+`'`)
	usParty, err := s.node.Accounts.FindParty(s.actor(t, context.Background(), "us"), "us")
	if err != nil {
		t.Fatal(err)
	}

	must(t, us, "open the map", chromedp.Navigate(s.url+"/map"))
	poll(t, us, "the alert stream and list", `document.getElementById('map').dataset.alertStream === 'open' && document.getElementById('map').dataset.alertsLoaded === '1'`)
	before := eval[int](t, us, `document.querySelectorAll('#alert-list .alert-item').length`)
	eval[int](t, us, `(window.__sameDocument = 1, 0)`)

	// From Jordan north across the border into the Dar'a district (its
	// OCHA boundary crosses 36.15°E at about 32.53°N) at FL120: 26
	// positions two seconds apart ending now.
	now := time.Now().UTC()
	var body strings.Builder
	for i := 0; i < 26; i++ {
		fmt.Fprintf(&body, `{"icao":%q,"callsign":"TRC101","lat":%.5f,"lon":36.15,"alt_ft":12000,"gs_kt":450,"track_deg":0,"time":%q}`+"\n",
			icao, 32.42+float64(i)*0.0072, now.Add(time.Duration(i-25)*2*time.Second).Format(time.RFC3339Nano))
	}
	req, _ := http.NewRequest("POST", s.url+"/api/v1/positions", strings.NewReader(body.String()))
	req.Header.Set("Authorization", "Bearer "+s.creds["us"].Token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res truce.IngestResult
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || res.Accepted != 26 {
		t.Fatalf("posting positions: %d %+v", resp.StatusCode, res)
	}

	poll(t, us, "the entry alert in the side list", `document.querySelector('#alert-list .alert-item[data-kind="zone_entry"]')`)
	if n := eval[int](t, us, `document.querySelectorAll('#alert-list .alert-item').length`); n <= before {
		t.Fatalf("the side list holds %d alerts after the flight, %d before", n, before)
	}
	if eval[int](t, us, `window.__sameDocument || 0`) != 1 {
		t.Fatal("the page reloaded")
	}
	summary := eval[string](t, us, `document.querySelector('#alert-list .alert-item[data-kind="zone_entry"] .alert-summary').textContent`)
	if !strings.Contains(summary, "TRC101 entered no-fly zone") {
		t.Fatalf("entry alert summary %q", summary)
	}
	if n := eval[int](t, us, `document.querySelectorAll('.leaflet-alerts-pane path.alert-marker.alert-open').length`); n == 0 {
		t.Fatal("no open alert flashes on the map")
	}
	// The aircraft is drawn in the US colour, pointing north, near its
	// last position.
	poll(t, us, "the aircraft on the map", `Truce.aircraft['`+icao+`'] && Truce.aircraft['`+icao+`'].data.party === '`+usParty.ID+`'`)
	got := eval[[]float64](t, us, `(function(){ var x = Truce.aircraft['`+icao+`']; var ll = x.marker.getLatLng();
		return [ll.lat, ll.lng, Truce.map.hasLayer(x.marker) ? 1 : 0, x.trail.getLatLngs().length]; })()`)
	if math.Abs(got[0]-(32.42+25*0.0072)) > 1e-4 || math.Abs(got[1]-36.15) > 1e-4 || got[2] != 1 || got[3] < 2 {
		t.Fatalf("aircraft marker at %v, on the map %v, trail of %v points", got[:2], got[2], got[3])
	}
	colors := eval[[]string](t, us, `(function(){ var x = Truce.aircraft['`+icao+`'];
		var p = JSON.parse(document.getElementById('map').dataset.config).parties.filter(function (p) { return p.id === '`+usParty.ID+`'; })[0];
		var sw = document.querySelector('#map-legend li[data-party="`+usParty.ID+`"] .swatch');
		return [x.marker.options.fillColor, p.color, sw ? sw.style.backgroundColor : '', String(x.marker.options.heading)]; })()`)
	if colors[0] != colors[1] || colors[2] == "" || colors[3] != "0" {
		t.Fatalf("aircraft drawn in %s heading %s, the US colour is %s, its legend swatch %q", colors[0], colors[3], colors[1], colors[2])
	}
	if n := eval[int](t, us, `document.querySelectorAll('#legend-relocated').length`); n != 1 {
		t.Fatal("the legend has no entry for relocated replays")
	}

	// A real recorded track (readsb trace of AC671B) replayed by the CLI,
	// relocated over central Syria clear of the zones: the map marks it.
	out, errs := &syncBuffer{}, &syncBuffer{}
	oldOut, oldErr := stdout, stderr
	stdout, stderr = out, errs
	rc := run(context.Background(), []string{"replay", "../../feed/testdata/trace_full_ac671b.json.gz", "--speed", "40000",
		"--relocate", "38.9,34.9", "--url", s.url, "--token", s.creds["us"].Token})
	stdout, stderr = oldOut, oldErr
	if rc != 0 {
		t.Fatalf("replay: exit %d\n%s%s", rc, out.take(), errs.take())
	}
	poll(t, us, "the relocated replay on the map", `Truce.aircraft['AC671B'] && Truce.aircraft['AC671B'].data.relocated && Truce.aircraft['AC671B'].marker.options.relocated`)
	if tip := eval[string](t, us, `(function(){ var m = Truce.aircraft['AC671B'].marker; m.openTooltip(); var s = m.getTooltip().getElement().textContent; m.closeTooltip(); return s; })()`); !strings.Contains(tip, "relocated") {
		t.Fatalf("the replayed aircraft's label %q does not say it is relocated", tip)
	}

	if os.Getenv("TRUCE_UI_SCREENSHOTS") != "" {
		eval[int](t, us, `(Truce.map.setView([32.58, 36.15], 12, {animate: false}), 0)`)
		time.Sleep(700 * time.Millisecond) // tiles painted for the screenshot: nothing to poll
		shot(t, us, "map-aircraft.png")
	}

	// The alert's page: its evidence on a small map.
	id := eval[string](t, us, `document.querySelector('#alert-list .alert-item[data-kind="zone_entry"]').dataset.alert`)
	must(t, us, "open the alert", chromedp.Click(chromedp.CSS(`#alert-list .alert-item[data-alert="`+id+`"] a.alert-summary`)))
	poll(t, us, "the evidence map", `document.getElementById('alert-map') && document.getElementById('alert-map').dataset.drawn === '1'`)
	ev := eval[[]int](t, us, `(function(){ var d = document.getElementById('alert-map').dataset; return [+d.historyPoints, +d.triggerPoints, +d.zoneDrawn]; })()`)
	if ev[0] < 2 || ev[1] < 1 || ev[2] != 1 {
		t.Fatalf("evidence map: %d history points, %d trigger points, zone drawn %d", ev[0], ev[1], ev[2])
	}
	if href := eval[string](t, us, `document.getElementById('alert-cap').getAttribute('href')`); href != "/alerts/"+id+"/cap.xml" {
		t.Fatalf("CAP link %q", href)
	}
	capDoc := eval[string](t, us, `fetch('/alerts/`+id+`/cap.xml').then(r => r.status + ' ' + r.headers.get('Content-Type') + ' ' + r.text()).then(x => x)`)
	if !strings.HasPrefix(capDoc, "200 application/cap+xml") {
		t.Fatalf("CAP document: %.200s", capDoc)
	}

	// Acknowledged by each signatory for itself: the US operator from
	// the inbox (custodial key), Russia, which holds its own key, with the
	// command its inbox shows, signing on its machine.
	must(t, us, "open the inbox", chromedp.Navigate(s.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox-alerts")))
	sel := `.inbox-alert[data-alert="` + id + `"]`
	must(t, us, "acknowledge", chromedp.SendKeys(chromedp.CSS(sel+` input[name=note]`), "seen by the duty officer"),
		chromedp.Click(chromedp.CSS(sel+` button.ack`)))
	poll(t, us, "the inbox without the alert", `location.pathname === '/inbox' && document.getElementById('inbox-alerts') && !document.querySelector('`+sel+`')`)
	must(t, ru, "open the inbox", chromedp.Navigate(s.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox-alerts")))
	if cmd := eval[string](t, ru, `(document.querySelector('`+sel+` pre.ack-command') || {}).textContent || ''`); !strings.Contains(cmd, "truce alert ack "+id+" --key") {
		t.Fatalf("Russia's inbox offers %q, want the signing command", cmd)
	}
	stdout, stderr = out, errs
	rc = run(context.Background(), []string{"alert", "ack", id, "--key", s.keys["ru"], "--note", "Noted by Hmeimim.", "--url", s.url, "--token", s.creds["ru"].Token})
	stdout, stderr = oldOut, oldErr
	if rc != 0 {
		t.Fatalf("alert ack --key: exit %d\n%s%s", rc, out.take(), errs.take())
	}
	// The zone's agreement is signed by the United States and Russia: both
	// have acknowledged, each for itself, so the alert is acknowledged.
	a, err := s.node.Air.FindAlert(s.actor(t, context.Background(), "ru"), id)
	if err != nil || a.State != truce.AlertAcknowledged || len(a.Parties) != 2 || len(a.Awaiting()) != 0 || len(a.Acks) != 2 ||
		a.Acks[0].Note != "seen by the duty officer" || a.Acks[1].Note != "Noted by Hmeimim." {
		t.Fatalf("after both signatories acknowledged: %+v %v", a, err)
	}
	// The US map hears of it over the stream.
	must(t, us, "back to the map", chromedp.Navigate(s.url+"/map"))
	poll(t, us, "the acknowledged alert", `document.querySelector('#alert-list .alert-item[data-alert="`+id+`"][data-state="acknowledged"]')`)

	// On a phone the alert page fits the screen's width.
	must(t, us, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.url+"/alerts/"+id))
	poll(t, us, "the evidence map", `document.getElementById('alert-map').dataset.drawn === '1'`)
	if w := eval[[]int](t, us, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Fatalf("on a phone the alert page is %d px wide in a %d px window", w[0], w[1])
	}
	if os.Getenv("TRUCE_UI_SCREENSHOTS") != "" {
		shot(t, us, "alert-phone.png")
		must(t, us, "phone map", chromedp.Navigate(s.url+"/map"))
		poll(t, us, "the zones", `document.getElementById('map').dataset.zonesLoaded === '1'`)
		time.Sleep(500 * time.Millisecond) // tiles painted for the screenshot: nothing to poll
		shot(t, us, "map-phone.png")
	}
	must(t, us, "desktop width", chromedp.EmulateViewport(1280, 900))
}

// BenchmarkUI_Aircraft2000 measures the map with 2,000 live aircraft fed
// through the positions API on a grid clear of the demo's zones (10 km
// apart, so no proximity alerts): each op moves them all and waits for the
// map to redraw them; it reports the browser's time to draw one poll
// (draw-ms) and the mean and worst frame time while the map pans
// (frame-ms, worst-frame-ms).
func BenchmarkUI_Aircraft2000(b *testing.B) {
	path := findBrowser(b)
	ctx := context.Background()
	s := startUIServer(b, ctx)
	br := newBrowser(b, path)
	us := tab(b, br)
	login(b, us, s.url, s.creds["us"].Username, s.creds["us"].Password)
	poll(b, us, "the map", `window.Truce && Truce.drawAircraft && document.getElementById('map').dataset.zonesLoaded === '1'`)
	const n = 2000
	var drawMs float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := flyAircraft(b, s, n, i); err != nil {
			b.Fatal(err)
		}
		want := fmt.Sprintf("%.4f", 38.0+float64(i)*0.005)
		poll(b, us, "the moved aircraft", `document.getElementById('map').dataset.aircraftCount === '2000' && Truce.aircraft['B00000'] && Truce.aircraft['B00000'].marker.getLatLng().lng.toFixed(4) === '`+want+`'`)
		drawMs += eval[float64](b, us, `+document.getElementById('map').dataset.aircraftDrawMs`)
	}
	b.StopTimer()
	frames := eval[[]float64](b, us, `new Promise(function (done) {
		Truce.map.setView([33.5, 41], 8, {animate: false});
		var last = performance.now(), gaps = [], start = last;
		function tick(t) { gaps.push(t - last); last = t; if (t - start < 2000) { requestAnimationFrame(tick); } else { done([gaps.reduce(function (a, x) { return a + x; }, 0) / gaps.length, Math.max.apply(null, gaps)]); } }
		Truce.map.panBy([300, 0], {duration: 1}); setTimeout(function () { Truce.map.panBy([-300, 150], {duration: 1}); }, 1000);
		requestAnimationFrame(tick);
	})`)
	b.ReportMetric(drawMs/float64(b.N), "draw-ms")
	b.ReportMetric(frames[0], "frame-ms")
	b.ReportMetric(frames[1], "worst-frame-ms")
}
