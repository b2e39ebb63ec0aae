package node

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/events"
)

// accountsFollowDelay bounds how long a token revoked or a user disabled
// on one server may still be served from another's cache: the bus reads
// the others' events every events.DefaultPollEvery (a second), plus the
// follower's turn, with room for a loaded machine.
const accountsFollowDelay = 2 * time.Second

// TestAccounts_FollowsOtherServers: two servers share a PostgreSQL
// database and each caches the callers it vouched for. A token revoked
// and a user disabled on the first are refused by the second within the
// follow delay, though the second's cache would keep its callers for an
// hour: it drops them on the first server's events. Before, the second
// server served the revoked token and the disabled user until its cache
// expired.
func TestAccounts_FollowsOtherServers(t *testing.T) {
	e := newTamperEnv(t, true)
	a := e.mustOpen(t)
	defer a.Close()
	b := e.mustOpen(t)
	defer b.Close()
	b.Accounts.Callers = accounts.NewCallerCache(0, time.Hour)
	admin := truce.NewContext(context.Background(), e.admin)
	op, err := a.Accounts.CreateUser(admin, truce.UserCreate{Party: e.admin.Party.ID, Username: "op", Name: "Operator", Roles: []truce.Role{truce.RoleOperator}})
	if err != nil {
		t.Fatal(err)
	}
	refusedOnB := func(what string, do func(tok *truce.Token) error) {
		t.Helper()
		tok, err := a.Accounts.CreateToken(admin, truce.TokenCreate{User: op.ID, Name: what})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := b.Accounts.AuthenticateToken(context.Background(), tok.Secret); err != nil {
				t.Fatalf("%s: the token on the second server: %v", what, err)
			}
		}
		if b.Accounts.Callers.Len() == 0 {
			t.Fatalf("%s: the second server cached nothing", what)
		}
		if err := do(tok); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			_, err := b.Accounts.AuthenticateToken(context.Background(), tok.Secret)
			if truce.ErrorCode(err) == truce.EUNAUTHORIZED {
				t.Logf("%s: refused on the second server after %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if time.Since(start) > accountsFollowDelay {
				t.Fatalf("%s: the second server still serves the token after %v", what, accountsFollowDelay)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	refusedOnB("revoked", func(tok *truce.Token) error {
		_, err := a.Accounts.RevokeToken(admin, tok.ID)
		return err
	})
	refusedOnB("disabled", func(*truce.Token) error {
		_, err := a.Accounts.DisableUser(admin, op.ID, 0)
		return err
	})
	// The events tell no more than the journal: no data, and the
	// visibility of the entry (the operator's party only).
	recs, err := a.Store.Events(context.Background(), events.Query{Kinds: accounts.ChangeKinds, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	for _, r := range recs {
		if r.Kind != "token" && r.Kind != "user" {
			continue
		}
		seen++
		if r.Data != nil || r.Index < 0 || r.Visibility.Scope != truce.ScopeParty || r.Visibility.Owner != e.admin.Party.ID {
			t.Fatalf("the event of %s %s: %+v", r.Kind, r.Subject, r)
		}
	}
	if seen < 4 {
		t.Fatalf("%d token and user events logged; want at least 4", seen)
	}
}
