package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// SiteImport is the body of POST /api/v1/sites/import: a CSV (with or
// without an HXL hashtag row), GeoJSON or KML file of sites, as text.
type SiteImport struct {
	AgreementID string `json:"agreement_id" required:"true"`
	Format      string `json:"format" required:"true"`
	Data        string `json:"data" required:"true"`
}

// AnswerResult is what an answer to a transmission returns: the
// transmission, and the reminder that an acknowledgement records receipt,
// never permission.
type AnswerResult struct {
	Transmission *humanitarian.Transmission `json:"transmission"`
	Note         string                     `json:"note"`
}

// BatchAcknowledgement is the body of POST
// /api/v1/transmissions/acknowledge: transmissions to the caller's
// custodial party, acknowledged together, all or none.
type BatchAcknowledgement struct {
	IDs []string `json:"ids" required:"true"`
}

// BatchResult is what a batch acknowledgement returns.
type BatchResult struct {
	Items []*humanitarian.Transmission `json:"items"`
	Note  string                       `json:"note"`
}

// RelayResult is what the coordinator's relay of a transmission returns:
// the transmissions it made, one to each other party.
type RelayResult struct {
	Items []*humanitarian.Transmission `json:"items"`
}

// Statement is the text a party holding its own key signs.
type Statement struct {
	Statement string `json:"statement"`
}

// RegisterSites mounts humanitarian notification's routes: sites and
// movements, their versions and boards, the party inbox and the answers.
func RegisterSites(s *Server, svc *humanitarian.Service) {
	h := &siteHandlers{s: s, svc: svc}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/sites", Handler: h.list},
		{Method: "POST", Pattern: "/api/v1/sites", Handler: h.notify},
		{Method: "POST", Pattern: "/api/v1/sites/import", Handler: h.importSites},
		{Method: "GET", Pattern: "/api/v1/sites/{id}", Handler: h.get},
		{Method: "GET", Pattern: "/api/v1/sites/{id}/versions", Handler: h.versions},
		{Method: "POST", Pattern: "/api/v1/sites/{id}/versions", Handler: h.update},
		{Method: "POST", Pattern: "/api/v1/sites/{id}/close", Handler: h.close},
		{Method: "GET", Pattern: "/api/v1/sites/{id}/board", Handler: h.board},
		{Method: "GET", Pattern: "/api/v1/inbox", Handler: h.inbox},
		{Method: "GET", Pattern: "/api/v1/transmissions/{id}", Handler: h.transmission},
		{Method: "POST", Pattern: "/api/v1/transmissions/{id}/statement", Handler: h.statement},
		{Method: "POST", Pattern: "/api/v1/transmissions/{id}/answer", Handler: h.answer},
		{Method: "POST", Pattern: "/api/v1/transmissions/acknowledge", Handler: h.acknowledgeAll},
		{Method: "POST", Pattern: "/api/v1/transmissions/{id}/relay", Handler: h.relay},
		{Method: "GET", Pattern: "/api/v1/movements", Handler: h.listMovements},
		{Method: "POST", Pattern: "/api/v1/movements", Handler: h.createMovement},
		{Method: "GET", Pattern: "/api/v1/movements/{id}", Handler: h.getMovement},
		{Method: "GET", Pattern: "/api/v1/movements/{id}/versions", Handler: h.movementVersions},
		{Method: "POST", Pattern: "/api/v1/movements/{id}/status", Handler: h.moveMovement},
		{Method: "GET", Pattern: "/api/v1/movements/{id}/board", Handler: h.movementBoard},
		{Method: "GET", Pattern: "/api/v1/transmissions/{id}/notices", Handler: h.notices},
		{Method: "POST", Pattern: "/api/v1/movements/{id}/positions", Handler: h.position},
		{Method: "GET", Pattern: "/api/v1/movements/{id}/position", Handler: h.lastPosition},
		{Method: "POST", Pattern: "/api/v1/convoys/osmand", Handler: h.osmand},
		{Method: "GET", Pattern: "/api/v1/movements/{id}/devices", Handler: h.devices},
		{Method: "POST", Pattern: "/api/v1/movements/{id}/devices", Handler: h.issueDevice},
		{Method: "POST", Pattern: "/api/v1/movements/{id}/devices/{device}/revoke", Handler: h.revokeDevice},
		// A tracker (OsmAnd's online tracking, a Traccar unit) sends no
		// header: its device token, in the query, is its credential.
		{Method: "GET", Pattern: "/api/v1/convoys/tracker", Public: true, Handler: h.tracker},
		{Method: "POST", Pattern: "/api/v1/convoys/tracker", Public: true, Handler: h.tracker},
	} {
		s.Handle(rt)
	}
}

