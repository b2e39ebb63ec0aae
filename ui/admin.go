package ui

import (
	"net/http"
	"strings"

	"github.com/truce-project/truce"
)

func (u *UI) adminData(r *http.Request) (map[string]any, error) {
	ctx := r.Context()
	byID, parties, err := u.parties(ctx)
	if err != nil {
		return nil, err
	}
	var users []*truce.User
	f := truce.UserFilter{Limit: 500}
	for {
		us, next, err := u.svc.Users.ListUsers(ctx, f)
		if err != nil {
			return nil, err
		}
		users = append(users, us...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	tokens, err := u.svc.Tokens.ListTokens(ctx, "")
	if err != nil {
		return nil, err
	}
	a := truce.CallerFrom(ctx)
	d := map[string]any{"Parties": parties, "PartyByID": byID, "Users": users, "Tokens": tokens,
		"PartyKinds": []truce.PartyKind{truce.PartyGuarantor, truce.PartyMonitor, truce.PartyHumanitarian, truce.PartyCoordinator},
		"Roles":      truce.Roles, "IsAdmin": a.IsAdmin(), "Witnesses": u.witnessViews(r), "HasWitnesses": len(u.cfg.Witnesses) > 0}
	if u.svc.Aircraft != nil {
		all, err := u.svc.Aircraft.ListAircraft(ctx, "")
		if err != nil {
			return nil, err
		}
		var live []*truce.Aircraft
		for _, ac := range all {
			if !ac.Removed {
				live = append(live, ac)
			}
		}
		d["Aircraft"], d["HasRegistry"] = live, true
		// Party administrators and operators register for their own
		// party; the service refuses anything else.
		d["CanRegister"] = a.Require(truce.RoleOperator, truce.RolePartyAdmin) == nil
	}
	if u.svc.Feeds != nil && a.IsAdmin() {
		fs, err := u.svc.Feeds.ListFeeds(ctx)
		if err != nil {
			return nil, err
		}
		var live []*truce.FeedSource
		for _, f := range fs {
			if !f.Removed {
				live = append(live, f)
			}
		}
		d["Feeds"], d["HasFeeds"] = live, true
	}
	return d, nil
}

func (u *UI) admin(w http.ResponseWriter, r *http.Request) {
	d, err := u.adminData(r)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "admin", d)
}

func (u *UI) createParty(w http.ResponseWriter, r *http.Request) {
	_, err := u.svc.Parties.CreateParty(r.Context(), truce.PartyCreate{Slug: strings.TrimSpace(r.PostFormValue("slug")),
		Name: strings.TrimSpace(r.PostFormValue("name")), Kind: truce.PartyKind(r.PostFormValue("kind")),
		PublicKey: strings.TrimSpace(r.PostFormValue("public_key"))})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (u *UI) createUser(w http.ResponseWriter, r *http.Request) {
	var roles []truce.Role
	for _, s := range r.PostForm["role"] {
		roles = append(roles, truce.Role(s))
	}
	_, err := u.svc.Users.CreateUser(r.Context(), truce.UserCreate{Party: r.PostFormValue("party"),
		Username: strings.TrimSpace(r.PostFormValue("username")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Roles: roles, Password: r.PostFormValue("password")})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (u *UI) disableUser(w http.ResponseWriter, r *http.Request) {
	if _, err := u.svc.Users.DisableUser(r.Context(), r.PathValue("id"), 0); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// createToken shows the new token's secret once, as the API does.
func (u *UI) createToken(w http.ResponseWriter, r *http.Request) {
	t, err := u.svc.Tokens.CreateToken(r.Context(), truce.TokenCreate{User: strings.TrimSpace(r.PostFormValue("user")),
		Name: strings.TrimSpace(r.PostFormValue("name"))})
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	d, err := u.adminData(r)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	d["NewToken"] = t
	u.render(w, r, http.StatusOK, "admin", d)
}

func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request) {
	if _, err := u.svc.Tokens.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}
