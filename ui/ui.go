// Package ui is Truce's web interface: server-rendered pages (html/template)
// over the same service interfaces as the JSON API, with the signed-in
// caller on every call so that authorisation stays in the services;
// a Leaflet map over an offline base map embedded in the binary (Natural
// Earth, OCHA COD-AB and GeoNames boundaries and towns); English and Arabic
// message catalogues (right-to-left for Arabic); and embedded static assets
// under content-hashed paths.
//
// Web sessions follow the design's security model: HttpOnly,
// SameSite=Strict cookies, Secure under TLS, and a synchronizer CSRF token
// (OWASP CSRF Prevention Cheat Sheet) on every form.
//
// Later capabilities extend it with AddPage (a page and its navigation
// entry), AddTemplates (their templates), AddLayer (an overlay on the map,
// such as live aircraft or alerts over Server-Sent Events) and the API
// bridge at /ui/api/, through which page scripts call the JSON API with the
// session's credentials.
//
// Each capability's pages are one file: zones.go (agreements and zones),
// alerts.go (the air picture), humanitarian.go, observation.go,
// control.go, operations.go, admin.go (accounts) and ledgerpage.go (the
// log). The rest is the kernel: the shell and its built-in pages
// (ui.go, pages.go), sessions, the map (mappage.go, draw.go), charts and
// the message catalogues.
package ui

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
)

// Services are what the pages call.
type Services struct {
	Auth       truce.Authenticator
	Parties    truce.PartyService
	Users      truce.UserService
	Tokens     truce.TokenService
	Journal    truce.JournalService
	Proofs     truce.ProofService
	Agreements truce.AgreementService
	Zones      truce.ZoneService
	// Alerts, Aircraft and Feeds are the airspace monitor's records; with
	// Alerts nil the alert pages, the aircraft and alert map layers and
	// the registry and feeds sections of the administration are left out.
	Alerts   truce.AlertService
	Aircraft truce.AircraftService
	Feeds    truce.FeedService
	// Events tells the map where the event log stands, so that its live
	// layers start their streams there rather than replaying the log;
	// nil replays it.
	Events EventLog
	// Checkpoints reads the latest signed checkpoint with its
	// cosignatures (the ledger storage); nil hides it.
	Checkpoints CheckpointReader
	// API is the JSON API, reached by page scripts through the bridge at
	// /ui/api/ with the session's token; nil disables the bridge.
	API http.Handler
}

// EventLog reports the ids of the oldest and newest logged events
// (events.Store implements it).
type EventLog interface {
	EventBounds(ctx context.Context) (first, last int64, err error)
}

// CheckpointReader reads the log's latest signed checkpoint note
// (ledger.Storage implements it).
type CheckpointReader interface {
	LatestCheckpoint(ctx context.Context) ([]byte, error)
}

// Config tunes the UI.
type Config struct {
	// TileURL is an online tile layer ("https://tile.example/{z}/{x}/{y}.png")
	// drawn under the embedded base map; empty keeps the map offline.
	TileURL string
	// TileAttribution is shown on the map with TileURL.
	TileAttribution string
	// LogVerifierKey is printed in the verify-proof command.
	LogVerifierKey string
	// Witnesses are the configured checkpoint witnesses the
	// administration lists, with whether each cosigned the latest
	// checkpoint.
	Witnesses []Witness
	// WitnessQuorum is how many witnesses must cosign, printed in the
	// verify-proof command.
	WitnessQuorum int
	Logger        *slog.Logger
}

// Witness is a configured checkpoint witness: its submission URL and its
// cosignature verifier key (C2SP signed-note form, "name+hash+key").
type Witness struct {
	URL string
	Key string
}

// Page is a page (or a group of routes) of the UI. Its routes need a
// session; their POSTs are CSRF-checked before the handler runs.
type Page struct {
	// Path is what the navigation links to; NavKey the message key of the
	// link's text ("" for no link). Order places the link (built-in pages
	// use 10, 20, … 50).
	Path   string
	NavKey string
	Order  int
	// Roles, when set, show the link only to users holding one (the
	// services still decide what they may do).
	Roles []truce.Role
	// Routes maps ServeMux patterns ("GET /alerts", "POST /alerts/{id}")
	// to handlers.
	Routes map[string]http.HandlerFunc
}

