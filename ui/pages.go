package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

func (u *UI) builtinPages() []Page {
	return []Page{
		{Path: "/map", NavKey: "nav.map", Order: 10, Routes: map[string]http.HandlerFunc{
			"GET /map": u.mapPage, "GET /map/zones.geojson": u.zonesGeoJSON}},
		{Path: "/inbox", NavKey: "nav.inbox", Order: 20, Routes: map[string]http.HandlerFunc{
			"GET /inbox": u.inbox, "POST /zones/{id}/versions/{version}/decision": u.decide}},
		{Path: "/agreements", NavKey: "nav.agreements", Order: 30, Routes: map[string]http.HandlerFunc{
			"GET /agreements": u.agreements, "POST /agreements": u.createAgreement,
			"GET /agreements/{id}": u.agreement, "POST /agreements/{id}/proposals": u.proposeAgreement,
			"POST /agreements/{id}/proposals/{number}/decision": u.decideAgreement, "POST /agreements/{id}/notices": u.giveNotice,
			"GET /zones/new": u.newZone, "POST /zones": u.proposeZone, "GET /zones/{id}": u.zone,
			"POST /zones/{id}/versions": u.proposeVersion}},
		{Path: "/ledger", NavKey: "nav.ledger", Order: 40, Routes: map[string]http.HandlerFunc{
			"GET /ledger": u.ledger, "GET /ledger/{index}": u.ledgerEntry, "GET /ledger/proof/{kind}/{subject}": u.downloadProof}},
		{Path: "/admin", NavKey: "nav.admin", Order: 50, Roles: []truce.Role{truce.RoleAdmin, truce.RolePartyAdmin}, Routes: map[string]http.HandlerFunc{
			"GET /admin": u.admin, "POST /admin/parties": u.createParty, "POST /admin/users": u.createUser,
			"POST /admin/users/{id}/disable": u.disableUser, "POST /admin/tokens": u.createToken,
			"POST /admin/tokens/{id}/revoke": u.revokeToken}},
	}
}

// parties returns every party the caller may see, by id.
func (u *UI) parties(ctx context.Context) (map[string]*truce.Party, []*truce.Party, error) {
	byID := map[string]*truce.Party{}
	var all []*truce.Party
	cursor := ""
	for {
		ps, next, err := u.svc.Parties.ListParties(ctx, truce.PartyFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			byID[p.ID] = p
			all = append(all, p)
		}
		if next == "" {
			return byID, all, nil
		}
		cursor = next
	}
}

// allZones pages through every zone.
func (u *UI) allZones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, error) {
	var out []*truce.Zone
	for {
		f.Limit = 500
		zs, next, err := u.svc.Zones.ListZones(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, zs...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

func (u *UI) allAgreements(ctx context.Context) ([]*truce.Agreement, error) {
	var out []*truce.Agreement
	f := truce.AgreementFilter{Limit: 500}
	for {
		as, next, err := u.svc.Agreements.ListAgreements(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
		if next == "" {
			return out, nil
		}
		f.Cursor = next
	}
}

// pending is a zone version awaiting decisions, with its zone and agreement.
type pending struct {
	Zone      *truce.Zone
	Version   *truce.ZoneVersion
	Agreement *truce.Agreement
	// Awaiting lists the signatories that have not decided yet.
	Awaiting []string
}

// pendingVersions returns every version awaiting decisions that the caller
// can see.
func (u *UI) pendingVersions(ctx context.Context) ([]pending, error) {
	zs, err := u.allZones(ctx, truce.ZoneFilter{Pending: true})
	if err != nil {
		return nil, err
	}
	ags := map[string]*truce.Agreement{}
	var out []pending
	for _, z := range zs {
		if z.Pending == 0 {
			continue
		}
		ag, ok := ags[z.AgreementID]
		if !ok {
			if ag, err = u.svc.Agreements.FindAgreement(ctx, z.AgreementID); err != nil {
				return nil, err
			}
			ags[z.AgreementID] = ag
		}
		hist, err := u.svc.Zones.ZoneHistory(ctx, z.ID)
		if err != nil {
			return nil, err
		}
		if z.Pending > len(hist) {
			continue
		}
		v := hist[z.Pending-1]
		p := pending{Zone: z, Version: v, Agreement: ag}
		for _, s := range ag.SignatoriesAt(time.Now()) {
			if !slices.ContainsFunc(v.Decisions, func(d truce.Decision) bool { return d.PartyID == s }) {
				p.Awaiting = append(p.Awaiting, s)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (u *UI) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := truce.CallerFrom(ctx)
	ps, err := u.pendingVersions(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	names, _, err := u.parties(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	var mine, others []pending
	// A party holding its own key signs each decision in the browser.
	sign := map[string]*signForm{}
	for _, p := range ps {
		if slices.Contains(p.Awaiting, a.Party.ID) {
			mine = append(mine, p)
			f, err := signFormFor(a.Party, p.Version)
			if err != nil {
				u.serviceError(w, r, err)
				return
			}
			if f != nil {
				sign[p.Zone.ID] = f
			}
		} else {
			others = append(others, p)
		}
	}
	// The proposals on agreements that await the caller's party's
	// signature.
	ags, err := u.allAgreements(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	var toSign []*truce.Agreement
	for _, ag := range ags {
		if p := ag.Pending(); p != nil && truce.CanDecideAgreement(ag, p.Number, a.Party.ID, time.Now()) == nil {
			toSign = append(toSign, ag)
		}
	}
	alerts, err := u.openAlerts(r)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "inbox", map[string]any{"Mine": mine, "Others": others, "Parties": names, "ToSign": toSign, "Sign": sign,
		"Alerts": alerts, "HasAlerts": u.svc.Alerts != nil, "OwnKey": !truce.CallerFrom(r.Context()).Party.Custodial})
}

func (u *UI) decide(w http.ResponseWriter, r *http.Request) {
	var version int
	if _, err := fmtSscan(r.PathValue("version"), &version); err != nil {
		u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	// A party holding its own key sends the signature its browser made
	// (static/sign.js); the service checks it against the party's key. A
	// form posts line ends as CRLF; the signed note has LF only.
	d := truce.ZoneDecision{Approve: r.PostFormValue("decision") == "approve", Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Signature: strings.ReplaceAll(r.PostFormValue("signature"), "\r\n", "\n")}
	if r.PostFormValue("decision") != "approve" && r.PostFormValue("decision") != "reject" {
		u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	id := r.PathValue("id")
	if _, err := u.svc.Zones.DecideZone(r.Context(), id, version, d); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/zones/"+url.PathEscape(id), http.StatusSeeOther)
}

// parseLocalTime reads an <input type="datetime-local"> value as UTC.
func parseLocalTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, truce.Errorf(truce.EINVALID, "Invalid time %q: use YYYY-MM-DDTHH:MM (UTC).", s)
}
