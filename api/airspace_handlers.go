package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/capxml"
)

// TrackSource is the live air picture the tracks endpoint reads.
type TrackSource interface {
	Tracks(bbox *truce.BBox) []truce.Track
}

// PositionSink takes positions posted as NDJSON.
type PositionSink interface {
	// IngestNDJSON checks the caller (in ctx) may feed positions,
	// decodes one position per line of body, sent as contentType, and
	// hands the good ones to the monitor; bad lines are counted and
	// skipped.
	IngestNDJSON(ctx context.Context, contentType string, body io.Reader) (truce.IngestResult, error)
}

// Monitor bundles what the airspace monitor's routes need.
type Monitor struct {
	Alerts    truce.AlertService
	Aircraft  truce.AircraftService
	Feeds     truce.FeedService
	Tracks    TrackSource
	Positions PositionSink
	// Sender names this deployment in CAP documents (e.g. the log origin).
	Sender string
	// Exercise publishes every CAP document with status Exercise: the
	// deployment's data is illustrative (a demo, a training run).
	Exercise bool
	// ZoneGeometry returns the GeoJSON geometry of a zone as the caller
	// may see it, for the CAP area; nil leaves the zone out of the area.
	ZoneGeometry func(ctx context.Context, zoneID string) (json.RawMessage, error)
}

// RegisterMonitor mounts the airspace monitor's routes.
func RegisterMonitor(s *Server, m Monitor) {
	h := &monitorHandlers{s: s, m: m}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/alerts", Handler: h.listAlerts},
		{Method: "GET", Pattern: "/api/v1/alerts/{id}", Handler: h.getAlert},
		{Method: "POST", Pattern: "/api/v1/alerts/{id}/acknowledge", Handler: h.ackAlert},
		{Method: "POST", Pattern: "/api/v1/alerts/{id}/close", Handler: h.closeAlert},
		{Method: "GET", Pattern: "/api/v1/aircraft", Handler: h.listAircraft},
		{Method: "POST", Pattern: "/api/v1/aircraft", Handler: h.registerAircraft},
		{Method: "POST", Pattern: "/api/v1/aircraft/{id}/remove", Handler: h.removeAircraft},
		{Method: "GET", Pattern: "/api/v1/feeds", Handler: h.listFeeds},
		{Method: "POST", Pattern: "/api/v1/feeds", Handler: h.addFeed},
		{Method: "POST", Pattern: "/api/v1/feeds/{id}/remove", Handler: h.removeFeed},
		{Method: "GET", Pattern: "/api/v1/tracks", Handler: h.tracks},
		{Method: "POST", Pattern: "/api/v1/positions", Handler: h.positions},
		{Method: "GET", Pattern: "/cap/alerts.atom", Handler: h.capFeed},
		{Method: "GET", Pattern: "/cap/alerts/{file}", Handler: h.capAlert},
	} {
		s.Handle(rt)
	}
}

type monitorHandlers struct {
	s *Server
	m Monitor
}

// bboxParam reads the query's bbox (nil if none). Alerts and tracks are
// searched in boxes that do not cross the antimeridian.
func bboxParam(r *http.Request) (*truce.BBox, error) {
	v := r.URL.Query().Get("bbox")
	if v == "" {
		return nil, nil
	}
	b, err := truce.ParseBBox(v)
	if err != nil {
		return nil, err
	}
	if err := b.NotCrossing(); err != nil {
		return nil, err
	}
	return b, nil
}

func (h *monitorHandlers) alertFilter(r *http.Request) (truce.AlertFilter, error) {
	q := r.URL.Query()
	f := truce.AlertFilter{Kind: truce.AlertKind(q.Get("kind")), State: truce.AlertState(q.Get("state")), Cursor: q.Get("cursor"), Episode: q.Get("episode")}
	var err error
	switch q.Get("ongoing") {
	case "", "false":
	case "true":
		f.Ongoing = true
	default:
		return f, truce.Errorf(truce.EINVALID, "ongoing is true or false.")
	}
	if f.Limit, err = limitParam(r); err != nil {
		return f, err
	}
	if f.BBox, err = bboxParam(r); err != nil {
		return f, err
	}
	if v := q.Get("since"); v != "" {
		if f.Since, err = time.Parse(time.RFC3339, v); err != nil {
			return f, truce.Errorf(truce.EINVALID, "since is an RFC 3339 time.")
		}
	}
	return f, nil
}