// Layer is an overlay on the map page, listed in its layer switch. The map
// script builds it with the factory registered in the browser under ID
// (Truce.registerLayer(id, function(map, layer, ctx) {...}) in Script), or,
// with no factory, from Kind: "geojson" fetches Source (adding ?at= when
// the time slider moves) and styles it like zones; "sse" opens an
// EventSource on Source and draws each event's GeoJSON "geometry".
type Layer struct {
	ID       string `json:"id"`
	TitleKey string `json:"-"`
	Title    string `json:"title"`
	Kind     string `json:"kind"`
	Source   string `json:"source,omitempty"`
	// Script is an embedded asset name ("layers/aircraft.js") or a URL
	// loaded before the map starts.
	Script  string `json:"-"`
	Visible bool   `json:"visible"`
}

// UI is the web interface, an http.Handler.
type UI struct {
	svc    Services
	cfg    Config
	csp    string // the Content-Security-Policy header, made once from cfg
	log    *slog.Logger
	assets *assets
	cat    *catalogues
	mux    *http.ServeMux

	mu     sync.RWMutex
	base   *template.Template
	pages  map[string]*template.Template
	navs   []Page
	layers []Layer

	draw    drawCache
	inForce inForce
}

//go:embed templates/*.html
var templateFS embed.FS

