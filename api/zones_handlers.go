package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// RegisterZones mounts the agreements and zones API.
func RegisterZones(s *Server, ags truce.AgreementService, zs truce.ZoneService) {
	h := &zoneHandlers{s: s, ags: ags, zs: zs}
	agreementVersion := func(a *truce.Agreement) int64 { return a.Version }
	proposal := numberParam("number", "A proposal number")
	version := numberParam("version", "A zone version")
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/agreements", Handler: h.listAgreements},
		{Method: "POST", Pattern: "/api/v1/agreements", Handler: change[truce.AgreementCreate, *truce.Agreement]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, c truce.AgreementCreate) (*truce.Agreement, error) {
				return ags.CreateAgreement(r.Context(), c)
			},
			version: agreementVersion, location: func(a *truce.Agreement) string { return "/api/v1/agreements/" + a.ID }}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}", Handler: h.getAgreement},
		{Method: "PATCH", Pattern: "/api/v1/agreements/{id}", Handler: change[truce.AgreementUpdate, *truce.Agreement]{status: http.StatusOK, number: ifMatch,
			call: func(r *http.Request, v int64, u truce.AgreementUpdate) (*truce.Agreement, error) {
				return ags.UpdateAgreement(r.Context(), r.PathValue("id"), u, v)
			}, version: agreementVersion}.handler(s)},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/proposals", Handler: change[truce.AgreementMotion, *truce.Agreement]{status: http.StatusCreated, number: ifMatch,
			call: func(r *http.Request, v int64, m truce.AgreementMotion) (*truce.Agreement, error) {
				return ags.ProposeAgreement(r.Context(), r.PathValue("id"), m, v)
			}, version: agreementVersion}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}/proposals/{number}/statement", Handler: statement(s, proposal, h.agreementStatement)},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/proposals/{number}/decision", Handler: change[truce.ZoneDecision, *truce.Agreement]{status: http.StatusOK, number: proposal,
			call: func(r *http.Request, n int64, d truce.ZoneDecision) (*truce.Agreement, error) {
				return ags.DecideAgreement(r.Context(), r.PathValue("id"), int(n), d)
			}, version: agreementVersion}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/agreements/{id}/notices/statement", Handler: statement(s, nil, h.noticeStatement)},
		{Method: "POST", Pattern: "/api/v1/agreements/{id}/notices", Handler: change[truce.NoticeCreate, *truce.Agreement]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, n truce.NoticeCreate) (*truce.Agreement, error) {
				return ags.GiveNotice(r.Context(), r.PathValue("id"), n)
			}, version: agreementVersion}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/zones", Handler: h.listZones},
		{Method: "POST", Pattern: "/api/v1/zones", Handler: change[truce.ZoneProposal, ProposedZone]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, p truce.ZoneProposal) (ProposedZone, error) {
				z, v, err := zs.ProposeZone(r.Context(), p)
				return ProposedZone{z, v}, err
			},
			version:  func(p ProposedZone) int64 { return p.Zone.Version },
			location: func(p ProposedZone) string { return "/api/v1/zones/" + p.Zone.ID }}.handler(s)},
		{Method: "POST", Pattern: "/api/v1/zones/import", Handler: change[truce.ZoneImport, Page[*truce.ZoneVersion]]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, in truce.ZoneImport) (Page[*truce.ZoneVersion], error) {
				vs, err := zs.ImportZones(r.Context(), in)
				return Page[*truce.ZoneVersion]{Items: vs}, err
			}}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/zones/at", Handler: h.zonesAt},
		{Method: "GET", Pattern: "/api/v1/zones/in-force", Handler: h.inForce},
		{Method: "GET", Pattern: "/api/v1/zones/export", Handler: h.export},
		{Method: "GET", Pattern: "/api/v1/zones/{id}", Handler: h.getZone},
		{Method: "GET", Pattern: "/api/v1/zones/{id}/history", Handler: h.history},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/versions", Handler: change[truce.ZoneProposal, *truce.ZoneVersion]{status: http.StatusCreated, number: ifMatch,
			call: func(r *http.Request, iv int64, p truce.ZoneProposal) (*truce.ZoneVersion, error) {
				return zs.ProposeChange(r.Context(), r.PathValue("id"), p, iv)
			}}.handler(s)},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/suspend", Handler: change[EndZone, *truce.ZoneVersion]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, e EndZone) (*truce.ZoneVersion, error) {
				return zs.ProposeSuspension(r.Context(), r.PathValue("id"), e.Note, e.EffectiveFrom)
			}}.handler(s)},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/withdraw", Handler: change[EndZone, *truce.ZoneVersion]{status: http.StatusCreated,
			call: func(r *http.Request, _ int64, e EndZone) (*truce.ZoneVersion, error) {
				return zs.ProposeWithdrawal(r.Context(), r.PathValue("id"), e.Note, e.EffectiveFrom)
			}}.handler(s)},
		{Method: "GET", Pattern: "/api/v1/zones/{id}/versions/{version}/statement", Handler: statement(s, version, h.zoneStatement)},
		{Method: "POST", Pattern: "/api/v1/zones/{id}/versions/{version}/decision", Handler: change[truce.ZoneDecision, *truce.ZoneVersion]{status: http.StatusOK, number: version,
			call: func(r *http.Request, n int64, d truce.ZoneDecision) (*truce.ZoneVersion, error) {
				return zs.DecideZone(r.Context(), r.PathValue("id"), int(n), d)
			}}.handler(s)},
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

