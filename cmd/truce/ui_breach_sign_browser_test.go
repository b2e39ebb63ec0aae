package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/demo"
)

// TestUI_BrowserSignsBreachResponse: Russia, which holds its own key,
// answers a new breach of its guarantee on its guarantor page by loading
// its key file; WebCrypto signs the response statement, completed in the
// page with the action typed (of several lines: bound by its SHA-256, as
// the server reads it after the form's CR LF). The post carries the
// signature and nothing of the key; the response verifies with Russia's
// registered key. A missing key is refused in the page before anything
// is posted, and the form speaks Arabic too. Before, the page offered a
// party holding its own key only the command line.
func TestUI_BrowserSignsBreachResponse(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	ruCtx, ru, keyFile := ownKeyParty(t, s, "ru")
	// The faction takes the village again: a breach Russia owes an
	// answer to.
	rec, err := s.node.Control.AddControl(ruCtx, control.ControlInput{Actor: "faction", Name: "Ash-Shajara again", Geometry: json.RawMessage(demo.RetakenVillage),
		From: time.Now().UTC().Add(-time.Hour).Truncate(time.Minute), Source: "browser test", Confidence: control.ConfidenceLow})
	if err != nil || len(rec.Breaches) != 1 {
		t.Fatalf("the re-taking: %+v %v", rec, err)
	}
	b := rec.Breaches[0]

	tb := newBrowser(t, path)
	defer watchConsole(t, tb, "ru").check(t)
	posts := recordPosts(t, tb, "/respond")
	login(t, tb, s.url, s.creds["ru"].Username, s.creds["ru"].Password)
	must(t, tb, "the map after logging in", chromedp.WaitVisible(chromedp.CSS("#who")))
	form := `#breach-` + b.ID + ` form.breach-respond[data-sign]`
	must(t, tb, "open Russia's record", chromedp.Navigate(s.url+"/guarantors/ru"), chromedp.WaitVisible(chromedp.CSS(form+" input.sign-key")))
	if n := eval[int](t, tb, `document.querySelectorAll('form.breach-respond input[type=file][name]').length`); n != 0 {
		t.Fatal("the key file input has a name: the form would post it")
	}
	action := "Military police sent to Ash-Shajara.\nThe faction was told to withdraw by 18:00."
	must(t, tb, "type the action", chromedp.SendKeys(chromedp.CSS(form+" textarea[name=action]"), action))
	must(t, tb, "answer without a key", chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
	poll(t, tb, "the missing-key message", `(function(){var e=document.querySelector('`+form+` .sign-error');return !e.hidden && e.textContent===e.dataset.msgNokey})()`)
	if cur, err := s.node.Control.Breach(ruCtx, b.ID); err != nil || cur.Response != nil {
		t.Fatalf("after a refused attempt: %+v %v", cur, err)
	}

	must(t, tb, "load Russia's key", chromedp.SetUploadFiles(chromedp.CSS(form+" input.sign-key"), []string{keyFile}))
	poll(t, tb, "the message cleared", `document.querySelector('`+form+` .sign-error').hidden`)
	must(t, tb, "answer with Russia's key", chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
	poll(t, tb, "the answer on the page", `(function(){var r=document.querySelector('#breach-`+b.ID+`');return r && r.dataset.status==='answered'})()`)
	cur, err := s.node.Control.Breach(ruCtx, b.ID)
	if err != nil || cur.Response == nil {
		t.Fatalf("the breach after the answer: %+v %v", cur, err)
	}
	wantAction := strings.ReplaceAll(action, "\n", "\r\n")
	if cur.Response.Action != wantAction || cur.Response.PartyID != ru.ID {
		t.Fatalf("the response %+v, want the action %q by Russia", cur.Response, wantAction)
	}
	if err := control.VerifyResponse(control.ResponseStatement(cur, cur.Response.Action), cur.Response.Signature, ru.PublicKey); err != nil {
		t.Fatalf("the response's signature: %v", err)
	}
	if !strings.Contains(cur.Response.Signature, "\naction-sha256 ") {
		t.Fatalf("a response of two lines is not bound by its digest: %q", cur.Response.Signature)
	}

	checkSignedPost(t, posts(), []string{"action", "csrf", "signature"}, cur.Response.Signature, keyFile)

	// Another breach, and the page in Arabic.
	if _, err := s.node.Control.AddControl(ruCtx, control.ControlInput{Actor: "faction", Name: "Ash-Shajara once more", Geometry: json.RawMessage(demo.RetakenVillage),
		From: time.Now().UTC().Add(-time.Hour).Truncate(time.Minute), Source: "browser test", Confidence: control.ConfidenceLow}); err != nil {
		t.Fatal(err)
	}
	ar := arabic(t)
	must(t, tb, "open the record in Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/guarantors/ru"), chromedp.WaitVisible(chromedp.CSS("form.breach-respond[data-sign] input.sign-key")))
	if got := eval[string](t, tb, `document.documentElement.dir + '|' + document.querySelector('form.breach-respond[data-sign] .sign-help').textContent`); got != "rtl|"+ar["sign.help"] {
		t.Fatalf("the signing help in Arabic: %q", got)
	}
}
