package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
)

// server is a real node (SQLite under t.TempDir) with one admin and one
// guarantor operator who has a password.
type server struct {
	url  string
	node *node.Node
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := node.Config{DataDir: filepath.Join(t.TempDir(), "data"), Name: "ui test", Logger: quiet}
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "un", PartyName: "UN Coordination Office",
		PartyKind: truce.PartyCoordinator, Username: "admin", Password: "admin-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	actx := truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
	p, err := n.Accounts.CreateParty(actx, truce.PartyCreate{Slug: "us", Name: "United States of America", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: p.ID, Username: "us-operator", Roles: []truce.Role{truce.RoleOperator},
		Password: "us-password-1"}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(n.API)
	t.Cleanup(hs.Close)
	return &server{url: hs.URL, node: n}
}

func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// login signs in and returns the page's CSRF token.
func login(t *testing.T, s *server, c *http.Client, user, pass string) (*http.Response, string) {
	t.Helper()
	_, page := get(t, c, s.url+"/login")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page has no CSRF token:\n%s", page)
	}
	resp, err := c.PostForm(s.url+"/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {pass}, "next": {"/inbox"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return resp, ""
	}
	_, page = get(t, c, s.url+"/inbox")
	m = csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("inbox has no CSRF token:\n%s", page)
	}
	return resp, m[1]
}

func TestLogin(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name, user, pass string
		want             int
	}{
		{"Right", "us-operator", "us-password-1", http.StatusSeeOther},
		{"WrongPassword", "us-operator", "us-password-2", http.StatusUnauthorized},
		{"UnknownUser", "nobody", "us-password-1", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t)
			resp, _ := login(t, s, c, tt.user, tt.pass)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			var sess *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "truce_session" && ck.Value != "" {
					sess = ck
				}
			}
			if (sess != nil) != (tt.want == http.StatusSeeOther) {
				t.Fatalf("session cookie %v after status %d", sess, resp.StatusCode)
			}
			if sess != nil && (!sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode) {
				t.Fatalf("session cookie is not HttpOnly and SameSite=Strict: %+v", sess)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"Missing", url.Values{"name": {"t"}}, http.StatusForbidden},
		{"Forged", url.Values{"name": {"t"}, "csrf": {"AAAA"}}, http.StatusForbidden},
		{"Right", url.Values{"name": {"t"}, "csrf": {csrf}}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.PostForm(s.url+"/admin/tokens", tt.form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	t.Run("LoginFormWithoutToken", func(t *testing.T) {
		resp, err := client(t).PostForm(s.url+"/login", url.Values{"username": {"us-operator"}, "password": {"us-password-1"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login without its CSRF token: %d", resp.StatusCode)
		}
	})
}

func TestLogout_RevokesTheSession(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	u, _ := url.Parse(s.url)
	old := c.Jar.Cookies(u)
	resp, err := c.PostForm(s.url+"/logout", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Replaying the old cookie must not work: the token behind it is revoked.
	c2 := client(t)
	c2.Jar.SetCookies(u, old)
	r, _ := get(t, c2, s.url+"/inbox")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("old session after logout: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestLanguage(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name, accept, cookie, wantLang, wantDir string
	}{
		{"Default", "", "", "en", "ltr"},
		{"AcceptArabic", "ar-SY,ar;q=0.9,en;q=0.5", "", "ar", "rtl"},
		{"PreferEnglish", "en;q=0.9,ar;q=0.4", "", "en", "ltr"},
		{"UnsupportedFallsBack", "fr-FR,fr", "", "en", "ltr"},
		{"CookieWins", "en", "ar", "ar", "rtl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t)
			hdr := []string{"Accept-Language", tt.accept}
			if tt.cookie != "" {
				hdr = append(hdr, "Cookie", "truce_lang="+tt.cookie)
			}
			_, page := get(t, c, s.url+"/login", hdr...)
			want := `<html lang="` + tt.wantLang + `" dir="` + tt.wantDir + `">`
			if !strings.Contains(page, want) {
				t.Fatalf("page does not start with %s:\n%.300s", want, page)
			}
		})
	}
}

// Every catalogue has every English key, so a page never mixes languages,
// and every message key the templates use exists in English.
func TestCatalogues_Complete(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := os.ReadFile(filepath.Join("locales", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en := read("en.json")
	files, _ := filepath.Glob("locales/*.json")
	if len(files) < 2 {
		t.Fatalf("catalogues: %v", files)
	}
	for _, f := range files {
		m := read(filepath.Base(f))
		for k := range en {
			if m[k] == "" {
				t.Errorf("%s lacks %q", f, k)
			}
		}
	}
	keyRE := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	fs.WalkDir(os.DirFS("templates"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(filepath.Join("templates", p))
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("templates/%s uses %q, missing from en.json", p, m[1])
			}
		}
		return nil
	})
}

func TestStatic_ContentHashed(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, page := get(t, c, s.url+"/login")
	m := regexp.MustCompile(`src="(/static/app\.([0-9a-f]{12})\.js)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no hashed app.js in the page:\n%s", page)
	}
	resp, body := get(t, c, s.url+m[1])
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(body, "registerLayer") {
		t.Fatalf("hashed asset: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	resp, _ = get(t, c, s.url+"/static/app.000000000000.js")
	if resp.StatusCode != 404 {
		t.Fatalf("a wrong hash: %d, want 404", resp.StatusCode)
	}
	resp, _ = get(t, c, s.url+"/static/vendor/leaflet/images/layers.png")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("plain path (Leaflet's CSS images): %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	for _, name := range []string{"syria-outline", "syria-governorates", "syria-districts", "syria-towns"} {
		resp, body := get(t, c, s.url+"/static/data/"+name+".geojson")
		var fc struct {
			Features []json.RawMessage `json:"features"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &fc) != nil || len(fc.Features) == 0 {
			t.Fatalf("base map layer %s: %d, %d features", name, resp.StatusCode, len(fc.Features))
		}
	}
}

// The UI at / leaves the JSON API as it was.
func TestAPIStillServed(t *testing.T) {
	s := newServer(t)
	c := client(t)
	for _, tt := range []struct {
		path  string
		want  int
		ctype string
	}{
		{"/healthz", 200, "application/json"},
		{"/api/v1/me", 401, "application/problem+json"},
		{"/api/v1/no-such-route", 404, "application/problem+json"},
		{"/log/checkpoint", 200, "text/plain"},
		{"/map", 303, ""},
	} {
		resp, _ := get(t, c, s.url+tt.path)
		if resp.StatusCode != tt.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.ctype) {
			t.Errorf("%s: %d %q, want %d %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.want, tt.ctype)
		}
	}
}

// The bridge lets page scripts call the API as the signed-in user.
func TestBridge(t *testing.T) {
	s := newServer(t)
	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	resp, body := get(t, c, s.url+"/ui/api/v1/me")
	if resp.StatusCode != 200 || !strings.Contains(body, `"us-operator"`) {
		t.Fatalf("bridge /me: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, client(t), s.url+"/ui/api/v1/me")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bridge without a session: %d", resp.StatusCode)
	}
}