type siteHandlers struct {
	s   *Server
	svc *humanitarian.Service
}

func (h *siteHandlers) list(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	bbox, err := bboxParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	ss, next, err := h.svc.ListSites(r.Context(), humanitarian.SiteFilter{Agreement: q.Get("agreement"), Party: q.Get("party"), BBox: bbox, Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.Site]{Items: nonNil(ss), NextCursor: next})
}

func (h *siteHandlers) created(w http.ResponseWriter, s *humanitarian.Site) {
	w.Header().Set("Location", "/api/v1/sites/"+s.ID)
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, http.StatusCreated, s)
}

func (h *siteHandlers) notify(w http.ResponseWriter, r *http.Request) {
	var c humanitarian.SiteCreate
	if err := decode(r, &c); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	s, err := h.svc.NotifySite(r.Context(), c)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	h.created(w, s)
}

func (h *siteHandlers) importSites(w http.ResponseWriter, r *http.Request) {
	var in SiteImport
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	ss, err := h.svc.Import(r.Context(), in.AgreementID, in.Format, []byte(in.Data))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Page[*humanitarian.Site]{Items: ss})
}

func (h *siteHandlers) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.svc.FindSite(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(s.Version))
	writeJSON(w, http.StatusOK, s)
}

func (h *siteHandlers) versions(w http.ResponseWriter, r *http.Request) {
	vs, err := h.svc.SiteVersions(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.Site]{Items: vs})
}

func (h *siteHandlers) update(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var u humanitarian.SiteUpdate
	if err := decode(r, &u); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	s, err := h.svc.UpdateSite(r.Context(), r.PathValue("id"), v, u)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	h.created(w, s)
}

func (h *siteHandlers) close(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	s, err := h.svc.CloseSite(r.Context(), r.PathValue("id"), v)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	h.created(w, s)
}

// versionQuery reads ?version= (0 when absent).
func versionQuery(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("version")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, truce.Errorf(truce.EINVALID, "version is a positive integer.")
	}
	return n, nil
}

func (h *siteHandlers) board(w http.ResponseWriter, r *http.Request) {
	v, err := versionQuery(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	b, err := h.svc.Board(r.Context(), r.PathValue("id"), v)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (h *siteHandlers) inbox(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	ts, next, err := h.svc.Inbox(r.Context(), q.Get("party"), q.Get("cursor"), lim)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.Transmission]{Items: nonNil(ts), NextCursor: next})
}

