package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
)

// Cookie names.
const (
	sessionCookie = "truce_session"
	preCookie     = "truce_pre" // ties the login form's CSRF token to the browser
)

// Session is a signed-in browser: the actor, the API token that backs the
// session and the CSRF token its forms must carry.
//
// A web session is an ordinary API token named "web session" that expires
// with the session, so it needs no table, secret file or migration of its
// own: it works unchanged across instances sharing one PostgreSQL, logout
// revokes it server-side (a stateless signed cookie cannot be revoked),
// disabling a user ends their sessions at once (on the other instances
// within their follow delay, accounts.CallerCache), and each login and
// logout is a journal entry like every other credential change.
type Session struct {
	Caller  *truce.Caller
	TokenID string
	// CSRF is the synchronizer token: SHA-256 of the session secret, so it
	// is bound to this session and unguessable without the HttpOnly cookie.
	CSRF string
	// Token is the session's bearer secret, for calls through the API
	// bridge; it never leaves the server again.
	Token string
}

type sessionKey struct{}

// SessionFrom returns the request's session, or nil when signed out. The
// context also carries the actor (truce.CallerFrom), so service calls made
// with it are authorised as that user.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

func csrfFor(secret string) string {
	h := sha256.Sum256([]byte("truce-ui csrf v1\n" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (u *UI) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

// session resolves the session cookie ("<token id>.<token secret>") into a
// session; nil when it is missing, expired, revoked or the user disabled.
// Only the secret counts: the session's token is the one the secret
// authenticates, whatever id the cookie names, so an edited id part can
// never make logout revoke someone else's token.
func (u *UI) session(r *http.Request) *Session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	id, secret, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" || secret == "" {
		return nil
	}
	a, err := u.svc.Auth.AuthenticateToken(r.Context(), secret)
	if err != nil || a.TokenID == "" {
		return nil
	}
	return &Session{Caller: a, TokenID: a.TokenID, CSRF: csrfFor(secret), Token: secret}
}

// withSession puts the session (and its actor) on the context, and sends a
// signed-out browser to the login page. Every POST must carry the session's
// CSRF token in the "csrf" form field or the X-CSRF-Token header.
func (u *UI) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := u.session(r)
		if s == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			u.fail(w, r, http.StatusUnauthorized, "error.signed_out")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !u.readForm(w, r) {
				return
			}
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.PostFormValue("csrf")
			}
			if !sameToken(got, s.CSRF) {
				u.fail(w, r, http.StatusForbidden, "error.csrf")
				return
			}
		}
		ctx := truce.NewContext(context.WithValue(r.Context(), sessionKey{}, s), s.Caller)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// maxFormBytes bounds the body of a form POST: the largest upload a form
// takes (maxUpload) and its other fields. A multipart form is parsed in
// memory under that bound, so nothing is spooled to disk.
const maxFormBytes = maxUpload + 1<<20

// readForm bounds a POST's body to maxFormBytes and parses it before
// anything reads it; a larger body is refused with 413 as soon as the
// bound is passed, and a malformed one with 400 (the page is sent and it
// returns false).
func (u *UI) readForm(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > maxFormBytes {
		u.fail(w, r, http.StatusRequestEntityTooLarge, "error.too_large", maxFormBytes>>20)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(maxFormBytes)
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		u.fail(w, r, http.StatusRequestEntityTooLarge, "error.too_large", maxFormBytes>>20)
	} else {
		u.log.Info("form", "path", r.URL.Path, "err", err)
		u.fail(w, r, http.StatusBadRequest, "error.bad_form")
	}
	return false
}

// sessionTTL is how long a web session lasts.
const sessionTTL = 12 * time.Hour

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		pre = c.Value
	} else {
		pre = randomString()
		u.setCookie(w, r, preCookie, pre, time.Hour)
	}
	u.render(w, r, http.StatusOK, "login", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "CSRF": csrfFor(pre)})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if !u.readForm(w, r) {
		return
	}
	c, err := r.Cookie(preCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), csrfFor(c.Value)) {
		u.fail(w, r, http.StatusForbidden, "error.csrf")
		return
	}
	ctx := truce.WithClientAddr(r.Context(), r.RemoteAddr)
	a, err := u.svc.Auth.AuthenticatePassword(ctx, strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("password"))
	if err != nil {
		status, msg := http.StatusUnauthorized, u.msg(r, "login.failed")
		switch code := truce.ErrorCode(err); code {
		case truce.ETOOMANY, truce.EUNAVAILABLE:
			// Throttled or busy: say when to come back.
			status = api.StatusOf(code)
			retry := api.RetryAfterSeconds(err)
			w.Header().Set("Retry-After", retry)
			msg = u.msg(r, "login.throttled", retry)
		case truce.EUNAUTHORIZED:
		default:
			u.serviceError(w, r, err)
			return
		}
		u.render(w, r, status, "login", map[string]any{"Next": safeNext(r.PostFormValue("next")),
			"CSRF": csrfFor(c.Value), "Error": msg, "Username": r.PostFormValue("username")})
		return
	}
	exp := time.Now().Add(sessionTTL)
	t, err := u.svc.Tokens.CreateToken(truce.NewContext(r.Context(), a), truce.TokenCreate{Name: "web session", ExpiresAt: &exp})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	u.setCookie(w, r, sessionCookie, t.ID+"."+t.Secret, sessionTTL)
	u.setCookie(w, r, preCookie, "", -1)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	s := SessionFrom(r.Context())
	if _, err := u.svc.Tokens.RevokeToken(r.Context(), s.TokenID); err != nil && truce.ErrorCode(err) != truce.ECONFLICT {
		u.log.Warn("revoking a web session", "err", err)
	}
	u.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: it returns next only
// when it is a path on this site, and "/map" otherwise. Browsers read a
// Location leniently (WHATWG URL: tabs and newlines removed, backslashes
// taken as slashes), so "/\t/evil.example" or "/\\evil.example" would
// leave the site; any control character, space or backslash, and any path
// that starts with two slashes (after decoding), is refused rather than
// cleaned.
func safeNext(next string) string {
	const fallback = "/map"
	if len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(u.Path, "\\\x00") {
		return fallback
	}
	return next
}
