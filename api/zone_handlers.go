package api

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// RegisterZones mounts the agreements and zones API.
func RegisterZones(s *Server, ags truce.AgreementService, zs truce.ZoneService) {
	h := &zoneHandlers{s: s, ags: ags, zs: zs}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/agreements", Handler: h.listAgreements},
		{Method: "POST", Pattern: "/api/v1/agreements", Handler: h.createAgreement},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}", Handler: h.getAgreement},
		{Method: "PATCH", Pattern: "/api/v1/agreements/{id}", Handler: h.updateAgreement},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/proposals", Handler: h.proposeAgreement},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}/proposals/{number}/statement", Handler: h.agreementStatement},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/proposals/{number}/decision", Handler: h.decideAgreement},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}/notices/statement", Handler: h.noticeStatement},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/notices", Handler: h.giveNotice},
		{Method: "GET", Pattern: "/api/v1/zones", Handler: h.listZones},
		{Method: "POST", Pattern: "/api/v1/zones", Handler: h.proposeZone},
		{Method: "POST", Pattern: "/api/v1/zones/import", Handler: h.importZones},
		{Method: "GET", Pattern: "/api/v1/zones/at", Handler: h.zonesAt},
		{Method: "GET", Pattern: "/api/v1/zones/in-force", Handler: h.inForce},
		{Method: "GET", Pattern: "/api/v1/zones/export", Handler: h.export},
		{Method: "GET", Pattern: "/api/v1/zones/{id}", Handler: h.getZone},
		{Method: "GET", Pattern: "/api/v1/zones/{id}/history", Handler: h.history},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/versions", Handler: h.proposeChange},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/suspend", Handler: h.suspend},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/withdraw", Handler: h.withdraw},
		{Method: "GET", Pattern: "/api/v1/zones/{id}/versions/{version}/statement", Handler: h.statement},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/versions/{version}/decision", Handler: h.decide},
	} {
		s.Handle(rt)
	}
}

type zoneHandlers struct {
	s   *Server
	ags truce.AgreementService
	zs  truce.ZoneService
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, truce.Errorf(truce.EINVALID, "Query parameter %s must be an RFC 3339 time, like 2017-07-09T12:00:00Z.", name)
	}
	return t.UTC(), nil
}

func (h *zoneHandlers) listAgreements(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	as, next, err := h.ags.ListAgreements(r.Context(), truce.AgreementFilter{Status: truce.AgreementStatus(q.Get("status")), Party: q.Get("party"), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*truce.Agreement]{Items: nonNil(as), NextCursor: next})
}

func (h *zoneHandlers) createAgreement(w http.ResponseWriter, r *http.Request) {
	var c truce.AgreementCreate
	if err := decode(r, &c); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.ags.CreateAgreement(r.Context(), c)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/agreements/"+a.ID)
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusCreated, a)
}

func (h *zoneHandlers) getAgreement(w http.ResponseWriter, r *http.Request) {
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

func (h *zoneHandlers) updateAgreement(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var u truce.AgreementUpdate
	if err := decode(r, &u); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.ags.UpdateAgreement(r.Context(), r.PathValue("id"), u, v)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

func (h *zoneHandlers) proposeAgreement(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var m truce.AgreementMotion
	if err := decode(r, &m); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.ags.ProposeAgreement(r.Context(), r.PathValue("id"), m, v)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusCreated, a)
}

func proposalParam(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		return 0, truce.Errorf(truce.EINVALID, "A proposal number is a whole number from 1.")
	}
	return n, nil
}

// agreementStatement answers the statement a signatory signs to decide on
// a proposal (for a party that holds its own key).
func (h *zoneHandlers) agreementStatement(w http.ResponseWriter, r *http.Request) {
	n, err := proposalParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	d := r.URL.Query().Get("decision")
	if d != "approve" && d != "reject" {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "decision is approve or reject."))
		return
	}
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	if a.Proposal == nil || a.Proposal.Number != n {
		h.s.writeError(w, r, truce.Errorf(truce.ENOTFOUND, "Agreement %q has no proposal %d awaiting decisions.", a.Title, n))
		return
	}
	st, err := truce.AgreementDecisionStatement(a.ID, a.Proposal, d == "approve")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(st))
}

func (h *zoneHandlers) decideAgreement(w http.ResponseWriter, r *http.Request) {
	n, err := proposalParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var d truce.ZoneDecision
	if err := decode(r, &d); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.ags.DecideAgreement(r.Context(), r.PathValue("id"), n, d)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

// noticeStatement answers the statement the caller's party signs to give
// notice of withdrawal.
func (h *zoneHandlers) noticeStatement(w http.ResponseWriter, r *http.Request) {
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	st, err := truce.WithdrawalStatement(a, truce.CallerFrom(r.Context()).Party.ID)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(st))
}

func (h *zoneHandlers) giveNotice(w http.ResponseWriter, r *http.Request) {
	var n truce.NoticeCreate
	if err := decode(r, &n); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	a, err := h.ags.GiveNotice(r.Context(), r.PathValue("id"), n)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusCreated, a)
}

// views returns the zones as shown now: each with whether it is in force
// and its agreement's standing (a zone of an agreement not in force is
// never shown in force).
func (h *zoneHandlers) views(r *http.Request, zs []*truce.Zone) ([]truce.ZoneView, error) {
	ags := map[string]*truce.Agreement{}
	now := time.Now().UTC()
	out := make([]truce.ZoneView, 0, len(zs))
	for _, z := range zs {
		ag, ok := ags[z.AgreementID]
		if !ok {
			var err error
			if ag, err = h.ags.FindAgreement(r.Context(), z.AgreementID); err != nil {
				return nil, err
			}
			ags[z.AgreementID] = ag
		}
		out = append(out, z.ViewAt(ag, now))
	}
	return out, nil
}