// New builds the UI over the services with the built-in pages: map, inbox,
// agreements and zones, ledger and administration.
func New(svc Services, cfg Config) (*UI, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	u := &UI{svc: svc, cfg: cfg, csp: contentSecurityPolicy(cfg.TileURL), log: cfg.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	var err error
	if u.assets, err = loadAssets(staticFS); err != nil {
		return nil, err
	}
	if u.cat, err = loadCatalogues(localeFS); err != nil {
		return nil, err
	}
	u.base, err = template.New("layout.html").Funcs(template.FuncMap{
		"asset":   u.assets.URL,
		"json":    toJSON,
		"time":    fmtTime,
		"timeptr": fmtTimePtr,
		"deref":   derefFloat,
	}).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	if err := u.AddTemplates(templateFS, "templates/*.html"); err != nil {
		return nil, err
	}
	u.mux.Handle("GET /static/", u.assets)
	u.mux.HandleFunc("GET /sw.js", u.serviceWorker)
	// Browsers ask for /favicon.ico of pages that name no icon (the JSON
	// API's, a file's): the same icon the pages name.
	u.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, u.assets.URL("favicon.svg"), http.StatusMovedPermanently)
	})
	u.mux.HandleFunc("GET /login", u.loginForm)
	u.mux.HandleFunc("POST /login", u.login)
	u.mux.HandleFunc("GET /lang/{code}", u.setLang)
	u.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/map", http.StatusSeeOther) })
	u.mux.Handle("POST /logout", u.withSession(http.HandlerFunc(u.logout)))
	u.mux.Handle("/ui/api/", u.withSession(http.HandlerFunc(u.bridge)))
	u.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404,"code":"not_found","detail":"No such API route."}` + "\n"))
	})
	for _, p := range u.builtinPages() {
		u.AddPage(p)
	}
	u.AddLayer(Layer{ID: "zones", TitleKey: "layer.zones", Kind: "zones", Visible: true})
	if svc.Alerts != nil {
		u.addMonitor()
	}
	return u, nil
}

// AddPage mounts a page's routes behind the session check and adds its
// navigation link.
func (u *UI) AddPage(p Page) {
	for pattern, h := range p.Routes {
		u.mux.Handle(pattern, u.withSession(h))
	}
	if p.NavKey != "" {
		u.mu.Lock()
		u.navs = append(u.navs, p)
		sort.SliceStable(u.navs, func(i, j int) bool { return u.navs[i].Order < u.navs[j].Order })
		u.mu.Unlock()
	}
}

// AddLayer adds an overlay to the map page.
func (u *UI) AddLayer(l Layer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.layers = append(u.layers, l)
}

// AddTemplates parses page templates: each file defines "title" and
// "content" blocks rendered inside the layout, and is named by its base
// name without ".html" in Render.
func (u *UI) AddTemplates(fsys fs.FS, patterns ...string) error {
	for _, pat := range patterns {
		files, err := fs.Glob(fsys, pat)
		if err != nil {
			return err
		}
		for _, f := range files {
			name := strings.TrimSuffix(f[strings.LastIndex(f, "/")+1:], ".html")
			if name == "layout" {
				continue
			}
			t, err := u.base.Clone()
			if err != nil {
				return err
			}
			if _, err := t.ParseFS(fsys, f); err != nil {
				return err
			}
			u.mu.Lock()
			u.pages[name] = t
			u.mu.Unlock()
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", u.csp)
	u.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows the page's own origin, and images from the
// online tile server when one is configured.
func contentSecurityPolicy(tileURL string) string {
	img := "'self' data:"
	if tileURL != "" {
		if tu, err := url.Parse(tileURL); err == nil && tu.Host != "" {
			img += " " + tu.Scheme + "://" + strings.ReplaceAll(tu.Host, "{s}", "*")
		}
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

// view is what every page template receives.
type view struct {
	u       *UI
	Lang    string
	Dir     string
	Langs   []langLink
	Session *Session
	Nav     []navLink
	Path    string
	Data    any
}

type langLink struct{ Code, Name string }

type navLink struct {
	Path, Title string
	Current     bool
}

// T translates a message key into the page's language.
func (v *view) T(key string, args ...any) string { return v.u.cat.translate(v.Lang, key, args...) }

// CSRF is the token every form carries.
func (v *view) CSRF() string {
	if v.Session == nil {
		return ""
	}
	return v.Session.CSRF
}

// Render writes a page template inside the layout.
func (u *UI) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	u.render(w, r, status, name, data)
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	u.mu.RLock()
	t := u.pages[name]
	navs := u.navs
	u.mu.RUnlock()
	if t == nil {
		u.log.Error("no such page template", "name", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	v := &view{u: u, Lang: u.cat.choose(r), Session: SessionFrom(r.Context()), Path: r.URL.Path, Data: data}
	v.Dir = u.cat.dir(v.Lang)
	for _, code := range u.cat.order {
		v.Langs = append(v.Langs, langLink{code, u.cat.translate(code, "_name")})
	}
	if v.Session != nil {
		for _, p := range navs {
			if len(p.Roles) > 0 && v.Session.Caller.Require(p.Roles...) != nil {
				continue
			}
			v.Nav = append(v.Nav, navLink{p.Path, v.T(p.NavKey), strings.HasPrefix(r.URL.Path, p.Path)})
		}
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.log.Error("rendering a page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

func (u *UI) msg(r *http.Request, key string, args ...any) string {
	return u.cat.translate(u.cat.choose(r), key, args...)
}

// fail renders an error page with a translated message.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	u.render(w, r, status, "error", map[string]any{"Status": status, "Message": u.msg(r, key, args...)})
}

// serviceError renders a service error: its message for people (services'
// messages are English; internal errors show only "Internal error.").
func (u *UI) serviceError(w http.ResponseWriter, r *http.Request, err error) {
	status := api.StatusOf(truce.ErrorCode(err))
	if status == http.StatusInternalServerError {
		u.log.Error("page", "path", r.URL.Path, "err", err)
	}
	u.render(w, r, status, "error", map[string]any{"Status": status, "Message": truce.ErrorMessage(err)})
}

func (u *UI) setLang(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := u.cat.langs[code]; !ok {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, HttpOnly: true})
	next := r.URL.Query().Get("next")
	if next == "" {
		next = "/map"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// bridge forwards /ui/api/… to the JSON API as the session's user, so page
// scripts (live layers, the SSE stream) need no token of their own. Writes
// through it were CSRF-checked by withSession.
func (u *UI) bridge(w http.ResponseWriter, r *http.Request) {
	if u.svc.API == nil {
		http.NotFound(w, r)
		return
	}
	s := SessionFrom(r.Context())
	r2 := r.Clone(r.Context())
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/ui")
	r2.URL.RawPath = ""
	r2.RequestURI = r2.URL.RequestURI()
	r2.Header.Set("Authorization", "Bearer "+s.Token)
	r2.Header.Del("Cookie")
	u.svc.API.ServeHTTP(w, r2)
}

// toJSON is for data- attributes, where the template escapes it as text.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func derefFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