func (h *siteHandlers) transmission(w http.ResponseWriter, r *http.Request) {
	t, err := h.svc.Transmission(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (h *siteHandlers) statement(w http.ResponseWriter, r *http.Request) {
	var in humanitarian.AnswerInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	st, err := h.svc.AnswerStatement(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Statement{st})
}

func (h *siteHandlers) answer(w http.ResponseWriter, r *http.Request) {
	var in humanitarian.AnswerInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	t, err := h.svc.Answer(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, AnswerResult{t, humanitarian.ReceiptNotPermission})
}

func (h *siteHandlers) acknowledgeAll(w http.ResponseWriter, r *http.Request) {
	var in BatchAcknowledgement
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	ts, err := h.svc.AcknowledgeAll(r.Context(), in.IDs)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BatchResult{ts, humanitarian.ReceiptNotPermission})
}

// AcknowledgeAll acknowledges transmissions to the caller's custodial
// party together, all or none.
func (c *Client) AcknowledgeAll(ctx context.Context, ids []string) (*BatchResult, error) {
	var res BatchResult
	_, err := c.Do(ctx, "POST", "/api/v1/transmissions/acknowledge", BatchAcknowledgement{ids}, &res, nil)
	return &res, err
}

func (h *siteHandlers) relay(w http.ResponseWriter, r *http.Request) {
	ts, err := h.svc.Relay(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, RelayResult{ts})
}

// Relay relays a transmission to the coordinator, under an agreement in
// relay mode, to every other party the agreement names.
func (c *Client) Relay(ctx context.Context, id string) (*RelayResult, error) {
	var res RelayResult
	_, err := c.Do(ctx, "POST", "/api/v1/transmissions/"+url.PathEscape(id)+"/relay", nil, &res, nil)
	return &res, err
}

func (h *siteHandlers) listMovements(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	ms, next, err := h.svc.ListMovements(r.Context(), humanitarian.MovementFilter{Agreement: q.Get("agreement"),
		Status: humanitarian.MovementStatus(q.Get("status")), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.Movement]{Items: nonNil(ms), NextCursor: next})
}

func (h *siteHandlers) movementCreated(w http.ResponseWriter, m *humanitarian.Movement) {
	w.Header().Set("Location", "/api/v1/movements/"+m.ID)
	w.Header().Set("ETag", etag(m.Version))
	writeJSON(w, http.StatusCreated, m)
}

func (h *siteHandlers) createMovement(w http.ResponseWriter, r *http.Request) {
	var c humanitarian.MovementCreate
	if err := decode(r, &c); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	m, err := h.svc.CreateMovement(r.Context(), c)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	h.movementCreated(w, m)
}

func (h *siteHandlers) getMovement(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.FindMovement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(m.Version))
	writeJSON(w, http.StatusOK, m)
}

func (h *siteHandlers) movementVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := h.svc.MovementVersions(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.Movement]{Items: vs})
}

func (h *siteHandlers) moveMovement(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var step humanitarian.MovementStep
	if err := decode(r, &step); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	m, err := h.svc.MoveMovement(r.Context(), r.PathValue("id"), v, step)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	h.movementCreated(w, m)
}

