package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscanf(s, "%d", n) }

func (u *UI) agreements(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ags, err := u.allAgreements(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	byID, all, err := u.parties(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	var signers []*truce.Party
	for _, p := range all {
		if p.Kind.CanSign() {
			signers = append(signers, p)
		}
	}
	zs, err := u.allZones(ctx, truce.ZoneFilter{})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	// Each zone as shown now: never in force while its agreement is not.
	byAgreement := map[string]*truce.Agreement{}
	for _, ag := range ags {
		byAgreement[ag.ID] = ag
	}
	now := time.Now().UTC()
	views := make([]truce.ZoneView, 0, len(zs))
	for _, z := range zs {
		if ag := byAgreement[z.AgreementID]; ag != nil {
			views = append(views, z.ViewAt(ag, now))
		}
	}
	u.render(w, r, http.StatusOK, "agreements", map[string]any{"Agreements": ags, "Parties": byID, "Signers": signers, "Zones": views})
}

func (u *UI) createAgreement(w http.ResponseWriter, r *http.Request) {
	from, err := parseLocalTime(r.PostFormValue("effective_from"))
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	c := truce.AgreementCreate{Title: r.PostFormValue("title"), Reference: r.PostFormValue("reference"), Signatories: r.PostForm["signatory"]}
	if from != nil {
		c.EffectiveFrom = *from
	}
	ag, err := u.svc.Agreements.CreateAgreement(r.Context(), c)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/agreements/"+url.PathEscape(ag.ID), http.StatusSeeOther)
}

// deciderRow is one party a proposal needs, with its decision (nil while
// awaited).
type deciderRow struct {
	PartyID  string
	Decision *truce.Decision
}

func (u *UI) agreement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ag, err := u.svc.Agreements.FindAgreement(ctx, r.PathValue("id"))
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	zs, err := u.allZones(ctx, truce.ZoneFilter{Agreement: ag.ID})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	byID, _, err := u.parties(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	a, now := truce.CallerFrom(ctx), time.Now().UTC()
	views := make([]truce.ZoneView, len(zs))
	for i, z := range zs {
		views[i] = z.ViewAt(ag, now)
	}
	// The page offers what the rules allow the caller (the service asks
	// them again).
	var actions []truce.AgreementAction
	if truce.CanManageAgreement(a, ag, now) {
		for _, act := range truce.AgreementActions {
			if ag.CanPropose(act, now) == nil {
				actions = append(actions, act)
			}
		}
	}
	var deciders []deciderRow
	canDecide := false
	if p := ag.Proposal; p != nil {
		parties := ag.Deciders(p, now)
		if p.Status != truce.VersionProposed {
			parties = nil
			for _, d := range p.Decisions {
				parties = append(parties, d.PartyID)
			}
		}
		for _, id := range parties {
			row := deciderRow{PartyID: id}
			for i := range p.Decisions {
				if p.Decisions[i].PartyID == id {
					row.Decision = &p.Decisions[i]
				}
			}
			deciders = append(deciders, row)
		}
		canDecide = (a.IsAdmin() || a.User.HasRole(truce.RoleOperator)) && truce.CanDecideAgreement(ag, p.Number, a.Party.ID, now) == nil
	}
	_, noticeErr := truce.GiveNotice(a, ag, truce.WithdrawalNotice{GivenAt: now})
	// A party that holds its own key signs in the browser (static/sign.js)
	// the statements the server would check.
	var sign *agreementSign
	if !a.Party.Custodial && (canDecide || noticeErr == nil) {
		sign = &agreementSign{Party: a.Party.Slug, PartyID: a.Party.ID, Verifier: a.Party.PublicKey}
		if canDecide {
			if sign.Approve, err = truce.AgreementDecisionStatement(ag.ID, ag.Proposal, true); err == nil {
				sign.Reject, err = truce.AgreementDecisionStatement(ag.ID, ag.Proposal, false)
			}
		}
		if err == nil && noticeErr == nil {
			sign.Withdraw, err = truce.WithdrawalStatement(ag, a.Party.ID)
		}
		if err != nil {
			u.serviceError(w, r, err)
			return
		}
	}
	u.render(w, r, http.StatusOK, "agreement", map[string]any{"Agreement": ag, "Standing": ag.StandingAt(now), "Zones": views,
		"Parties": byID, "Actions": actions, "Deciders": deciders, "CanDecide": canDecide, "CanNotice": noticeErr == nil,
		"NoticePeriod": time.Duration(ag.Rules.WithDefaults().NoticePeriod).String(), "Sign": sign})
}

// agreementSign is what the agreement page's forms need to sign in the
// browser for a party that holds its own key: the statements of its
// decision on the pending proposal and of its notice of withdrawal, and
// its registered verifier key, which the loaded key file must match.
type agreementSign struct {
	Party, PartyID, Verifier  string
	Approve, Reject, Withdraw string
}

func (u *UI) proposeAgreement(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ver, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	m := truce.AgreementMotion{Action: truce.AgreementAction(r.PostFormValue("action")), Note: r.PostFormValue("note")}
	if m.Action == truce.AgreementAmend {
		m.Text = &truce.AgreementUpdate{}
		if t := strings.TrimSpace(r.PostFormValue("title")); t != "" {
			m.Text.Title = &t
		}
		if np := strings.TrimSpace(r.PostFormValue("notice_period")); np != "" {
			d, err := time.ParseDuration(np)
			if err != nil {
				u.fail(w, r, http.StatusBadRequest, "error.bad_request")
				return
			}
			ag, err := u.svc.Agreements.FindAgreement(r.Context(), id)
			if err != nil {
				u.serviceError(w, r, err)
				return
			}
			rules := ag.Rules
			rules.NoticePeriod = truce.Duration(d)
			m.Text.Rules = &rules
		}
	}
	if _, err := u.svc.Agreements.ProposeAgreement(r.Context(), id, m, ver); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/agreements/"+url.PathEscape(id), http.StatusSeeOther)
}

func (u *UI) decideAgreement(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("number"))
	dec := r.PostFormValue("decision")
	if err != nil || n < 1 || (dec != "approve" && dec != "reject") {
		u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	id := r.PathValue("id")
	d := truce.ZoneDecision{Approve: dec == "approve", Reason: strings.TrimSpace(r.PostFormValue("reason")), Signature: r.PostFormValue("signature")}
	if _, err := u.svc.Agreements.DecideAgreement(r.Context(), id, n, d); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/agreements/"+url.PathEscape(id), http.StatusSeeOther)
}

func (u *UI) giveNotice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n := truce.NoticeCreate{Reason: strings.TrimSpace(r.PostFormValue("reason")), Signature: r.PostFormValue("signature")}
	if _, err := u.svc.Agreements.GiveNotice(r.Context(), id, n); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/agreements/"+url.PathEscape(id), http.StatusSeeOther)
}

func (u *UI) zone(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	z, err := u.svc.Zones.FindZone(ctx, r.PathValue("id"))
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	hist, err := u.svc.Zones.ZoneHistory(ctx, z.ID)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	ag, err := u.svc.Agreements.FindAgreement(ctx, z.AgreementID)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	byID, _, err := u.parties(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	// Newest first: the version that matters now leads.
	rev := make([]*truce.ZoneVersion, len(hist))
	for i, v := range hist {
		rev[len(hist)-1-i] = v
	}
	a := truce.CallerFrom(ctx)
	// The page offers what the service's rules allow (it checks them
	// again).
	now := time.Now().UTC()
	canDecide := z.Pending > 0 && z.Pending <= len(hist) && truce.CanDecide(z, hist[z.Pending-1], ag.SignatoriesAt(now), a.Party.ID) == nil
	var geom json.RawMessage
	if len(hist) > 0 {
		geom = hist[len(hist)-1].Spec.Geometry
	}
	// A signatory may propose the next version once none is pending and
	// one is in force (the service checks roles and rules again).
	var current map[string]string
	if z.Current > 0 && z.Current <= len(hist) && truce.CanActOnZones(a, ag, now) == nil && truce.CanPropose(z, truce.ZoneChange, 0) == nil {
		current = currentFields(hist[z.Current-1].Spec)
	}
	var sign *signForm
	if canDecide {
		if sign, err = signFormFor(a.Party, hist[z.Pending-1]); err != nil {
			u.serviceError(w, r, err)
			return
		}
	}
	cfg := u.mapConfig(r)
	cfg.ZonesURL, cfg.Layers = "", nil
	u.render(w, r, http.StatusOK, "zone", map[string]any{"Zone": z, "View": z.ViewAt(ag, now), "Versions": rev, "Agreement": ag, "Parties": byID,
		"CanDecide": canDecide, "Geometry": string(geom), "Config": cfg, "Current": current, "Kinds": truce.ZoneKinds, "Sign": sign})
}

// signForm is what a decision form needs to sign in the browser
// (static/sign.js) for a party that holds its own key: the statement of
// each decision, as the API's statement endpoint serves it, and the
// party's registered verifier key, which the loaded key file must match.
// The key itself never reaches the server.
type signForm struct {
	Zone            string
	Version         int
	Party, Verifier string
	Approve, Reject string
}

// signFormFor returns the signing form of a decision on v, or nil for a
// custodial party (the server signs for it).
func signFormFor(p *truce.Party, v *truce.ZoneVersion) (*signForm, error) {
	if p.Custodial {
		return nil, nil
	}
	ap, err := truce.DecisionStatement(v, true)
	if err != nil {
		return nil, err
	}
	rj, err := truce.DecisionStatement(v, false)
	if err != nil {
		return nil, err
	}
	return &signForm{Zone: v.ZoneID, Version: v.Version, Party: p.Slug, Verifier: p.PublicKey, Approve: ap, Reject: rj}, nil
}

// currentFields fills the change form with the version in force.
func currentFields(s truce.ZoneSpec) map[string]string {
	alt := func(m *float64) string {
		if m == nil {
			return ""
		}
		return strconv.FormatFloat(*m, 'f', -1, 64) + "m"
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02T15:04")
	}
	f := map[string]string{"name": s.Name, "kind": string(s.Kind), "floor": alt(s.FloorM), "ceiling": alt(s.CeilingM)}
	if len(s.Windows) > 0 {
		f["window_start"], f["window_end"] = at(s.Windows[0].Start), at(s.Windows[0].End)
	}
	return f
}

func (u *UI) newZone(w http.ResponseWriter, r *http.Request) {
	ags, err := u.allAgreements(r.Context())
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	cfg := u.mapConfig(r)
	cfg.Draw = true
	cfg.ZonesURL = ""
	cfg.Layers = nil
	u.render(w, r, http.StatusOK, "zone_new", map[string]any{"Agreements": ags, "Selected": r.URL.Query().Get("agreement"),
		"Kinds": truce.ZoneKinds, "Config": cfg})
}

// maxUpload bounds an uploaded GeoJSON file.
const maxUpload = 4 << 20

// proposeZone proposes a zone drawn on the map (the "geometry" field) or
// uploaded as GeoJSON: a geometry or Feature becomes one proposal, a
// FeatureCollection an import of one proposal per feature.
func (u *UI) proposeZone(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, geom, err := zoneForm(r)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	if len(geom) == 0 {
		u.serviceError(w, r, truce.Errorf(truce.EINVALID, "Draw the zone on the map or upload a GeoJSON file."))
		return
	}
	var head struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Features   json.RawMessage `json:"features"`
		Properties map[string]any  `json:"properties"`
	}
	if err := json.Unmarshal(geom, &head); err != nil {
		u.serviceError(w, r, truce.Errorf(truce.EINVALID, "The file is not GeoJSON: %v.", err))
		return
	}
	switch head.Type {
	case "FeatureCollection":
		in := truce.ZoneImport{Agreement: p.Agreement, Features: head.Features, Defaults: p, EffectiveFrom: p.EffectiveFrom}
		in.Defaults.Agreement, in.Defaults.EffectiveFrom = "", nil
		if _, err := u.svc.Zones.ImportZones(ctx, in); err != nil {
			u.serviceError(w, r, err)
			return
		}
		http.Redirect(w, r, "/agreements/"+url.PathEscape(p.Agreement), http.StatusSeeOther)
		return
	case "Feature":
		p.Geometry = head.Geometry
		if n, ok := head.Properties["name"].(string); ok && p.Name == "" {
			p.Name = n
		}
		if k, ok := head.Properties["kind"].(string); ok && p.Kind == "" {
			p.Kind = truce.ZoneKind(k)
		}
	default:
		p.Geometry = geom
	}
	z, _, err := u.svc.Zones.ProposeZone(ctx, p)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/zones/"+url.PathEscape(z.ID), http.StatusSeeOther)
}

// zoneForm reads a zone form: the proposal's fields, and the geometry
// drawn on the map or uploaded (nil if neither).
func zoneForm(r *http.Request) (truce.ZoneProposal, []byte, error) {
	p := truce.ZoneProposal{Agreement: r.PostFormValue("agreement"), Name: strings.TrimSpace(r.PostFormValue("name")),
		Kind: truce.ZoneKind(r.PostFormValue("kind")), Floor: strings.TrimSpace(r.PostFormValue("floor")),
		Ceiling: strings.TrimSpace(r.PostFormValue("ceiling")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	start, err := parseLocalTime(r.PostFormValue("window_start"))
	if err != nil {
		return p, nil, err
	}
	end, err := parseLocalTime(r.PostFormValue("window_end"))
	if err != nil {
		return p, nil, err
	}
	if start != nil || end != nil {
		p.Windows = []truce.Window{{Start: start, End: end}}
	}
	if p.EffectiveFrom, err = parseLocalTime(r.PostFormValue("effective_from")); err != nil {
		return p, nil, err
	}
	geom := []byte(strings.TrimSpace(r.PostFormValue("geometry")))
	if f, _, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
		f.Close()
		if err != nil || len(b) > maxUpload {
			return p, nil, truce.Errorf(truce.ETOOLARGE, "A GeoJSON file is at most %d bytes.", maxUpload)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			geom = b
		}
	}
	return p, geom, nil
}

// proposeVersion proposes a new version of a zone from its page: a change
// (the form's fields, and the current area unless a GeoJSON geometry or
// Feature is uploaded), a suspension or a withdrawal.
func (u *UI) proposeVersion(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	var err error
	switch action := truce.ZoneAction(r.PostFormValue("action")); action {
	case truce.ZoneSuspension, truce.ZoneWithdrawal:
		var eff *time.Time
		if eff, err = parseLocalTime(r.PostFormValue("effective_from")); err != nil {
			break
		}
		note := strings.TrimSpace(r.PostFormValue("note"))
		if action == truce.ZoneSuspension {
			_, err = u.svc.Zones.ProposeSuspension(ctx, id, note, eff)
		} else {
			_, err = u.svc.Zones.ProposeWithdrawal(ctx, id, note, eff)
		}
	case truce.ZoneChange:
		err = u.proposeChange(r, id)
	default:
		err = truce.Errorf(truce.EINVALID, "Choose a change, a suspension or a withdrawal.")
	}
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/zones/"+url.PathEscape(id), http.StatusSeeOther)
}

func (u *UI) proposeChange(r *http.Request, id string) error {
	ctx := r.Context()
	p, geom, err := zoneForm(r)
	if err != nil {
		return err
	}
	ifVersion, err := strconv.ParseInt(r.PostFormValue("zone_version"), 10, 64)
	if err != nil {
		return truce.Errorf(truce.EINVALID, "The form lacks the zone's version; reload the page.")
	}
	if len(geom) == 0 {
		// Keep the area in force, as it was proposed.
		z, err := u.svc.Zones.FindZone(ctx, id)
		if err != nil {
			return err
		}
		if z.Current == 0 {
			return truce.Errorf(truce.EINVALID, "Zone %q has no version in force: upload its area.", id)
		}
		hist, err := u.svc.Zones.ZoneHistory(ctx, id)
		if err != nil {
			return err
		}
		if z.Current > len(hist) {
			return truce.Errorf(truce.EINTERNAL, "Zone %q has no version %d.", id, z.Current)
		}
		cur := hist[z.Current-1].Spec
		p.Geometry, p.HalfWidthM = cur.Geometry, cur.HalfWidthM
		if len(cur.Center) == 2 {
			p.Geometry = json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`,
				strconv.FormatFloat(cur.Center[0], 'f', -1, 64), strconv.FormatFloat(cur.Center[1], 'f', -1, 64)))
			p.RadiusM = cur.RadiusM
		}
	} else {
		var head struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
		}
		if err := json.Unmarshal(geom, &head); err != nil {
			return truce.Errorf(truce.EINVALID, "The file is not GeoJSON: %v.", err)
		}
		switch head.Type {
		case "FeatureCollection":
			return truce.Errorf(truce.EINVALID, "A change is to one zone: upload a geometry or a Feature, not a FeatureCollection.")
		case "Feature":
			p.Geometry = head.Geometry
		default:
			p.Geometry = geom
		}
	}
	p.Agreement = ""
	_, err = u.svc.Zones.ProposeChange(ctx, id, p, ifVersion)
	return err
}