func (h *monitorHandlers) listAlerts(w http.ResponseWriter, r *http.Request) {
	f, err := h.alertFilter(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	as, next, err := h.m.Alerts.ListAlerts(r.Context(), f)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*truce.Alert]{Items: nonNil(as), NextCursor: next})
}

func (h *monitorHandlers) getAlert(w http.ResponseWriter, r *http.Request) {
	a, err := h.m.Alerts.FindAlert(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

// AlertNote is the body of a closure.
type AlertNote struct {
	Note string `json:"note,omitempty"`
}

// ackAlert records the caller's party's acknowledgement: the body
// (truce.AlertAckInput, optional for a custodial party) carries its note
// and, for a party holding its own key, the signed statement.
func (h *monitorHandlers) ackAlert(w http.ResponseWriter, r *http.Request) {
	var in truce.AlertAckInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			h.s.writeError(w, r, err)
			return
		}
	}
	a, err := h.m.Alerts.AcknowledgeAlert(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *monitorHandlers) closeAlert(w http.ResponseWriter, r *http.Request) {
	var n AlertNote
	if r.ContentLength != 0 {
		if err := decode(r, &n); err != nil {
			h.s.writeError(w, r, err)
			return
		}
	}
	a, err := h.m.Alerts.CloseAlert(r.Context(), r.PathValue("id"), n.Note)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *monitorHandlers) listAircraft(w http.ResponseWriter, r *http.Request) {
	as, err := h.m.Aircraft.ListAircraft(r.Context(), r.URL.Query().Get("party"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, as, func(x *truce.Aircraft) string { return x.ID }, false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

// AircraftRegistration is the body of POST /api/v1/aircraft.
type AircraftRegistration struct {
	Party          string `json:"party,omitempty"`
	ICAO           string `json:"icao,omitempty"`
	CallsignPrefix string `json:"callsign_prefix,omitempty"`
	Note           string `json:"note,omitempty"`
}

func (h *monitorHandlers) registerAircraft(w http.ResponseWriter, r *http.Request) {
	var in AircraftRegistration
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.m.Aircraft.RegisterAircraft(r.Context(), truce.Aircraft{PartyID: in.Party, ICAO: in.ICAO, CallsignPrefix: in.CallsignPrefix, Note: in.Note})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (h *monitorHandlers) removeAircraft(w http.ResponseWriter, r *http.Request) {
	a, err := h.m.Aircraft.RemoveAircraft(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// FeedConfig is the body of POST /api/v1/feeds.
type FeedConfig struct {
	Kind string `json:"kind" required:"true"`
	Addr string `json:"addr" required:"true"`
	Name string `json:"name,omitempty"`
}

func (h *monitorHandlers) listFeeds(w http.ResponseWriter, r *http.Request) {
	fs, err := h.m.Feeds.ListFeeds(r.Context())
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, fs, func(x *truce.FeedSource) string { return x.ID }, false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (h *monitorHandlers) addFeed(w http.ResponseWriter, r *http.Request) {
	var in FeedConfig
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	f, err := h.m.Feeds.AddFeed(r.Context(), truce.FeedSource{Kind: in.Kind, Addr: in.Addr, Name: in.Name})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (h *monitorHandlers) removeFeed(w http.ResponseWriter, r *http.Request) {
	f, err := h.m.Feeds.RemoveFeed(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (h *monitorHandlers) tracks(w http.ResponseWriter, r *http.Request) {
	if _, err := truce.RequireCaller(r.Context()); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	b, err := bboxParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, h.m.Tracks.Tracks(b), func(x truce.Track) string { return x.ICAO }, false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

// batchBody is a positions batch's body: met while the batch is read, the
// body limit is the problem that says the batch was refused whole.
type batchBody struct{ io.Reader }

func (b batchBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return n, truce.Errorf(truce.ETOOLARGE, "The batch is over the body limit of %d bytes. Nothing was taken.", tooLarge.Limit)
	}
	return n, err
}

func (h *monitorHandlers) positions(w http.ResponseWriter, r *http.Request) {
	res, err := h.m.Positions.IngestNDJSON(r.Context(), r.Header.Get("Content-Type"), batchBody{r.Body})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

// CAPAlert renders a Truce alert as a CAP 1.2 alert.
func CAPAlert(a *truce.Alert, sender string) capxml.Alert { return CAPAlertIn(a, sender, nil) }

// capVersion separates an alert's id from its version in the identifiers
// of re-issued CAP documents (ID.v2, ID.v3 …).
const capVersion = ".v"

// CAPAlertIn renders a Truce alert as a CAP 1.2 alert whose area carries
// the zone's polygons (zone, GeoJSON; nil: none) as well as the circle
// at the aircraft. The first version is an Alert; a later one is re-issued
// as an Update (acknowledged, ended) or, once closed, a Cancel, with an
// identifier of its own and a reference to the first document.
func CAPAlertIn(a *truce.Alert, sender string, zone json.RawMessage) capxml.Alert {
	severity, urgency := capxml.SeveritySevere, capxml.UrgencyImmediate
	certainty := capxml.CertaintyObserved
	switch a.Kind {
	case truce.AlertPredictedEntry:
		urgency, certainty = capxml.UrgencyExpected, capxml.CertaintyLikely
	case truce.AlertZoneExit:
		severity = capxml.SeverityMinor
	case truce.AlertSquawk:
		severity = capxml.SeverityExtreme
	}
	event := map[truce.AlertKind]string{truce.AlertZoneEntry: "No-fly zone entry", truce.AlertZoneExit: "No-fly zone exit",
		truce.AlertPredictedEntry: "Predicted no-fly zone entry", truce.AlertProximity: "Aircraft proximity",
		truce.AlertSquawk: "Emergency squawk", truce.AlertTrackTableFull: "Airspace monitor refusing aircraft"}[a.Kind]
	if event == "" {
		event = string(a.Kind)
	}
	desc := a.Summary
	if a.Relocated {
		desc += " (replayed recording, relocated)"
	}
	info := capxml.Info{Categories: []capxml.Category{capxml.CategorySecurity, capxml.CategoryTransport}, Event: event,
		Urgency: urgency, Severity: severity, Certainty: certainty, Headline: a.Summary, Description: desc,
		EventCodes: []capxml.NamedValue{{Name: "truce:alert-kind", Value: string(a.Kind)}},
		Parameters: []capxml.NamedValue{{Name: "truce:journal-index", Value: strconv.FormatInt(a.JournalIndex, 10)}},
		Areas:      []capxml.Area{{Desc: "Position of the aircraft", Circles: []capxml.Circle{{Center: capxml.Point{Lat: a.Lat, Lon: a.Lon}, RadiusKm: 1}}}}}
	if ps := capPolygons(zone); len(ps) > 0 {
		info.Areas = append(info.Areas, capxml.Area{Desc: areaDesc(a), Polygons: ps})
	}
	if a.ZoneID != "" {
		info.Parameters = append(info.Parameters, capxml.NamedValue{Name: "truce:zone", Value: a.ZoneID})
	}
	status := capxml.StatusActual
	if a.Relocated {
		status = capxml.StatusExercise
	}
	if a.Relocated {
		info.Parameters = append(info.Parameters, capxml.NamedValue{Name: "truce:relocated", Value: "true"})
	}
	doc := capxml.Alert{Identifier: a.ID, Sender: sender, Sent: a.Time, Status: status, MsgType: capxml.MsgAlert,
		Scope: capxml.ScopeRestricted, Restriction: "Parties to the agreement", Info: []capxml.Info{info}}
	if a.Version > 1 {
		doc.Identifier = a.ID + capVersion + strconv.FormatInt(a.Version, 10)
		doc.MsgType, doc.Sent = capxml.MsgUpdate, lastChange(a)
		if a.State == truce.AlertClosed {
			doc.MsgType = capxml.MsgCancel
		}
		doc.References = []capxml.Reference{{Sender: sender, Identifier: a.ID, Sent: a.Time}}
	}
	return doc
}

// lastChange is the time of an alert's latest step.
func lastChange(a *truce.Alert) time.Time {
	t := a.Time
	for _, s := range a.History {
		if s.Time.After(t) {
			t = s.Time
		}
	}
	return t
}

// capPolygons are the outer rings of a GeoJSON Polygon or MultiPolygon as
// CAP polygons (lat,lon pairs; CAP has no holes); none for another
// geometry.
func capPolygons(g json.RawMessage) []capxml.Polygon {
	if len(g) == 0 {
		return nil
	}
	var geom struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if json.Unmarshal(g, &geom) != nil {
		return nil
	}
	var polys [][][][2]float64
	switch geom.Type {
	case "Polygon":
		var p [][][2]float64
		if json.Unmarshal(geom.Coordinates, &p) != nil {
			return nil
		}
		polys = append(polys, p)
	case "MultiPolygon":
		if json.Unmarshal(geom.Coordinates, &polys) != nil {
			return nil
		}
	}
	var out []capxml.Polygon
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		ring := make(capxml.Polygon, len(p[0]))
		for i, c := range p[0] {
			ring[i] = capxml.Point{Lat: c[1], Lon: c[0]}
		}
		out = append(out, ring)
	}
	return out
}

// zoneOf returns the zone geometry for an alert's CAP area, nil when it
// has none or it cannot be read (the document stands without it).
func (h *monitorHandlers) zoneOf(ctx context.Context, a *truce.Alert) json.RawMessage {
	if a.ZoneID == "" || h.m.ZoneGeometry == nil {
		return nil
	}
	g, err := h.m.ZoneGeometry(ctx, a.ZoneID)
	if err != nil {
		return nil
	}
	return g
}

func areaDesc(a *truce.Alert) string {
	if a.ZoneName != "" {
		return a.ZoneName
	}
	return "Position of the alert"
}

// capOf is an alert's CAP document as this deployment publishes it.
func (h *monitorHandlers) capOf(ctx context.Context, a *truce.Alert) capxml.Alert {
	doc := CAPAlertIn(a, h.m.Sender, h.zoneOf(ctx, a))
	if h.m.Exercise {
		doc.Status = capxml.StatusExercise
	}
	return doc
}

func (h *monitorHandlers) capAlert(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".xml")
	// A re-issued document (ID.vN) is served as the alert is now.
	id, _, _ = strings.Cut(id, capVersion)
	if !ok {
		h.s.writeError(w, r, truce.Errorf(truce.ENOTFOUND, "CAP alerts are served as /cap/alerts/{id}.xml."))
		return
	}
	a, err := h.m.Alerts.FindAlert(r.Context(), id)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := capxml.Encode(&buf, h.capOf(r.Context(), a)); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", capxml.MediaType)
	w.Write(buf.Bytes())
}

func (h *monitorHandlers) capFeed(w http.ResponseWriter, r *http.Request) {
	as, _, err := h.m.Alerts.ListAlerts(r.Context(), truce.AlertFilter{Limit: 100})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	base := "http://" + r.Host
	if r.TLS != nil {
		base = "https://" + r.Host
	}
	caps := make([]capxml.Alert, len(as))
	for i, a := range as {
		caps[i] = h.capOf(r.Context(), a)
	}
	var buf bytes.Buffer
	err = capxml.Feed(&buf, capxml.FeedInfo{ID: base + "/cap/alerts.atom", Title: "Truce alerts", Author: h.m.Sender, Self: base + "/cap/alerts.atom",
		Updated: time.Now().UTC(), AlertURL: func(a capxml.Alert) string { return base + "/cap/alerts/" + a.Identifier + ".xml" }}, caps)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml")
	w.Write(buf.Bytes())
}

var (
	_ truce.AlertService    = (*Client)(nil)
	_ truce.AircraftService = (*Client)(nil)
	_ truce.FeedService     = (*Client)(nil)
)

// RaiseAlert is not offered over HTTP: alerts come from the engines.
func (c *Client) RaiseAlert(ctx context.Context, a *truce.Alert) (*truce.Alert, error) {
	return nil, truce.Errorf(truce.EFORBIDDEN, "Alerts are raised by the server's engines.")
}

// FindAlert implements truce.AlertService.
func (c *Client) FindAlert(ctx context.Context, id string) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "GET", "/api/v1/alerts/"+url.PathEscape(id), nil, &a, nil)
	return &a, err
}

// ListAlerts implements truce.AlertService.
func (c *Client) ListAlerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, string, error) {
	bbox, since := "", ""
	if f.BBox != nil {
		bbox = fmt.Sprintf("%g,%g,%g,%g", f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3])
	}
	if !f.Since.IsZero() {
		since = f.Since.UTC().Format(time.RFC3339)
	}
	ongoing := ""
	if f.Ongoing {
		ongoing = "true"
	}
	var pg Page[*truce.Alert]
	_, err := c.Do(ctx, "GET", "/api/v1/alerts"+q("kind", string(f.Kind), "state", string(f.State), "ongoing", ongoing, "episode", f.Episode, "bbox", bbox, "since", since, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// AcknowledgeAlert implements truce.AlertService.
func (c *Client) AcknowledgeAlert(ctx context.Context, id string, in truce.AlertAckInput) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(id)+"/acknowledge", in, &a, nil)
	return &a, err
}

// CloseAlert implements truce.AlertService.
func (c *Client) CloseAlert(ctx context.Context, id, note string) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(id)+"/close", AlertNote{note}, &a, nil)
	return &a, err
}

// RegisterAircraft implements truce.AircraftService.
func (c *Client) RegisterAircraft(ctx context.Context, in truce.Aircraft) (*truce.Aircraft, error) {
	var a truce.Aircraft
	_, err := c.Do(ctx, "POST", "/api/v1/aircraft", AircraftRegistration{Party: in.PartyID, ICAO: in.ICAO, CallsignPrefix: in.CallsignPrefix, Note: in.Note}, &a, nil)
	return &a, err
}

// ListAircraft implements truce.AircraftService.
func (c *Client) ListAircraft(ctx context.Context, party string) ([]*truce.Aircraft, error) {
	var pg Page[*truce.Aircraft]
	_, err := c.Do(ctx, "GET", "/api/v1/aircraft"+q("party", party), nil, &pg, nil)
	return pg.Items, err
}

// RemoveAircraft implements truce.AircraftService.
func (c *Client) RemoveAircraft(ctx context.Context, id string) (*truce.Aircraft, error) {
	var a truce.Aircraft
	_, err := c.Do(ctx, "POST", "/api/v1/aircraft/"+url.PathEscape(id)+"/remove", nil, &a, nil)
	return &a, err
}

// AddFeed implements truce.FeedService.
func (c *Client) AddFeed(ctx context.Context, f truce.FeedSource) (*truce.FeedSource, error) {
	var out truce.FeedSource
	_, err := c.Do(ctx, "POST", "/api/v1/feeds", FeedConfig{Kind: f.Kind, Addr: f.Addr, Name: f.Name}, &out, nil)
	return &out, err
}

// ListFeeds implements truce.FeedService.
func (c *Client) ListFeeds(ctx context.Context) ([]*truce.FeedSource, error) {
	var pg Page[*truce.FeedSource]
	_, err := c.Do(ctx, "GET", "/api/v1/feeds", nil, &pg, nil)
	return pg.Items, err
}

// RemoveFeed implements truce.FeedService.
func (c *Client) RemoveFeed(ctx context.Context, id string) (*truce.FeedSource, error) {
	var out truce.FeedSource
	_, err := c.Do(ctx, "POST", "/api/v1/feeds/"+url.PathEscape(id)+"/remove", nil, &out, nil)
	return &out, err
}

// Tracks returns the live tracks, optionally within a bbox.
func (c *Client) Tracks(ctx context.Context, bbox *truce.BBox) ([]truce.Track, error) {
	b := ""
	if bbox != nil {
		b = fmt.Sprintf("%g,%g,%g,%g", bbox[0], bbox[1], bbox[2], bbox[3])
	}
	var pg Page[truce.Track]
	_, err := c.Do(ctx, "GET", "/api/v1/tracks"+q("bbox", b), nil, &pg, nil)
	return pg.Items, err
}

// PostPositions sends a batch of NDJSON lines (each a JSON object).
func (c *Client) PostPositions(ctx context.Context, lines [][]byte) (truce.IngestResult, error) {
	var res truce.IngestResult
	body := bytes.Join(lines, []byte("\n"))
	req, err := http.NewRequestWithContext(ctx, "POST", c.URL+"/api/v1/positions", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return res, truce.Errorf(truce.EUNAVAILABLE, "Cannot reach %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		return res, problemError(resp.StatusCode, data)
	}
	return res, json.Unmarshal(data, &res)
}
