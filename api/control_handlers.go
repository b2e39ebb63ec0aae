package api

import (
	"net/http"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// RegisterControl mounts the actors, control areas, guarantees and
// breaches API (package control).
func RegisterControl(s *Server, svc *control.Service) {
	h := &controlHandlers{s: s, svc: svc}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/actors", Handler: h.listActors},
		{Method: "POST", Pattern: "/api/v1/actors", Handler: h.addActor},
		{Method: "GET", Pattern: "/api/v1/actors/{id}", Handler: h.getActor},
		{Method: "GET", Pattern: "/api/v1/actors/{id}/history", Handler: h.actorHistory},
		{Method: "POST", Pattern: "/api/v1/control-areas", Handler: h.addControl},
		{Method: "POST", Pattern: "/api/v1/control-areas/import", Handler: h.importControl},
		{Method: "POST", Pattern: "/api/v1/control-areas/{id}/end", Handler: h.endControl},
		{Method: "GET", Pattern: "/api/v1/control/map", Handler: h.controlMap},
		{Method: "GET", Pattern: "/api/v1/control/changes", Handler: h.changes},
		{Method: "GET", Pattern: "/api/v1/guarantees", Handler: h.listGuarantees},
		{Method: "POST", Pattern: "/api/v1/guarantees", Handler: h.addGuarantee},
		{Method: "GET", Pattern: "/api/v1/breaches", Handler: h.listBreaches},
		{Method: "GET", Pattern: "/api/v1/breaches/{id}", Handler: h.getBreach},
		{Method: "POST", Pattern: "/api/v1/breaches/{id}/response", Handler: h.respond},
		{Method: "POST", Pattern: "/api/v1/breaches/{id}/statement", Handler: h.statement},
		{Method: "GET", Pattern: "/api/v1/guarantors/{party}/record", Handler: h.record},
		{Method: "GET", Pattern: "/api/v1/guarantors/{party}/record.geojson", Handler: h.recordGeoJSON},
		{Method: "GET", Pattern: "/api/v1/guarantors/{party}/record.csv", Handler: h.recordCSV},
	} {
		s.Handle(rt)
	}
}

type controlHandlers struct {
	s   *Server
	svc *control.Service
}

// reply writes v (201 for a creation) or err as a problem.
func (h *controlHandlers) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (h *controlHandlers) listActors(w http.ResponseWriter, r *http.Request) {
	as, err := h.svc.Actors(r.Context())
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, as, func(x *control.Actor) string { return x.ID }, true)
	h.reply(w, r, http.StatusOK, pg, err)
}

func (h *controlHandlers) addActor(w http.ResponseWriter, r *http.Request) {
	var in control.ActorInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.svc.AddActor(r.Context(), in)
	h.reply(w, r, http.StatusCreated, a, err)
}

func (h *controlHandlers) getActor(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.Actor(r.Context(), r.PathValue("id"))
	h.reply(w, r, http.StatusOK, a, err)
}

func (h *controlHandlers) actorHistory(w http.ResponseWriter, r *http.Request) {
	hist, err := h.svc.History(r.Context(), r.PathValue("id"))
	h.reply(w, r, http.StatusOK, hist, err)
}

func (h *controlHandlers) addControl(w http.ResponseWriter, r *http.Request) {
	var in control.ControlInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	rec, err := h.svc.AddControl(r.Context(), in)
	h.reply(w, r, http.StatusCreated, rec, err)
}

func (h *controlHandlers) importControl(w http.ResponseWriter, r *http.Request) {
	var in control.ControlImport
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	recs, err := h.svc.ImportControl(r.Context(), in)
	h.reply(w, r, http.StatusCreated, Page[*control.Recorded]{Items: nonNil(recs)}, err)
}

// ControlEnd is the body of POST /control-areas/{id}/end.
type ControlEnd struct {
	At time.Time `json:"at" required:"true"`
}

func (h *controlHandlers) endControl(w http.ResponseWriter, r *http.Request) {
	var in ControlEnd
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	c, err := h.svc.EndControl(r.Context(), r.PathValue("id"), in.At)
	h.reply(w, r, http.StatusOK, c, err)
}

