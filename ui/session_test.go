package ui_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestLogout_RevokesThePresentedToken: logout revokes the token that the
// cookie's secret authenticates, never the one its id part names, so a
// cookie carrying a victim's token id and the attacker's own secret cannot
// end the victim's session.
func TestLogout_RevokesThePresentedToken(t *testing.T) {
	s := newServer(t)
	u, _ := url.Parse(s.url)
	victim := client(t)
	login(t, s, victim, "us-operator", "us-password-1")
	// The attacker may revoke tokens (an administrator), so only the
	// cookie's id part decides whose session ends.
	attacker := client(t)
	_, csrf := login(t, s, attacker, "admin", "admin-password-1")
	vid := sessionParts(t, victim, u)[0]
	asecret := sessionParts(t, attacker, u)[1]
	attacker.Jar.SetCookies(u, []*http.Cookie{{Name: "truce_session", Value: vid + "." + asecret, Path: "/"}})
	resp, err := attacker.PostForm(s.url+"/logout", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if r, _ := get(t, victim, s.url+"/inbox"); r.StatusCode != http.StatusOK {
		t.Fatalf("the victim's session after the forged logout: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	// The attacker's own token (the one the secret authenticates) is the
	// one revoked.
	attacker.Jar.SetCookies(u, []*http.Cookie{{Name: "truce_session", Value: sessionParts(t, victim, u)[0] + "." + asecret, Path: "/"}})
	if r, _ := get(t, attacker, s.url+"/inbox"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the attacker's secret still signs in after its logout: %d", r.StatusCode)
	}
}

func sessionParts(t *testing.T, c *http.Client, u *url.URL) []string {
	t.Helper()
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "truce_session" {
			if p := strings.SplitN(ck.Value, ".", 2); len(p) == 2 {
				return p
			}
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// TestLogin_NextStaysOnSite: the page a login redirects to is a path on
// this site, whatever the next parameter holds. Each Location is resolved
// the way a browser does (WHATWG URL: tabs and newlines removed, leading
// C0 controls and spaces trimmed, backslashes read as slashes).
func TestLogin_NextStaysOnSite(t *testing.T) {
	s := newServer(t)
	nasty := []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", " //evil.example",
		"//evil.example", "///evil.example", "/\\evil.example", "\\/evil.example", "\\\\evil.example",
		"/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example", "%2F%2Fevil.example",
		"https://evil.example/", "http:evil.example", "HTTPS://evil.example", "javascript:alert(1)",
		"data:text/html,hi", "//evil.example@truce.example", "/\x00/evil.example", "\x01//evil.example",
		"/.//evil.example", "/..//evil.example", "evil.example", "",
	}
	base, _ := url.Parse("https://truce.example/login")
	for _, next := range nasty {
		t.Run(strings.ToValidUTF8(url.QueryEscape(next), "?"), func(t *testing.T) {
			loc := loginTo(t, s, next)
			got, err := browserResolve(base, loc)
			if err != nil {
				return // a browser would not follow it
			}
			if got.Host != "truce.example" || got.Scheme != "https" {
				t.Fatalf("next=%q redirects to %q, which a browser reads as %s", next, loc, got)
			}
		})
	}
	for _, next := range []string{"/inbox", "/zones?agreement=a1&x=%2F", "/map#layer"} {
		if loc := loginTo(t, s, next); loc != next {
			t.Errorf("next=%q: redirected to %q", next, loc)
		}
	}
}

var loginSources atomic.Int32

// loginTo signs in with next and returns the redirect's Location. Each
// sign-in comes from an address of its own, so that the many of a table
// stay within the limit per source.
func loginTo(t *testing.T, s *server, next string) string {
	t.Helper()
	n := loginSources.Add(1)
	c := clientFrom(t, fmt.Sprintf("127.0.%d.%d", 1+n/250, 1+n%250))
	_, page := get(t, c, s.url+"/login?next="+url.QueryEscape(next))
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page has no CSRF token")
	}
	form := url.Values{"csrf": {m[1]}, "username": {"us-operator"}, "password": {"us-password-1"}, "next": {next}}
	req, _ := http.NewRequest("POST", s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(s.url)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	// The transport, not the client: the client refuses to parse some of
	// the Locations a browser would follow.
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func browserResolve(base *url.URL, loc string) (*url.URL, error) {
	loc = strings.TrimLeft(loc, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// clientFrom is a client whose connections come from a loopback address
// of its own, so the server sees a different source.
func clientFrom(t *testing.T, ip string) *http.Client {
	c := client(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}

// TestLogin_Throttled: repeated failed sign-ins for one user from one
// address get 429 with Retry-After on the login page; the right password
// from another address still signs in.
func TestLogin_Throttled(t *testing.T) {
	s := newServer(t)
	attacker := clientFrom(t, "127.0.0.3")
	var last *http.Response
	for i := range 12 {
		resp, _ := login(t, s, attacker, "us-operator", fmt.Sprintf("guess-%d", i))
		last = resp
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("12 failed sign-ins in a row: last answered %d, want 429", last.StatusCode)
	}
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("429 without a usable Retry-After: %q", last.Header.Get("Retry-After"))
	}
	if resp, _ := login(t, s, clientFrom(t, "127.0.0.4"), "us-operator", "us-password-1"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right password from another address: %d", resp.StatusCode)
	}
}