func (h *zoneHandlers) getAgreement(w http.ResponseWriter, r *http.Request) {
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, http.StatusOK, a)
}

// agreementStatement is the statement a signatory signs to decide on
// proposal n (for a party that holds its own key).
func (h *zoneHandlers) agreementStatement(r *http.Request, n int64) (string, error) {
	approve, err := approveParam(r)
	if err != nil {
		return "", err
	}
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	if a.Proposal == nil || int64(a.Proposal.Number) != n {
		return "", truce.Errorf(truce.ENOTFOUND, "Agreement %q has no proposal %d awaiting decisions.", a.Title, n)
	}
	return truce.AgreementDecisionStatement(a.ID, a.Proposal, approve)
}

// noticeStatement is the statement the caller's party signs to give
// notice of withdrawal.
func (h *zoneHandlers) noticeStatement(r *http.Request, _ int64) (string, error) {
	a, err := h.ags.FindAgreement(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	return truce.WithdrawalStatement(a, truce.CallerFrom(r.Context()).Party.ID)
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

// zonesInForce is the zone versions in force at the time the query's at
// names (now when it names none), and that time.
func (h *zoneHandlers) zonesInForce(r *http.Request) ([]*truce.ZoneVersion, time.Time, error) {
	t, err := timeParam(r, "at")
	if err != nil {
		return nil, t, err
	}
	vs, err := h.zs.ZonesInForce(r.Context(), t)
	return vs, t, err
}

func (h *zoneHandlers) inForce(w http.ResponseWriter, r *http.Request) {
	vs, _, err := h.zonesInForce(r)
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
	vs, t, err := h.zonesInForce(r)
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

// EndZone is the body of a suspension or withdrawal proposal.
type EndZone struct {
	Note          string     `json:"note,omitempty"`
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
}

// zoneStatement is the statement a signatory signs to decide on zone
// version n.
func (h *zoneHandlers) zoneStatement(r *http.Request, n int64) (string, error) {
	vs, err := h.zs.ZoneHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		return "", err
	}
	if n > int64(len(vs)) {
		return "", truce.Errorf(truce.ENOTFOUND, "No version %d.", n)
	}
	approve, err := approveParam(r)
	if err != nil {
		return "", err
	}
	return truce.DecisionStatement(vs[n-1], approve)
}

var (
	_ truce.AgreementService = (*Client)(nil)
	_ truce.ZoneService      = (*Client)(nil)
)

// CreateAgreement implements truce.AgreementService.
func (c *Client) CreateAgreement(ctx context.Context, in truce.AgreementCreate) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements", in, &a, nil)
	return &a, err
}

// FindAgreement implements truce.AgreementService.
func (c *Client) FindAgreement(ctx context.Context, id string) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "GET", "/api/v1/agreements/"+url.PathEscape(id), nil, &a, nil)
	return &a, err
}

// ListAgreements implements truce.AgreementService.
func (c *Client) ListAgreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, string, error) {
	var pg Page[*truce.Agreement]
	_, err := c.Do(ctx, "GET", "/api/v1/agreements"+q("status", string(f.Status), "party", f.Party, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

func ifMatchHeader(v int64) http.Header {
	h := http.Header{}
	if v != 0 {
		h.Set("If-Match", etag(v))
	}
	return h
}

// UpdateAgreement implements truce.AgreementService.
func (c *Client) UpdateAgreement(ctx context.Context, id string, u truce.AgreementUpdate, ifVersion int64) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "PATCH", "/api/v1/agreements/"+url.PathEscape(id), u, &a, ifMatchHeader(ifVersion))
	return &a, err
}

// ProposeAgreement implements truce.AgreementService.
func (c *Client) ProposeAgreement(ctx context.Context, id string, m truce.AgreementMotion, ifVersion int64) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/proposals", m, &a, ifMatchHeader(ifVersion))
	return &a, err
}