func (h *controlHandlers) controlMap(w http.ResponseWriter, r *http.Request) {
	at, err := timeParam(r, "at")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var box *orb.Bound
	if v := r.URL.Query().Get("bbox"); v != "" {
		b, err := truce.ParseBBox(v)
		if err == nil {
			err = b.NotCrossing()
		}
		if err != nil {
			h.s.writeError(w, r, err)
			return
		}
		box = &orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	}
	lim, err := queryInt(r, "limit", 0)
	if err == nil && (lim < 0 || lim > control.MaxMapAreas) {
		err = truce.Errorf(truce.EINVALID, "limit is 1 to %d.", control.MaxMapAreas)
	}
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	m, err := h.svc.MapIn(r.Context(), at, box, int(lim))
	h.reply(w, r, http.StatusOK, m, err)
}

func (h *controlHandlers) changes(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("from") == "" {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "Query parameter from is required."))
		return
	}
	from, err := timeParam(r, "from")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	to, err := timeParam(r, "to")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	lim, err := queryInt(r, "limit", 0)
	if err == nil && (lim < 0 || lim > control.MaxMapAreas) {
		err = truce.Errorf(truce.EINVALID, "limit is 1 to %d.", control.MaxMapAreas)
	}
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	c, err := h.svc.ChangesIn(r.Context(), from, to, int(lim))
	h.reply(w, r, http.StatusOK, c, err)
}

func (h *controlHandlers) listGuarantees(w http.ResponseWriter, r *http.Request) {
	gs, err := h.svc.Guarantees(r.Context())
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, gs, func(x *control.Guarantee) string { return x.ID }, true)
	h.reply(w, r, http.StatusOK, pg, err)
}

func (h *controlHandlers) addGuarantee(w http.ResponseWriter, r *http.Request) {
	var in control.GuaranteeInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	g, err := h.svc.AddGuarantee(r.Context(), in)
	h.reply(w, r, http.StatusCreated, g, err)
}

func (h *controlHandlers) listBreaches(w http.ResponseWriter, r *http.Request) {
	bs, err := h.svc.Breaches(r.Context(), r.URL.Query().Get("open") == "true")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, bs, func(x *control.Breach) string { return x.ID }, true)
	h.reply(w, r, http.StatusOK, pg, err)
}

func (h *controlHandlers) getBreach(w http.ResponseWriter, r *http.Request) {
	b, err := h.svc.Breach(r.Context(), r.PathValue("id"))
	h.reply(w, r, http.StatusOK, b, err)
}

// BreachResponse is the body of POST /breaches/{id}/response: the action
// taken, and the signed note of control.ResponseStatement (empty: signed
// by the server for a custodial party).
type BreachResponse struct {
	Action    string `json:"action" required:"true"`
	Signature string `json:"signature,omitempty"`
}

func (h *controlHandlers) respond(w http.ResponseWriter, r *http.Request) {
	var in BreachResponse
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	b, err := h.svc.Respond(r.Context(), r.PathValue("id"), in.Action, in.Signature)
	h.reply(w, r, http.StatusOK, b, err)
}

// BreachStatement is the body of POST /breaches/{id}/statement: the
// action the guarantor will answer with.
type BreachStatement struct {
	Action string `json:"action" required:"true"`
}

// statement answers the response statement a party holding its own key
// signs (control.ResponseStatement); it records nothing.
func (h *controlHandlers) statement(w http.ResponseWriter, r *http.Request) {
	var in BreachStatement
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	st, err := h.svc.Statement(r.Context(), r.PathValue("id"), in.Action)
	h.reply(w, r, http.StatusOK, Statement{st}, err)
}

func (h *controlHandlers) record(w http.ResponseWriter, r *http.Request) {
	rec, err := h.svc.GuarantorRecord(r.Context(), r.PathValue("party"))
	h.reply(w, r, http.StatusOK, rec, err)
}

// recordGeoJSON exports a guarantor's record as GeoJSON (RFC 7946).
func (h *controlHandlers) recordGeoJSON(w http.ResponseWriter, r *http.Request) {
	b, err := h.svc.RecordGeoJSON(r.Context(), r.PathValue("party"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(b)
}

// recordCSV exports a guarantor's record as CSV, a row per breach.
func (h *controlHandlers) recordCSV(w http.ResponseWriter, r *http.Request) {
	rec, err := h.svc.GuarantorRecord(r.Context(), r.PathValue("party"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	control.WriteRecordCSV(w, rec)
}
