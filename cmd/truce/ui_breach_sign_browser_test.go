package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce"
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
	keyFile := s.keys["ru"]
	ruCtx := s.actor(t, ctx, "ru")
	ru := truce.CallerFrom(ruCtx).Party
	if ru.Custodial || keyFile == "" {
		t.Fatal("Russia holds no key of its own in the demo")
	}
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
	var mu sync.Mutex
	var posts []string
	if _, err := chromedp.Call(tb, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(tb, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == "POST" && strings.Contains(e.Request.URL, "/respond") {
			var body []byte
			for _, p := range e.Request.PostDataEntries {
				body = append(body, p.Bytes...)
			}
			mu.Lock()
			posts = append(posts, string(body))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
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

	mu.Lock()
	if len(posts) != 1 {
		t.Fatalf("%d response posts, want 1: %q", len(posts), posts)
	}
	posted, err := url.ParseQuery(posts[0])
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for k := range posted {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"action", "csrf", "signature"}) || strings.ReplaceAll(posted.Get("signature"), "\r\n", "\n") != cur.Response.Signature {
		t.Fatalf("the form posted %v; signature %q", fields, posted.Get("signature"))
	}
	key, _ := os.ReadFile(keyFile)
	seed := strings.SplitN(strings.TrimSpace(string(key)), "+", 5)[4]
	if strings.Contains(posts[0], "PRIVATE") || strings.Contains(posts[0], seed) || strings.Contains(posts[0], url.QueryEscape(seed)) {
		t.Fatalf("the post carries the key: %s", posts[0])
	}

	// Another breach, and the page in Arabic.
	if _, err := s.node.Control.AddControl(ruCtx, control.ControlInput{Actor: "faction", Name: "Ash-Shajara once more", Geometry: json.RawMessage(demo.RetakenVillage),
		From: time.Now().UTC().Add(-time.Hour).Truncate(time.Minute), Source: "browser test", Confidence: control.ConfidenceLow}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../ui/locales/ar.json")
	if err != nil {
		t.Fatal(err)
	}
	var ar map[string]string
	if err := json.Unmarshal(raw, &ar); err != nil {
		t.Fatal(err)
	}
	must(t, tb, "open the record in Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/guarantors/ru"), chromedp.WaitVisible(chromedp.CSS("form.breach-respond[data-sign] input.sign-key")))
	if got := eval[string](t, tb, `document.documentElement.dir + '|' + document.querySelector('form.breach-respond[data-sign] .sign-help').textContent`); got != "rtl|"+ar["sign.help"] {
		t.Fatalf("the signing help in Arabic: %q", got)
	}
}
