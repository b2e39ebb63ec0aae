package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
	"github.com/truce-project/truce/zones"
)

// TestUI_BrowserSignsDecision: Russia, which holds its own key, approves
// the demo's pending corridor on the zone page by loading its key file;
// WebCrypto signs the statement in the page. The form's post carries the
// signature and nothing of the key; the decision verifies with Russia's
// registered key; a missing key file or another key is refused in the
// page before anything is posted; the page speaks Arabic too.
func TestUI_BrowserSignsDecision(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	ruCtx, ru, keyFile := ownKeyParty(t, s, "ru")
	if _, err := s.node.Store.Accounts().PartyKey(ctx, ru.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("the server's store holds a key for Russia: %v", err)
	}
	zs, _, err := s.node.Zones.ListZones(ruCtx, truce.ZoneFilter{Pending: true})
	if err != nil || len(zs) != 1 {
		t.Fatalf("pending zones %v %v", zs, err)
	}
	zoneID := zs[0].ID

	tb := newBrowser(t, path)
	// A foreground page (the browser's first), so that its timers and
	// file reads are not throttled as a background tab's are.
	defer watchConsole(t, tb, "ru").check(t)
	posts := recordPosts(t, tb, "/decision")
	login(t, tb, s.url, s.creds["ru"].Username, s.creds["ru"].Password)
	must(t, tb, "the map after logging in", chromedp.WaitVisible(chromedp.CSS("#who")))
	must(t, tb, "open the corridor", chromedp.Navigate(s.url+"/zones/"+zoneID), chromedp.WaitVisible(chromedp.CSS("form.decide[data-sign] input.sign-key")))
	if n := eval[int](t, tb, `document.querySelectorAll('form.decide input[type=file][name]').length`); n != 0 {
		t.Fatal("the key file input has a name: the form would post it")
	}
	if enc := eval[string](t, tb, `document.querySelector('form.decide').enctype`); enc != "application/x-www-form-urlencoded" {
		t.Fatalf("the decision form is %s", enc)
	}
	decisions := func() int {
		vs, err := s.node.Zones.ZoneHistory(ruCtx, zoneID)
		if err != nil {
			t.Fatal(err)
		}
		return len(vs[0].Decisions)
	}
	before := decisions()

	// No key loaded, then another key of the same name: the page says so
	// and posts nothing.
	must(t, tb, "approve without a key", chromedp.Click(chromedp.CSS("form.decide button.approve")))
	poll(t, tb, "the missing-key message", `(function(){var e=document.querySelector('.sign-error');return !e.hidden && e.textContent===e.dataset.msgNokey})()`)
	otherKey := filepath.Join(t.TempDir(), "other.key")
	// A key whose base64 holds a '+', which the page must not take for
	// a field separator (it would then call the file no key at all).
	var skey, vkey string
	for strings.Count(skey, "+") < 5 {
		if skey, vkey, err = partykey.Generate("ru"); err != nil {
			t.Fatal(err)
		}
	}
	if err := partykey.Write(otherKey, skey, vkey); err != nil {
		t.Fatal(err)
	}
	must(t, tb, "load another key", chromedp.SetUploadFiles(chromedp.CSS("input.sign-key"), []string{otherKey}))
	poll(t, tb, "the message cleared", `document.querySelector('.sign-error').hidden`)
	must(t, tb, "approve with another key", chromedp.Click(chromedp.CSS("form.decide button.approve")))
	poll(t, tb, "the other-key message", `(function(){var e=document.querySelector('.sign-error');return !e.hidden && e.textContent===e.dataset.msgOtherkey})()`)
	if n := decisions(); n != before {
		t.Fatalf("%d decisions after refused attempts, want %d", n, before)
	}

	// Russia's own key: the page signs and posts the signature.
	must(t, tb, "load Russia's key", chromedp.SetUploadFiles(chromedp.CSS("input.sign-key"), []string{keyFile}))
	poll(t, tb, "the message cleared", `document.querySelector('.sign-error').hidden`)
	must(t, tb, "approve with Russia's key", chromedp.SendKeys(chromedp.CSS("form.decide input[name=reason]"), "signed in the browser"),
		chromedp.Click(chromedp.CSS("form.decide button.approve")))
	poll(t, tb, "Russia's decision on the page", `document.querySelectorAll('.version[data-version="1"] tr.decision').length === `+itoa(before+1))
	vs, err := s.node.Zones.ZoneHistory(ruCtx, zoneID)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(vs[0].Decisions, func(d truce.Decision) bool { return d.PartyID == ru.ID })
	if i < 0 {
		t.Fatal("no decision of Russia's")
	}
	d := vs[0].Decisions[i]
	if err := zones.VerifyDecision(vs[0], d, ru.PublicKey); err != nil || !d.Approve || d.Reason != "signed in the browser" {
		t.Fatalf("Russia's decision %+v: %v", d, err)
	}

	checkSignedPost(t, posts(), []string{"csrf", "decision", "reason", "signature"}, d.Signature, keyFile)
}

