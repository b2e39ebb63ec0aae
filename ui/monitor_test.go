package ui_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/node"
	"golang.org/x/mod/sumdb/note"
)

// raise records alerts as the monitor does (no actor: the system).
func raise(t *testing.T, s *server, as ...*truce.Alert) []*truce.Alert {
	t.Helper()
	var out []*truce.Alert
	for _, a := range as {
		got, err := s.node.Air.RaiseAlert(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

func actorOf(t *testing.T, s *server, user, pass string) context.Context {
	t.Helper()
	ctx := context.Background()
	a, err := s.node.Accounts.AuthenticatePassword(ctx, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return truce.NewContext(ctx, a)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// entryAlert is a no-fly zone entry with the evidence the monitor records:
// a 10 s history and the triggering pair of positions.
func entryAlert(when time.Time) *truce.Alert {
	ev := `{"reason":"","trigger":[{"time":"` + when.Add(-2*time.Second).Format(time.RFC3339) + `","lon":36.15,"lat":32.52,"alt_ft":12000},` +
		`{"time":"` + when.Format(time.RFC3339) + `","lon":36.15,"lat":32.54,"alt_ft":12000}],` +
		`"history":[{"time":"` + when.Add(-20*time.Second).Format(time.RFC3339) + `","lon":36.15,"lat":32.44},` +
		`{"time":"` + when.Add(-10*time.Second).Format(time.RFC3339) + `","lon":36.15,"lat":32.49},` +
		`{"time":"` + when.Format(time.RFC3339) + `","lon":36.15,"lat":32.54}]}`
	return &truce.Alert{Kind: truce.AlertZoneEntry, Time: when, Lon: 36.15, Lat: 32.54, Summary: "TRC101 entered no-fly zone Dar'a at 12000 ft",
		Aircraft: []truce.AlertAircraft{{ICAO: "AC0D15", Callsign: "TRC101"}}, Evidence: json.RawMessage(ev), Relocated: true}
}

var rowRE = regexp.MustCompile(`data-alert="([^"]+)" data-kind="([^"]+)" data-state="([^"]+)"`)

func TestAlerts_ListAndFilter(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	now := time.Now().UTC().Truncate(time.Second)
	us, err := s.node.Accounts.Party(context.Background(), "us")
	if err != nil {
		t.Fatal(err)
	}
	left := entryAlert(now.Add(-2 * time.Hour))
	left.End(now.Add(-100*time.Minute), "left", "") // its exit came
	as := raise(t, s, left,
		&truce.Alert{Kind: truce.AlertProximity, Time: now.Add(-time.Hour), Lon: 36.3, Lat: 33.5, Summary: "A and B within 0.8 NM and 300 ft", Parties: []string{us.ID}},
		&truce.Alert{Kind: truce.AlertSquawk, Time: now, Lon: 36.2, Lat: 32.6, Summary: "RJA1 squawks 7700"})
	if resp, _ := post(t, c, s.url+"/alerts/"+as[1].ID+"/acknowledge", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", resp.StatusCode)
	}
	since := now.Add(-90 * time.Minute).Format("2006-01-02T15:04")
	tests := []struct {
		name   string
		query  string
		status int
		want   []string // kind/state of the rows, newest first
	}{
		{"All", "", 200, []string{"emergency_squawk/open", "proximity/acknowledged", "zone_entry/open"}},
		{"Kind", "?kind=proximity", 200, []string{"proximity/acknowledged"}},
		{"State", "?state=open", 200, []string{"emergency_squawk/open", "zone_entry/open"}},
		{"Since", "?since=" + since, 200, []string{"emergency_squawk/open", "proximity/acknowledged"}},
		{"KindAndState", "?kind=zone_entry&state=acknowledged", 200, nil},
		{"Ongoing", "?ongoing=true", 200, []string{"emergency_squawk/open", "proximity/acknowledged"}},
		{"UnknownKind", "?kind=meteor", 400, nil},
		{"BadTime", "?since=yesterday", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, c, s.url+"/alerts"+tt.query)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var got []string
			for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
				got = append(got, m[2]+"/"+m[3])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAlert_DetailAcknowledgeClose(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	us, err := s.node.Accounts.Party(context.Background(), "us")
	if err != nil {
		t.Fatal(err)
	}
	al := entryAlert(time.Now().UTC())
	al.Parties = []string{us.ID}
	a := raise(t, s, al)[0]

	resp, body := get(t, c, s.url+"/alerts/"+a.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("alert page: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`data-evidence="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no evidence on the alert page")
	}
	var ev struct {
		History   []struct{ Lon, Lat float64 } `json:"history"`
		Trigger   []struct{ Lon, Lat float64 } `json:"trigger"`
		Point     [2]float64                   `json:"point"`
		Relocated bool                         `json:"relocated"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.History) != 3 || len(ev.Trigger) != 2 || ev.Point != [2]float64{36.15, 32.54} || !ev.Relocated {
		t.Fatalf("evidence %+v", ev)
	}
	if strings.Contains(body, `id="alert-close"`) || !strings.Contains(body, `id="alert-close-who"`) {
		t.Error("the alert page offers a party concerned to close the alert")
	}
	for _, want := range []string{`href="/alerts/` + a.ID + `/cap.xml"`, `href="/ledger/`, `id="alert-relocated"`, `id="alert-ack"`, `id="alert-awaiting"`} {
		if !strings.Contains(body, want) {
			t.Errorf("alert page lacks %s", want)
		}
	}
	resp, capDoc := get(t, c, s.url+"/alerts/"+a.ID+"/cap.xml")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/cap+xml") ||
		!strings.Contains(capDoc, "<identifier>"+a.ID+"</identifier>") || !strings.Contains(capDoc, "<status>Exercise</status>") {
		t.Fatalf("CAP document: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), capDoc)
	}
	if resp, _ := get(t, client(t), s.url+"/alerts/"+a.ID+"/cap.xml"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("CAP document without a session: %d", resp.StatusCode)
	}

	// The open alert waits in the inbox with its acknowledge form.
	_, inbox := get(t, c, s.url+"/inbox")
	if !strings.Contains(inbox, `class="card inbox-alert" data-alert="`+a.ID+`"`) {
		t.Fatal("the open alert is not in the inbox")
	}
	admin := client(t)
	_, adminCSRF := login(t, s, admin, "admin", "admin-password-1")
	moves := []struct {
		name   string
		c      *http.Client
		path   string
		form   url.Values
		status int
		state  truce.AlertState
		to     string
	}{
		{"WithoutCSRF", c, "/acknowledge", url.Values{"next": {"/inbox"}}, 403, truce.AlertOpen, ""},
		{"Acknowledge", c, "/acknowledge", url.Values{"csrf": {csrf}, "next": {"/inbox"}, "note": {"seen"}}, 303, truce.AlertAcknowledged, "/inbox"},
		{"AcknowledgeAgain", c, "/acknowledge", url.Values{"csrf": {csrf}}, 409, truce.AlertAcknowledged, ""},
		{"PartyConcernedCloses", c, "/close", url.Values{"csrf": {csrf}}, 403, truce.AlertAcknowledged, ""},
		{"CoordinatorCloses", admin, "/close", url.Values{"csrf": {adminCSRF}, "next": {"https://evil.example/"}, "note": {"done"}}, 303, truce.AlertClosed, "/map"},
		{"CloseAgain", admin, "/close", url.Values{"csrf": {adminCSRF}}, 409, truce.AlertClosed, ""},
	}
	for _, tt := range moves {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := post(t, tt.c, s.url+"/alerts/"+a.ID+tt.path, tt.form)
			if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.to {
				t.Fatalf("status %d to %q, want %d to %q", resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.to)
			}
			got, err := s.node.Air.FindAlert(actorOf(t, s, "us-operator", "us-password-1"), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state {
				t.Fatalf("state %s, want %s", got.State, tt.state)
			}
		})
	}
	if _, inbox := get(t, c, s.url+"/inbox"); strings.Contains(inbox, `data-alert="`+a.ID+`"`) {
		t.Fatal("the closed alert is still in the inbox")
	}
	// The page keeps both notes in the alert's history.
	_, body = get(t, c, s.url+"/alerts/"+a.ID)
	if !strings.Contains(body, `id="alert-history"`) || !strings.Contains(body, `data-action="acknowledged"`) || !strings.Contains(body, `data-action="closed"`) ||
		!strings.Contains(body, ">seen<") || !strings.Contains(body, ">done<") {
		t.Fatalf("alert page lacks the history of acknowledgement and closure:\n%s", body)
	}
}

// The map page carries the aircraft and alert layers, the parties'
// colours, and an event stream that starts at the log's head.
func TestMap_MonitorLayers(t *testing.T) {
	s := newServer(t)
	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	raise(t, s, entryAlert(time.Now().UTC()))
	_, body := get(t, c, s.url+"/map")
	m := regexp.MustCompile(`data-config="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no map config")
	}
	var cfg struct {
		Layers []struct {
			ID, Kind, Source string
		} `json:"layers"`
		Parties []struct{ ID, Name, Color string } `json:"parties"`
		Labels  map[string]string                  `json:"labels"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &cfg); err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, l := range cfg.Layers {
		sources[l.ID] = l.Kind + " " + l.Source
	}
	if sources["aircraft"] != "tracks /ui/api/v1/tracks" {
		t.Errorf("aircraft layer %q", sources["aircraft"])
	}
	if !regexp.MustCompile(`^sse /ui/api/v1/events\?kind=alert&last_event_id=[1-9]\d*$`).MatchString(sources["alerts"]) {
		t.Errorf("alerts layer %q: want the stream from the head of the log", sources["alerts"])
	}
	colors := map[string]bool{}
	for _, p := range cfg.Parties {
		colors[p.Color] = true
	}
	if len(cfg.Parties) != 2 || len(colors) != 2 {
		t.Errorf("parties %+v: want the two, in two colours", cfg.Parties)
	}
	if cfg.Labels["relocated_legend"] != "Replayed recording, relocated" || cfg.Labels["alert.zone_entry"] != "No-fly zone entry" {
		t.Errorf("labels %v", cfg.Labels)
	}
	if strings.Count(body, "/static/monitor.") != 1 || !strings.Contains(body, `id="alert-list"`) {
		t.Error("the map page loads the monitor script once and has the alert list")
	}
	// Tracks through the bridge: none yet, but the route answers.
	resp, tracks := get(t, c, s.url+"/ui/api/v1/tracks")
	if resp.StatusCode != 200 || !strings.Contains(tracks, `"items":[]`) {
		t.Fatalf("tracks: %d %s", resp.StatusCode, tracks)
	}
}

func TestAdmin_AircraftAndFeeds(t *testing.T) {
	s := newServer(t)
	admin := client(t)
	_, csrf := login(t, s, admin, "admin", "admin-password-1")
	us, err := s.node.Accounts.FindParty(actorOf(t, s, "admin", "admin-password-1"), "us")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		page   string // in the administration page afterwards
	}{
		{"RegisterICAO", "/admin/aircraft", url.Values{"party": {us.ID}, "by": {"icao"}, "ident": {"ac0d15"}}, 303, "<code>AC0D15</code>"},
		{"RegisterCallsignPrefix", "/admin/aircraft", url.Values{"party": {us.ID}, "by": {"callsign"}, "ident": {"RFF"}, "note": {"Air force"}}, 303, "<code>RFF…</code>"},
		{"RegisterTwice", "/admin/aircraft", url.Values{"party": {us.ID}, "by": {"icao"}, "ident": {"AC0D15"}}, 409, ""},
		{"BadICAO", "/admin/aircraft", url.Values{"party": {us.ID}, "by": {"icao"}, "ident": {"XYZ"}}, 400, ""},
		{"NoClaimKind", "/admin/aircraft", url.Values{"party": {us.ID}, "ident": {"AC0D16"}}, 400, ""},
		{"AddFeed", "/admin/feeds", url.Values{"addr": {"127.0.0.1:9"}, "name": {"test receiver"}}, 303, "<code>127.0.0.1:9</code>"},
		{"BadFeed", "/admin/feeds", url.Values{"addr": {"nocolon"}}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", csrf)
			resp, body := post(t, admin, s.url+tt.path, tt.form)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.page != "" {
				if _, page := get(t, admin, s.url+"/admin"); !strings.Contains(page, tt.page) {
					t.Fatalf("the administration does not show %s", tt.page)
				}
			}
		})
	}
	_, page := get(t, admin, s.url+"/admin")
	for _, m := range []struct{ what, re string }{{"aircraft", `/admin/aircraft/([^/]+)/remove`}, {"feed", `/admin/feeds/([^/]+)/remove`}} {
		ids := regexp.MustCompile(m.re).FindAllStringSubmatch(page, -1)
		if len(ids) == 0 {
			t.Fatalf("no %s to remove", m.what)
		}
		if resp, _ := post(t, admin, s.url+strings.Replace(m.re, "([^/]+)", ids[0][1], 1), url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("removing the %s: %d", m.what, resp.StatusCode)
		}
	}
	_, page = get(t, admin, s.url+"/admin")
	if strings.Contains(page, "<code>AC0D15</code>") || !strings.Contains(page, "<code>RFF…</code>") || strings.Contains(page, "<code>127.0.0.1:9</code>") {
		t.Fatal("the administration still lists what was removed")
	}
	if !strings.Contains(page, `id="no-witnesses"`) {
		t.Error("without witnesses the administration should say so")
	}
	if _, page = get(t, admin, s.url+"/ledger"); !strings.Contains(page, `id="no-cosignatures"`) || strings.Contains(page, "cosignature-row") {
		t.Error("without witnesses the ledger page should say no witness cosigns")
	}
}

// A deployment with two witnesses, one running (a real tlog-witness that
// cosigns) and one that never answers: the administration says which
// cosigned the latest checkpoint.
func TestAdmin_Witnesses(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cfg := node.Config{DataDir: filepath.Join(dir, "data"), Name: "ui witness test", Logger: quiet}
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "un", PartyName: "UN Coordination Office",
		PartyKind: truce.PartyCoordinator, Username: "admin", Password: "admin-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	logV, err := note.NewVerifier(res.LogVerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := ledger.GenerateCosignerKey(rand.Reader, "witness.test/alive")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ledger.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ledger.NewWitness(cs, []ledger.WitnessedLog{{Origin: node.LogOrigin(cfg.Name), Verifiers: []note.Verifier{logV}}}, filepath.Join(dir, "w.json"))
	if err != nil {
		t.Fatal(err)
	}
	ws := httptest.NewServer(w.Handler())
	defer ws.Close()
	_, silentKey, err := ledger.GenerateCosignerKey(rand.Reader, "witness.test/silent")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Witnesses = []node.Witness{{URL: ws.URL, Key: vkey}, {URL: "http://127.0.0.1:1", Key: silentKey}}
	cfg.WitnessQuorum = 1
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	hs := httptest.NewServer(n.API)
	defer hs.Close()
	s := &server{url: hs.URL, node: n}
	c := client(t)
	login(t, s, c, "admin", "admin-password-1")
	rows := regexp.MustCompile(`<tr class="witness-row" data-cosigned="(true|false)"><td>([^<]+)</td>`)
	var got []string
	if !testwait.Until(15*time.Second, func() bool {
		_, page := get(t, c, s.url+"/admin")
		got = got[:0]
		for _, m := range rows.FindAllStringSubmatch(page, -1) {
			got = append(got, m[2]+"="+m[1])
		}
		return strings.Join(got, " ") == "witness.test/alive=true witness.test/silent=false"
	}) {
		t.Fatalf("witness rows %v", got)
	}

	// The ledger page shows the cosignatures, in English and in Arabic:
	// the live witness's verified, with its time; the silent one's missing.
	cosigs := regexp.MustCompile(`<tr class="cosignature-row" data-verified="(true|false)"><td>([^<]+)</td><td>([^<]*)</td>\s*<td>([^<]+)</td>`)
	for lang, want := range map[string][2]string{
		"en": {"Verified with the witness&#39;s key", "Missing from this checkpoint"},
		"ar": {"تم التحقق منه بمفتاح الشاهد", "غائب عن نقطة التحقق هذه"},
	} {
		_, page := get(t, c, s.url+"/ledger", "Accept-Language", lang)
		rows := cosigs.FindAllStringSubmatch(page, -1)
		if len(rows) != 2 || rows[0][1] != "true" || rows[0][2] != "witness.test/alive" || rows[0][3] == "" || rows[0][4] != want[0] ||
			rows[1][1] != "false" || rows[1][2] != "witness.test/silent" || rows[1][3] != "" || rows[1][4] != want[1] {
			t.Errorf("%s ledger page cosignatures: %q", lang, rows)
		}
	}
	// An entry's page prints the command that checks its proof with the
	// witnesses and the quorum this server asks for.
	_, page := get(t, c, s.url+"/ledger/0")
	if want := " --witness '" + vkey + "' --witness '" + silentKey + "' --quorum 1</pre>"; !strings.Contains(html.UnescapeString(page), want) {
		t.Errorf("the verify command lacks %s:\n%s", want, page)
	}
}