func (h *siteHandlers) movementBoard(w http.ResponseWriter, r *http.Request) {
	v, err := versionQuery(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	b, err := h.svc.MovementBoard(r.Context(), r.PathValue("id"), v)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// CreateMovement records a movement (POST /api/v1/movements).
func (c *Client) CreateMovement(ctx context.Context, in humanitarian.MovementCreate) (*humanitarian.Movement, error) {
	var m humanitarian.Movement
	_, err := c.Do(ctx, "POST", "/api/v1/movements", in, &m, nil)
	return &m, err
}

// MoveMovement records a movement's next step.
func (c *Client) MoveMovement(ctx context.Context, id string, step humanitarian.MovementStep) (*humanitarian.Movement, error) {
	var m humanitarian.Movement
	_, err := c.Do(ctx, "POST", "/api/v1/movements/"+url.PathEscape(id)+"/status", step, &m, nil)
	return &m, err
}

// MovementBoard returns who answered a movement's notification.
func (c *Client) MovementBoard(ctx context.Context, id string, version int64) (*humanitarian.MovementBoard, error) {
	var b humanitarian.MovementBoard
	v := ""
	if version > 0 {
		v = strconv.FormatInt(version, 10)
	}
	_, err := c.Do(ctx, "GET", "/api/v1/movements/"+url.PathEscape(id)+"/board"+q("version", v), nil, &b, nil)
	return &b, err
}

// NotifySite files a site (POST /api/v1/sites).
func (c *Client) NotifySite(ctx context.Context, in humanitarian.SiteCreate) (*humanitarian.Site, error) {
	var s humanitarian.Site
	_, err := c.Do(ctx, "POST", "/api/v1/sites", in, &s, nil)
	return &s, err
}

// ImportSites files every site of a CSV or GeoJSON file, all or none.
func (c *Client) ImportSites(ctx context.Context, in SiteImport) ([]*humanitarian.Site, error) {
	var pg Page[*humanitarian.Site]
	_, err := c.Do(ctx, "POST", "/api/v1/sites/import", in, &pg, nil)
	return pg.Items, err
}

// FindSite returns a site's latest version.
func (c *Client) FindSite(ctx context.Context, id string) (*humanitarian.Site, error) {
	var s humanitarian.Site
	_, err := c.Do(ctx, "GET", "/api/v1/sites/"+url.PathEscape(id), nil, &s, nil)
	return &s, err
}

// ListSites returns a page of sites.
func (c *Client) ListSites(ctx context.Context, f humanitarian.SiteFilter) ([]*humanitarian.Site, string, error) {
	var pg Page[*humanitarian.Site]
	_, err := c.Do(ctx, "GET", "/api/v1/sites"+q("agreement", f.Agreement, "party", f.Party, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// SiteBoard returns who acknowledged a site version (0: the latest), who
// raised a concern and who is silent.
func (c *Client) SiteBoard(ctx context.Context, id string, version int64) (*humanitarian.Board, error) {
	var b humanitarian.Board
	v := ""
	if version > 0 {
		v = strconv.FormatInt(version, 10)
	}
	_, err := c.Do(ctx, "GET", "/api/v1/sites/"+url.PathEscape(id)+"/board"+q("version", v), nil, &b, nil)
	return &b, err
}

// Inbox returns a page of the caller's party's pending transmissions.
func (c *Client) Inbox(ctx context.Context, party, cursor string, limit int) ([]*humanitarian.Transmission, string, error) {
	var pg Page[*humanitarian.Transmission]
	_, err := c.Do(ctx, "GET", "/api/v1/inbox"+q("party", party, "cursor", cursor, "limit", itoa(limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// AnswerStatement returns the statement to sign to answer a transmission.
func (c *Client) AnswerStatement(ctx context.Context, id string, in humanitarian.AnswerInput) (string, error) {
	var st Statement
	_, err := c.Do(ctx, "POST", "/api/v1/transmissions/"+url.PathEscape(id)+"/statement", in, &st, nil)
	return st.Statement, err
}

// Answer acknowledges a transmission or raises a concern.
func (c *Client) Answer(ctx context.Context, id string, in humanitarian.AnswerInput) (*AnswerResult, error) {
	var res AnswerResult
	_, err := c.Do(ctx, "POST", "/api/v1/transmissions/"+url.PathEscape(id)+"/answer", in, &res, nil)
	return &res, err
}

// Transmission returns one transmission.
func (c *Client) Transmission(ctx context.Context, id string) (*humanitarian.Transmission, error) {
	var t humanitarian.Transmission
	_, err := c.Do(ctx, "GET", "/api/v1/transmissions/"+url.PathEscape(id), nil, &t, nil)
	return &t, err
}

// SiteVersions returns every version of a site, oldest first.
func (c *Client) SiteVersions(ctx context.Context, id string) ([]*humanitarian.Site, error) {
	var pg Page[*humanitarian.Site]
	_, err := c.Do(ctx, "GET", "/api/v1/sites/"+url.PathEscape(id)+"/versions", nil, &pg, nil)
	return pg.Items, err
}

// FindMovement returns a movement's latest version.
func (c *Client) FindMovement(ctx context.Context, id string) (*humanitarian.Movement, error) {
	var m humanitarian.Movement
	_, err := c.Do(ctx, "GET", "/api/v1/movements/"+url.PathEscape(id), nil, &m, nil)
	return &m, err
}

// MovementVersions returns every version of a movement, oldest first.
func (c *Client) MovementVersions(ctx context.Context, id string) ([]*humanitarian.Movement, error) {
	var pg Page[*humanitarian.Movement]
	_, err := c.Do(ctx, "GET", "/api/v1/movements/"+url.PathEscape(id)+"/versions", nil, &pg, nil)
	return pg.Items, err
}

// ListMovements returns a page of movements.
func (c *Client) ListMovements(ctx context.Context, f humanitarian.MovementFilter) ([]*humanitarian.Movement, string, error) {
	var pg Page[*humanitarian.Movement]
	_, err := c.Do(ctx, "GET", "/api/v1/movements"+q("agreement", f.Agreement, "status", string(f.Status), "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

func (h *siteHandlers) notices(w http.ResponseWriter, r *http.Request) {
	ns, err := h.svc.Notices(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[humanitarian.Notice]{Items: nonNil(ns)})
}

// Notices returns the reminders sent and the overdue alert raised about a
// transmission.
func (c *Client) Notices(ctx context.Context, id string) ([]humanitarian.Notice, error) {
	var pg Page[humanitarian.Notice]
	_, err := c.Do(ctx, "GET", "/api/v1/transmissions/"+url.PathEscape(id)+"/notices", nil, &pg, nil)
	return pg.Items, err
}

func (h *siteHandlers) position(w http.ResponseWriter, r *http.Request) {
	var p humanitarian.ConvoyPosition
	if err := decode(r, &p); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	res, err := h.svc.ReportPosition(r.Context(), r.PathValue("id"), p)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *siteHandlers) lastPosition(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.LastPosition(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// osmand takes a position in the OsmAnd / Traccar HTTP protocol, what
// real trackers and phone apps send: ?id=MOVEMENT&lat=&lon=&timestamp=
// (Unix seconds or RFC 3339) and optionally &speed= (knots) &bearing=.
func (h *siteHandlers) osmand(w http.ResponseWriter, r *http.Request) {
	p, id, err := osmandQuery(r.URL.Query(), "the movement's id")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	res, err := h.svc.ReportPosition(r.Context(), id, p)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// tracker takes a position from a tracker holding a device token, in the
// OsmAnd / Traccar HTTP protocol (GET, as OsmAnd's online tracking sends
// it, or POST with the query or a form): ?id=TOKEN (or deviceid=) &lat=
// &lon= &timestamp= (Unix seconds or milliseconds, or RFC 3339) and
// optionally &speed= (knots) &bearing=.
func (h *siteHandlers) tracker(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "The tracker's query or form cannot be read."))
		return
	}
	q := r.Form
	if q.Get("id") == "" && q.Get("deviceid") != "" {
		q.Set("id", q.Get("deviceid"))
	}
	p, token, err := osmandQuery(q, "the tracker's device token")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	// A tracker is a feed: held to the feed's allowance, by its token
	// (the route is public, so there is no user to key it by).
	if l := h.s.feedLimits; l != nil {
		if ok, wait := l.Allow("tracker:"+humanitarian.DeviceTokenHash(token), 1, time.Now()); !ok {
			h.s.writeError(w, r, truce.RetryAfter(truce.Errorf(truce.ETOOMANY,
				"The tracker's positions are over their rate limit; retry in %d s.", wholeSeconds(wait)), wait))
			return
		}
	}
	res, err := h.svc.ReportDevicePosition(r.Context(), token, p)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// osmandQuery reads a position in the OsmAnd / Traccar HTTP protocol, and
// its id (what names the reporter: idIs).
func osmandQuery(q url.Values, idIs string) (humanitarian.ConvoyPosition, string, error) {
	num := func(name string, required bool) (*float64, error) {
		v := q.Get(name)
		if v == "" {
			if required {
				return nil, truce.Errorf(truce.EINVALID, "The OsmAnd query needs %s.", name)
			}
			return nil, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "%s=%q is not a number.", name, v)
		}
		return &f, nil
	}
	var p humanitarian.ConvoyPosition
	lat, err := num("lat", true)
	if err == nil {
		var lon *float64
		if lon, err = num("lon", true); err == nil {
			p.Lat, p.Lon = *lat, *lon
			if p.SpeedKn, err = num("speed", false); err == nil {
				p.Bearing, err = num("bearing", false)
			}
		}
	}
	if err == nil && q.Get("id") == "" {
		err = truce.Errorf(truce.EINVALID, "The OsmAnd query needs id: %s.", idIs)
	}
	if err == nil {
		if ts := q.Get("timestamp"); ts != "" {
			if n, perr := strconv.ParseInt(ts, 10, 64); perr == nil {
				// Seconds, or milliseconds from trackers that send them
				// (a value past the year 5138 in seconds).
				if n > 1e11 || n < -1e11 {
					p.Time = time.UnixMilli(n).UTC()
				} else {
					p.Time = time.Unix(n, 0).UTC()
				}
			} else if t, perr := time.Parse(time.RFC3339, ts); perr == nil {
				p.Time = t
			} else {
				err = truce.Errorf(truce.EINVALID, "timestamp=%q is neither Unix seconds or milliseconds nor RFC 3339.", ts)
			}
		}
	}
	return p, q.Get("id"), err
}

func (h *siteHandlers) devices(w http.ResponseWriter, r *http.Request) {
	ds, err := h.svc.Devices(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*humanitarian.ConvoyDevice]{Items: ds})
}

func (h *siteHandlers) issueDevice(w http.ResponseWriter, r *http.Request) {
	var in humanitarian.DeviceIssue
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	d, err := h.svc.IssueDevice(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

func (h *siteHandlers) revokeDevice(w http.ResponseWriter, r *http.Request) {
	d, err := h.svc.RevokeDevice(r.Context(), r.PathValue("id"), r.PathValue("device"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// ReportPosition reports a convoy's position.
func (c *Client) ReportPosition(ctx context.Context, movement string, p humanitarian.ConvoyPosition) (*humanitarian.PositionResult, error) {
	var res humanitarian.PositionResult
	_, err := c.Do(ctx, "POST", "/api/v1/movements/"+url.PathEscape(movement)+"/positions", p, &res, nil)
	return &res, err
}

// LastPosition returns a convoy's last reported position.
func (c *Client) LastPosition(ctx context.Context, movement string) (*humanitarian.ConvoyPosition, error) {
	var p humanitarian.ConvoyPosition
	_, err := c.Do(ctx, "GET", "/api/v1/movements/"+url.PathEscape(movement)+"/position", nil, &p, nil)
	return &p, err
}

// IssueDevice issues a device token for a tracker of a movement.
func (c *Client) IssueDevice(ctx context.Context, movement string, in humanitarian.DeviceIssue) (*humanitarian.IssuedDevice, error) {
	var d humanitarian.IssuedDevice
	_, err := c.Do(ctx, "POST", "/api/v1/movements/"+url.PathEscape(movement)+"/devices", in, &d, nil)
	return &d, err
}

// Devices lists a movement's trackers.
func (c *Client) Devices(ctx context.Context, movement string) ([]*humanitarian.ConvoyDevice, error) {
	var p Page[*humanitarian.ConvoyDevice]
	_, err := c.Do(ctx, "GET", "/api/v1/movements/"+url.PathEscape(movement)+"/devices", nil, &p, nil)
	return p.Items, err
}

// RevokeDevice revokes a tracker's device token.
func (c *Client) RevokeDevice(ctx context.Context, movement, device string) (*humanitarian.ConvoyDevice, error) {
	var d humanitarian.ConvoyDevice
	_, err := c.Do(ctx, "POST", "/api/v1/movements/"+url.PathEscape(movement)+"/devices/"+url.PathEscape(device)+"/revoke", nil, &d, nil)
	return &d, err
}