// TestUI_BrowserSignsDecision_Arabic: the signing form speaks Arabic.
func TestUI_BrowserSignsDecision_Arabic(t *testing.T) {
	path := findBrowser(t)
	s := startUIServer(t, context.Background())
	tb := newBrowser(t, path)
	login(t, tb, s.url, s.creds["ru"].Username, s.creds["ru"].Password)
	must(t, tb, "the map after logging in", chromedp.WaitVisible(chromedp.CSS("#who")))
	must(t, tb, "open the inbox in Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox")))
	ar := arabic(t)
	if got := eval[string](t, tb, `document.documentElement.dir + '|' + document.querySelector('.inbox-item .sign-help').textContent`); got != "rtl|"+ar["sign.help"] {
		t.Fatalf("the inbox's signing help in Arabic: %q", got)
	}
	must(t, tb, "approve without a key", chromedp.Click(chromedp.CSS(".inbox-item button.approve")))
	poll(t, tb, "the missing-key message in Arabic", `document.querySelector('.inbox-item .sign-error').textContent === `+jsString(ar["sign.nokey"]))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ownKeyParty is the demo party slug, which holds its own key: an
// operator's context, the party and its key file.
func ownKeyParty(t *testing.T, s *uiServer, slug string) (context.Context, *truce.Party, string) {
	t.Helper()
	ctx := s.actor(t, context.Background(), slug)
	p := truce.CallerFrom(ctx).Party
	if p.Custodial || s.keys[slug] == "" {
		t.Fatalf("%s holds no key of its own in the demo", slug)
	}
	return ctx, p, s.keys[slug]
}

// recordPosts records the body of every POST the page tb makes to a URL
// holding path, as the browser sends it; the function returned gives
// those recorded so far.
func recordPosts(t *testing.T, tb context.Context, path string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var posts []string
	if _, err := chromedp.Call(tb, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(tb, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == "POST" && strings.Contains(e.Request.URL, path) {
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
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(posts)
	}
}

// checkSignedPost: a page signing with the key in keyFile posted one
// form, of exactly the fields wanted, whose signature (its CR LF read as
// LF) is the one recorded, and nothing of the key.
func checkSignedPost(t *testing.T, posts []string, fields []string, signature, keyFile string) {
	t.Helper()
	if len(posts) != 1 {
		t.Fatalf("%d signed posts, want 1: %q", len(posts), posts)
	}
	form, err := url.ParseQuery(posts[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range form {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, fields) || strings.ReplaceAll(form.Get("signature"), "\r\n", "\n") != signature {
		t.Fatalf("the form posted %v; signature %q", got, form.Get("signature"))
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// PRIVATE+KEY+name+hash+base64: the base64 may hold '+' itself.
	seed := strings.SplitN(strings.TrimSpace(string(key)), "+", 5)[4]
	if strings.Contains(posts[0], "PRIVATE") || strings.Contains(posts[0], seed) || strings.Contains(posts[0], url.QueryEscape(seed)) {
		t.Fatalf("the post carries the key: %s", posts[0])
	}
}

// arabic is the UI's Arabic strings.
func arabic(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../ui/locales/ar.json")
	if err != nil {
		t.Fatal(err)
	}
	var ar map[string]string
	if err := json.Unmarshal(raw, &ar); err != nil {
		t.Fatal(err)
	}
	return ar
}
