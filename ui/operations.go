package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// AddOperations adds the pages of joint operations: the operations the
// party may see with the conflicts it is told of and the filing form, an
// operation with its volumes, approvals and conflicts (one click approves
// for a custodial party), and the operations layer of the map.
func (u *UI) AddOperations(svc *operations.Service) {
	o := &operationPages{u: u, svc: svc}
	u.AddPage(Page{Path: "/operations", NavKey: "nav.operations", Order: 37, Routes: map[string]http.HandlerFunc{
		"GET /operations": o.list, "POST /operations": o.file, "GET /operations/{id}": o.show,
		"POST /operations/{id}/approve": o.approve, "POST /operations/{id}/status": o.status,
		"GET /operations.geojson": o.geojson, "GET /operations/timeline": o.timeline}})
	u.AddLayer(Layer{ID: "operations", TitleKey: "layer.operations", Kind: "geojson", Source: "/operations.geojson", Visible: true})
}

type operationPages struct {
	u   *UI
	svc *operations.Service
}

func (o *operationPages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ops, err := o.svc.Operations(ctx, operations.Filter{})
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	cs, err := o.svc.Conflicts(ctx, "")
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	ags, _, err := o.u.svc.Agreements.ListAgreements(ctx, truce.AgreementFilter{})
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	o.u.render(w, r, http.StatusOK, "operations", map[string]any{"Operations": ops, "Conflicts": cs, "Agreements": ags, "Kinds": operations.Kinds,
		"Awaiting": awaiting(ops, r)})
}

// awaiting are the joint operations whose current version awaits the
// approval of the caller's party: the joint-approval inbox.
func awaiting(ops []*operations.Operation, r *http.Request) []*operations.Operation {
	out := []*operations.Operation{}
	s := SessionFrom(r.Context())
	if s == nil {
		return out
	}
	for _, op := range ops {
		if operations.MayApprove(op, s.Caller.Party.ID, true, op.Version) == nil {
			out = append(out, op)
		}
	}
	return out
}

// file files the form's operation: one volume, drawn as GeoJSON (a
// polygon, or a point or line with a buffer), in a band and window.
func (o *operationPages) file(w http.ResponseWriter, r *http.Request) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	num := func(k string) (float64, error) {
		if f(k) == "" {
			return 0, nil
		}
		v, err := strconv.ParseFloat(f(k), 64)
		if err != nil {
			return 0, truce.Errorf(truce.EINVALID, "%s is not a number.", k)
		}
		return v, nil
	}
	in := operations.FileInput{Plan: operations.Plan{AgreementID: f("agreement_id"), Name: f("name"), Kind: operations.Kind(f("kind")),
		Participants: splitForm(f("participants")), NotifyTo: splitForm(f("notify_to"))}, Override: f("override")}
	v := operations.VolumeInput{Geometry: json.RawMessage(f("geometry"))}
	var err error
	for k, dst := range map[string]*float64{"buffer_m": &v.BufferM, "floor_m": &v.FloorM, "ceiling_m": &v.CeilingM} {
		if *dst, err = num(k); err != nil {
			o.u.serviceError(w, r, err)
			return
		}
	}
	for k, dst := range map[string]*time.Time{"start": &v.Start, "end": &v.End} {
		t, err := parseLocalTime(f(k))
		if err != nil {
			o.u.serviceError(w, r, err)
			return
		}
		if t != nil {
			*dst = *t
		}
	}
	in.Volumes = []operations.VolumeInput{v}
	res, err := o.svc.File(r.Context(), in)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(res.Operation.ID), http.StatusSeeOther)
}

func splitForm(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (o *operationPages) show(w http.ResponseWriter, r *http.Request) {
	op, err := o.svc.Operation(r.Context(), r.PathValue("id"))
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	cs, err := o.svc.Conflicts(r.Context(), op.ID)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	a := truce.CallerFrom(r.Context())
	approved := map[string]bool{}
	for _, ap := range op.Approvals {
		approved[ap.PartyID] = true
	}
	mine := a != nil && operations.MayApprove(op, a.Party.ID, true, op.Version) == nil
	o.u.render(w, r, http.StatusOK, "operation", map[string]any{"Op": op, "Conflicts": cs, "Approved": approved, "MayApprove": mine,
		"Statement": operations.ApprovalStatement(op)})
}

func (o *operationPages) approve(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		o.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	in := operations.ApproveInput{Version: v, Signature: strings.TrimSpace(r.PostFormValue("signature")), Override: strings.TrimSpace(r.PostFormValue("override"))}
	if _, err := o.svc.Approve(r.Context(), r.PathValue("id"), in); err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

func (o *operationPages) status(w http.ResponseWriter, r *http.Request) {
	if _, err := o.svc.Move(r.Context(), r.PathValue("id"), operations.Status(r.PostFormValue("status"))); err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// geojson serves the volumes of the operations the caller may see, drafts
// and finished ones included, with their band and window, for the map's
// operations layer (?at=T keeps those in force then).
func (o *operationPages) geojson(w http.ResponseWriter, r *http.Request) {
	f := operations.Filter{}
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			o.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		f.At = &t
	}
	ops, err := o.svc.Operations(r.Context(), f)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	type feature struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, op := range ops {
		for i, v := range op.Volumes {
			fc.Features = append(fc.Features, feature{"Feature", op.ID + "/" + strconv.Itoa(i), v.Geometry, map[string]any{"name": op.Name,
				"kind": "operation", "operation_kind": op.Kind, "status": op.Status, "party_id": op.PartyID, "buffer_m": v.BufferM,
				"floor_m": v.FloorM, "ceiling_m": v.CeilingM, "start": v.Start, "end": v.End, "url": "/operations/" + op.ID}})
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}
