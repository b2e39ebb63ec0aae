package accounts

import (
	"time"

	"github.com/truce-project/truce"
)

// The accounts' rules, as pure functions of the caller and the records:
// who may manage whose users and tokens, and when a token may expire.

// canManage reports whether a caller administers the users of a party:
// an administrator administers every party's; a party administrator, their
// own party's.
func canManage(a *truce.Caller, partyID string) bool {
	return a.IsAdmin() || (a.User.HasRole(truce.RolePartyAdmin) && a.Party.ID == partyID)
}

// mayAddUsers says whether a caller may add users at all: an administrator
// or a party administrator.
func mayAddUsers(a *truce.Caller) error {
	if !a.IsAdmin() && !a.User.HasRole(truce.RolePartyAdmin) {
		return truce.Errorf(truce.EFORBIDDEN, "Only an administrator or a party administrator can add users.")
	}
	return nil
}

// mayCreateUser says whether a caller may add a user with roles to a
// party: to a party they administer, and with the admin role only as an
// administrator. A nil caller is the system (Bootstrap), which may.
func mayCreateUser(a *truce.Caller, partyID string, roles []truce.Role) error {
	if a == nil {
		return nil
	}
	if !canManage(a, partyID) {
		return truce.Errorf(truce.EFORBIDDEN, "You may add users only to your own party.")
	}
	for _, r := range roles {
		if r == truce.RoleAdmin && !a.IsAdmin() {
			return truce.Errorf(truce.EFORBIDDEN, "Only an administrator can grant the admin role.")
		}
	}
	return nil
}

// tokenExpiry returns a new token's expiry as stored (UTC, to the
// microsecond both databases keep; nil: it does not expire), or EINVALID
// unless it is after now.
func tokenExpiry(expires *time.Time, now time.Time) (*time.Time, error) {
	if expires == nil {
		return nil, nil
	}
	if !expires.After(now) {
		return nil, truce.Errorf(truce.EINVALID, "The expiry must be in the future.")
	}
	e := expires.UTC().Truncate(time.Microsecond)
	return &e, nil
}

// mayRevoke says whether a caller may revoke a token of a user of
// ownerParty: its owner, the party's administrator or an administrator.
func mayRevoke(a *truce.Caller, t *truce.Token, ownerParty string) error {
	if t.UserID != a.User.ID && !canManage(a, ownerParty) {
		return truce.Errorf(truce.EFORBIDDEN, "You may revoke only your own tokens.")
	}
	if t.RevokedAt != nil {
		return truce.Errorf(truce.ECONFLICT, "Token %q is already revoked.", t.ID)
	}
	return nil
}
