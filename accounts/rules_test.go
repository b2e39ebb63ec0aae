package accounts

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
)

func caller(party string, roles ...truce.Role) *truce.Caller {
	return &truce.Caller{User: &truce.User{ID: "user-" + party, PartyID: party, Roles: roles}, Party: &truce.Party{ID: party}}
}

var (
	admin      = caller("un", truce.RoleAdmin)
	partyAdmin = caller("us", truce.RolePartyAdmin)
	operator   = caller("us", truce.RoleOperator)
)

func code(err error) string {
	if err == nil {
		return ""
	}
	return truce.ErrorCode(err)
}

func TestMayCreateUser(t *testing.T) {
	for _, tc := range []struct {
		name      string
		caller    *truce.Caller
		party     string
		roles     []truce.Role
		mayAdd    string // mayAddUsers' code
		mayCreate string // mayCreateUser's code
	}{
		{"admin, any party, admin role", admin, "ru", []truce.Role{truce.RoleAdmin}, "", ""},
		{"admin, own party", admin, "un", []truce.Role{truce.RoleOperator}, "", ""},
		{"party admin, own party", partyAdmin, "us", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}, "", ""},
		{"party admin, own party, no roles", partyAdmin, "us", nil, "", ""},
		{"party admin, another party", partyAdmin, "ru", []truce.Role{truce.RoleOperator}, "", truce.EFORBIDDEN},
		{"party admin grants admin", partyAdmin, "us", []truce.Role{truce.RoleOperator, truce.RoleAdmin}, "", truce.EFORBIDDEN},
		{"operator, own party", operator, "us", []truce.Role{truce.RoleOperator}, truce.EFORBIDDEN, truce.EFORBIDDEN},
		{"system (bootstrap)", nil, "un", []truce.Role{truce.RoleAdmin}, "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mayAdd != "-" {
				if got := code(mayAddUsers(tc.caller)); got != tc.mayAdd {
					t.Errorf("mayAddUsers: %q, want %q", got, tc.mayAdd)
				}
			}
			if got := code(mayCreateUser(tc.caller, tc.party, tc.roles)); got != tc.mayCreate {
				t.Errorf("mayCreateUser: %q, want %q", got, tc.mayCreate)
			}
		})
	}
}

func TestCanManage(t *testing.T) {
	for _, tc := range []struct {
		caller *truce.Caller
		party  string
		want   bool
	}{
		{admin, "us", true},
		{admin, "un", true},
		{partyAdmin, "us", true},
		{partyAdmin, "ru", false},
		{operator, "us", false},
		{caller("us", truce.RoleAnalyst, truce.RolePartyAdmin), "us", true},
	} {
		if got := canManage(tc.caller, tc.party); got != tc.want {
			t.Errorf("canManage(%s %v, %s) = %v, want %v", tc.caller.Party.ID, tc.caller.User.Roles, tc.party, got, tc.want)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	beirut := time.FixedZone("EET", 2*3600)
	later := time.Date(2026, 12, 7, 15, 0, 0, 123456789, beirut) // 13:00:00.123456789 UTC
	for _, tc := range []struct {
		name    string
		expires *time.Time
		want    *time.Time
		code    string
	}{
		{"none: never expires", nil, nil, ""},
		{"an hour ahead", at(time.Hour), at(time.Hour), ""},
		{"a nanosecond ahead", at(time.Nanosecond), at(0), ""},
		{"now", at(0), nil, truce.EINVALID},
		{"past", at(-time.Minute), nil, truce.EINVALID},
		{"another zone, to the microsecond in UTC", &later, at(time.Hour + 123456*time.Microsecond), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tokenExpiry(tc.expires, now)
			if code(err) != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && (!got.Equal(*tc.want) || got.Location() != time.UTC)) {
				t.Fatalf("expiry %v, want %v (UTC)", got, tc.want)
			}
		})
	}
}

func TestTokenActive(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	for _, tc := range []struct {
		name string
		tok  truce.Token
		want bool
	}{
		{"no expiry", truce.Token{}, true},
		{"expires later", truce.Token{ExpiresAt: at(time.Second)}, true},
		{"expires now", truce.Token{ExpiresAt: at(0)}, false},
		{"expired", truce.Token{ExpiresAt: at(-time.Second)}, false},
		{"revoked", truce.Token{RevokedAt: at(-time.Hour)}, false},
		{"revoked, not yet expired", truce.Token{ExpiresAt: at(time.Hour), RevokedAt: at(-time.Hour)}, false},
	} {
		if got := tc.tok.Active(now); got != tc.want {
			t.Errorf("%s: Active = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMayRevoke(t *testing.T) {
	now := time.Now()
	mine := &truce.Token{ID: "t1", UserID: operator.User.ID}
	revoked := &truce.Token{ID: "t2", UserID: operator.User.ID, RevokedAt: &now}
	for _, tc := range []struct {
		name   string
		caller *truce.Caller
		tok    *truce.Token
		owner  string
		code   string
	}{
		{"owner", operator, mine, "us", ""},
		{"party admin of the owner", partyAdmin, mine, "us", ""},
		{"admin", admin, mine, "us", ""},
		{"party admin of another party", caller("ru", truce.RolePartyAdmin), mine, "us", truce.EFORBIDDEN},
		{"another operator of the party", caller("us", truce.RoleOperator), &truce.Token{ID: "t3", UserID: "someone"}, "us", truce.EFORBIDDEN},
		{"already revoked", operator, revoked, "us", truce.ECONFLICT},
		{"already revoked, not the caller's", caller("ru", truce.RoleOperator), revoked, "us", truce.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(mayRevoke(tc.caller, tc.tok, tc.owner)); got != tc.code {
				t.Fatalf("mayRevoke: %q, want %q", got, tc.code)
			}
		})
	}
}