// DecideAgreement implements truce.AgreementService.
func (c *Client) DecideAgreement(ctx context.Context, id string, proposal int, d truce.ZoneDecision) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/proposals/"+strconv.Itoa(proposal)+"/decision", d, &a, nil)
	return &a, err
}

// GiveNotice implements truce.AgreementService.
func (c *Client) GiveNotice(ctx context.Context, id string, n truce.NoticeCreate) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/notices", n, &a, nil)
	return &a, err
}

// ProposeZone implements truce.ZoneService.
func (c *Client) ProposeZone(ctx context.Context, p truce.ZoneProposal) (*truce.Zone, *truce.ZoneVersion, error) {
	var out ProposedZone
	_, err := c.Do(ctx, "POST", "/api/v1/zones", p, &out, nil)
	return out.Zone, out.Version, err
}

// ImportZones implements truce.ZoneService.
func (c *Client) ImportZones(ctx context.Context, in truce.ZoneImport) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "POST", "/api/v1/zones/import", in, &pg, nil)
	return pg.Items, err
}

// ProposeChange implements truce.ZoneService.
func (c *Client) ProposeChange(ctx context.Context, zoneID string, p truce.ZoneProposal, ifVersion int64) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/versions", p, &v, ifMatchHeader(ifVersion))
	return &v, err
}

// ProposeSuspension implements truce.ZoneService.
func (c *Client) ProposeSuspension(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/suspend", EndZone{note, eff}, &v, nil)
	return &v, err
}

// ProposeWithdrawal implements truce.ZoneService.
func (c *Client) ProposeWithdrawal(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/withdraw", EndZone{note, eff}, &v, nil)
	return &v, err
}

// DecideZone implements truce.ZoneService.
func (c *Client) DecideZone(ctx context.Context, zoneID string, version int, d truce.ZoneDecision) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/zones/%s/versions/%d/decision", url.PathEscape(zoneID), version), d, &v, nil)
	return &v, err
}

// ZoneDecisionStatement returns the exact text a party signs to approve
// or reject a version of a zone (GET …/versions/{version}/statement). A
// client that signs it checks it first (partykey.SignZoneDecision).
func (c *Client) ZoneDecisionStatement(ctx context.Context, zoneID string, version int, approve bool) (string, error) {
	d := "reject"
	if approve {
		d = "approve"
	}
	var b []byte
	_, err := c.Do(ctx, "GET", fmt.Sprintf("/api/v1/zones/%s/versions/%d/statement", url.PathEscape(zoneID), version)+q("decision", d), nil, &b, nil)
	return string(b), err
}

// FindZone implements truce.ZoneService.
func (c *Client) FindZone(ctx context.Context, id string) (*truce.Zone, error) {
	var z truce.Zone
	_, err := c.Do(ctx, "GET", "/api/v1/zones/"+url.PathEscape(id), nil, &z, nil)
	return &z, err
}

// ListZones implements truce.ZoneService.
func (c *Client) ListZones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, string, error) {
	var pg Page[*truce.Zone]
	_, err := c.Do(ctx, "GET", "/api/v1/zones"+q("agreement", f.Agreement, "kind", string(f.Kind), "state", string(f.State), "pending", pendingParam(f.Pending), "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// ZoneHistory implements truce.ZoneService.
func (c *Client) ZoneHistory(ctx context.Context, id string) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/"+url.PathEscape(id)+"/history", nil, &pg, nil)
	return pg.Items, err
}

// ZonesInForce implements truce.ZoneService.
func (c *Client) ZonesInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/in-force"+q("at", t.UTC().Format(time.RFC3339Nano)), nil, &pg, nil)
	return pg.Items, err
}

// ZonesAt implements truce.ZoneService.
func (c *Client) ZonesAt(ctx context.Context, lon, lat, altM float64, t time.Time) ([]truce.ZoneAt, error) {
	alt := ""
	if !math.IsNaN(altM) {
		alt = strconv.FormatFloat(altM, 'f', -1, 64)
	}
	var pg Page[truce.ZoneAt]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/at"+q("lon", strconv.FormatFloat(lon, 'f', -1, 64), "lat", strconv.FormatFloat(lat, 'f', -1, 64),
		"alt", alt, "time", t.UTC().Format(time.RFC3339Nano)), nil, &pg, nil)
	return pg.Items, err
}

func pendingParam(p bool) string {
	if p {
		return "true"
	}
	return ""
}
