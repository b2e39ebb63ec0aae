package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// addForms adds the forms that notify a site (a point placed on the map,
// or a polygon drawn) and a movement (its route drawn), each also taking
// an uploaded GeoJSON geometry or Feature.
func (h *sitePages) addForms() {
	h.u.AddPage(Page{Path: "/sites/new", Routes: map[string]http.HandlerFunc{
		"GET /sites/new": h.newSite, "POST /sites/new": h.notifySite,
		"GET /movements/new": h.newMovement, "POST /movements/new": h.notifyMovement}})
}

func (h *sitePages) drawForm(w http.ResponseWriter, r *http.Request, page, mode string, data map[string]any) {
	ags, err := h.u.allAgreements(r.Context())
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	cfg := h.u.mapConfig(r)
	cfg.Draw, cfg.DrawMode, cfg.Layers = true, mode, nil
	data["Agreements"], data["Config"] = ags, cfg
	h.u.render(w, r, http.StatusOK, page, data)
}

func (h *sitePages) newSite(w http.ResponseWriter, r *http.Request) {
	h.drawForm(w, r, "site_new", "site", map[string]any{"Categories": humanitarian.Categories})
}

func (h *sitePages) newMovement(w http.ResponseWriter, r *http.Request) {
	h.drawForm(w, r, "movement_new", "line", map[string]any{"Kinds": humanitarian.MovementKinds})
}

// formGeometry is the geometry drawn on the map or uploaded: an uploaded
// Feature gives its geometry, and a route may be uploaded as the GPX track
// or route, or the KML LineString, that a GPS unit or a GIS tool exports
// (humanitarian.ParseRoute, which names every bad point).
func formGeometry(r *http.Request, what string) (json.RawMessage, error) {
	geom := []byte(strings.TrimSpace(r.PostFormValue("geometry")))
	if f, fh, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
		f.Close()
		if err != nil || len(b) > maxUpload {
			return nil, truce.Errorf(truce.ETOOLARGE, "An uploaded file is at most %d bytes.", maxUpload)
		}
		if ext := strings.ToLower(filepath.Ext(fh.Filename)); what == "route" && (ext == ".gpx" || ext == ".kml") {
			return humanitarian.ParseRoute(ext[1:], b)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			geom = b
		}
	}
	if len(geom) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "Draw the %s on the map or upload a GeoJSON file.", what)
	}
	var head struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(geom, &head); err != nil {
		return nil, truce.Errorf(truce.EINVALID, "The file is not GeoJSON: %v.", err)
	}
	if head.Type == "Feature" {
		return head.Geometry, nil
	}
	return geom, nil
}

// formNumber reads a whole or decimal number field ("" is 0).
func formNumber(r *http.Request, name string) (float64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, truce.Errorf(truce.EINVALID, "%s: %q is not a number.", name, v)
	}
	return f, nil
}

func (h *sitePages) notifySite(w http.ResponseWriter, r *http.Request) {
	c := humanitarian.SiteCreate{AgreementID: r.PostFormValue("agreement"), SiteFields: humanitarian.SiteFields{
		Name: r.PostFormValue("name"), Category: humanitarian.Category(r.PostFormValue("category")),
		Organisation: r.PostFormValue("organisation"), Contact: r.PostFormValue("contact")}}
	var err error
	if c.Geometry, err = formGeometry(r, "site"); err == nil {
		var capacity float64
		if capacity, err = formNumber(r, "capacity"); err == nil {
			c.Capacity = int(capacity)
			c.BufferM, err = formNumber(r, "buffer_m")
		}
	}
	var from *time.Time
	if err == nil {
		if from, err = parseLocalTime(r.PostFormValue("valid_from")); err == nil {
			c.ValidTo, err = parseLocalTime(r.PostFormValue("valid_to"))
		}
	}
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	c.ValidFrom = time.Now().UTC()
	if from != nil {
		c.ValidFrom = *from
	}
	s, err := h.svc.NotifySite(r.Context(), c)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sites/"+url.PathEscape(s.ID), http.StatusSeeOther)
}

func (h *sitePages) notifyMovement(w http.ResponseWriter, r *http.Request) {
	c := humanitarian.MovementCreate{AgreementID: r.PostFormValue("agreement"), Notify: r.PostFormValue("notify") != "",
		MovementFields: humanitarian.MovementFields{Name: r.PostFormValue("name"), Organisation: r.PostFormValue("organisation"),
			Kind: humanitarian.MovementKind(r.PostFormValue("kind")), Cargo: r.PostFormValue("cargo"),
			Emergency: r.PostFormValue("emergency") != ""}}
	for _, x := range strings.Split(r.PostFormValue("crossings"), ",") {
		if x = strings.TrimSpace(x); x != "" {
			c.Crossings = append(c.Crossings, x)
		}
	}
	err := func() error {
		var err error
		if c.Route, err = formGeometry(r, "route"); err != nil {
			return err
		}
		if c.CorridorM, err = formNumber(r, "corridor_m"); err != nil {
			return err
		}
		personnel, err := formNumber(r, "personnel")
		if err != nil {
			return err
		}
		count, err := formNumber(r, "vehicle_count")
		if err != nil {
			return err
		}
		c.Personnel = int(personnel)
		c.Vehicles = []humanitarian.Vehicle{{Count: int(count), Type: strings.TrimSpace(r.PostFormValue("vehicle_type"))}}
		for _, f := range []struct {
			name string
			dst  *time.Time
		}{{"departure_from", &c.Departure.From}, {"departure_to", &c.Departure.To}, {"arrival_from", &c.Arrival.From}, {"arrival_to", &c.Arrival.To}} {
			t, err := parseLocalTime(r.PostFormValue(f.name))
			if err != nil {
				return err
			}
			if t != nil {
				*f.dst = *t
			}
		}
		return nil
	}()
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	m, err := h.svc.CreateMovement(r.Context(), c)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/movements/"+url.PathEscape(m.ID), http.StatusSeeOther)
}