func (h *zoneHandlers) listZones(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	zs, next, err := h.zs.ListZones(r.Context(), truce.ZoneFilter{Agreement: q.Get("agreement"), Kind: truce.ZoneKind(q.Get("kind")),
		State: truce.ZoneState(q.Get("state")), Pending: q.Get("pending") == "true", Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.views(r, zs)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[truce.ZoneView]{Items: vs, NextCursor: next})
}

// ProposedZone is the answer to a zone proposal.
type ProposedZone struct {
	Zone    *truce.Zone        `json:"zone"`
	Version *truce.ZoneVersion `json:"version"`
}

func (h *zoneHandlers) proposeZone(w http.ResponseWriter, r *http.Request) {
	var p truce.ZoneProposal
	if err := decode(r, &p); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	z, v, err := h.zs.ProposeZone(r.Context(), p)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/zones/"+z.ID)
	w.Header().Set("ETag", etag(z.Version))
	writeJSON(w, http.StatusCreated, ProposedZone{z, v})
}

func (h *zoneHandlers) importZones(w http.ResponseWriter, r *http.Request) {
	var in truce.ZoneImport
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.zs.ImportZones(r.Context(), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Page[*truce.ZoneVersion]{Items: vs})
}

func floatParam(r *http.Request, name string, required bool) (float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, truce.Errorf(truce.EINVALID, "Query parameter %s is required.", name)
		}
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, truce.Errorf(truce.EINVALID, "Query parameter %s must be a number.", name)
	}
	return f, nil
}

func (h *zoneHandlers) zonesAt(w http.ResponseWriter, r *http.Request) {
	lon, err := floatParam(r, "lon", true)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	lat, err := floatParam(r, "lat", true)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	alt, err := floatParam(r, "alt", false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	t, err := timeParam(r, "time")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	out, err := h.zs.ZonesAt(r.Context(), lon, lat, alt, t)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, out, func(x truce.ZoneAt) string { return x.Zone.ID }, true)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (h *zoneHandlers) inForce(w http.ResponseWriter, r *http.Request) {
	t, err := timeParam(r, "at")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.zs.ZonesInForce(r.Context(), t)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, vs, func(x *truce.ZoneVersion) string { return x.ZoneID }, false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

// Feature is an RFC 7946 Feature of an exported zone.
type Feature = truce.Feature

// FeatureCollection is an RFC 7946 FeatureCollection.
type FeatureCollection = truce.FeatureCollection

// ZoneFeatures turns zone versions into GeoJSON features
// (truce.ZoneFeature).
func ZoneFeatures(vs []*truce.ZoneVersion) FeatureCollection { return truce.ZoneFeatures(vs) }

func (h *zoneHandlers) export(w http.ResponseWriter, r *http.Request) {
	t, err := timeParam(r, "at")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.zs.ZonesInForce(r.Context(), t)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Content-Disposition", `attachment; filename="zones-`+t.Format("20060102T150405Z")+`.geojson"`)
	enc := json.NewEncoder(w)
	enc.Encode(ZoneFeatures(vs))
}

func (h *zoneHandlers) getZone(w http.ResponseWriter, r *http.Request) {
	z, err := h.zs.FindZone(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.views(r, []*truce.Zone{z})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(z.Version))
	writeJSON(w, http.StatusOK, vs[0])
}

func (h *zoneHandlers) history(w http.ResponseWriter, r *http.Request) {
	vs, err := h.zs.ZoneHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, vs, func(x *truce.ZoneVersion) string { return strconv.Itoa(x.Version) }, true)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (h *zoneHandlers) proposeChange(w http.ResponseWriter, r *http.Request) {
	iv, err := ifMatch(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var p truce.ZoneProposal
	if err := decode(r, &p); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	v, err := h.zs.ProposeChange(r.Context(), r.PathValue("id"), p, iv)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

// EndZone is the body of a suspension or withdrawal proposal.
type EndZone struct {
	Note          string     `json:"note,omitempty"`
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
}

func (h *zoneHandlers) suspend(w http.ResponseWriter, r *http.Request) { h.end(w, r, false) }

func (h *zoneHandlers) withdraw(w http.ResponseWriter, r *http.Request) { h.end(w, r, true) }

func (h *zoneHandlers) end(w http.ResponseWriter, r *http.Request, withdraw bool) {
	var e EndZone
	if err := decode(r, &e); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	f := h.zs.ProposeSuspension
	if withdraw {
		f = h.zs.ProposeWithdrawal
	}
	v, err := f(r.Context(), r.PathValue("id"), e.Note, e.EffectiveFrom)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func versionParam(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return 0, truce.Errorf(truce.EINVALID, "A zone version is a whole number from 1.")
	}
	return n, nil
}

func (h *zoneHandlers) statement(w http.ResponseWriter, r *http.Request) {
	n, err := versionParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	vs, err := h.zs.ZoneHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	if n > len(vs) {
		h.s.writeError(w, r, truce.Errorf(truce.ENOTFOUND, "No version %d.", n))
		return
	}
	d := r.URL.Query().Get("decision")
	if d != "approve" && d != "reject" {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "decision is approve or reject."))
		return
	}
	st, err := truce.DecisionStatement(vs[n-1], d == "approve")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(st))
}

func (h *zoneHandlers) decide(w http.ResponseWriter, r *http.Request) {
	n, err := versionParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	var d truce.ZoneDecision
	if err := decode(r, &d); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	v, err := h.zs.DecideZone(r.Context(), r.PathValue("id"), n, d)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
