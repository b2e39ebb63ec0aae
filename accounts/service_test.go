package accounts_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// stores opens the SQL store, with every capability's view, fresh on each
// database: the tests' shared fixture (teststores).
var stores = teststores.StoreOpeners

// TestService_Accounts walks the accounts' life on both stores: a
// deployment bootstrapped, a party and its administrator, who adds
// users to their own party only, tokens made, used and revoked, and a
// user disabled.
func TestService_Accounts(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
			if err != nil {
				t.Fatal(err)
			}
			svc := accounts.New(st.Accounts(), journal.New(st), keys)
			wantCode := func(what string, err error, code string) {
				t.Helper()
				if truce.ErrorCode(err) != code {
					t.Fatalf("%s: %v, want %s", what, err, code)
				}
			}
			sec, root, rootTok, err := svc.Bootstrap(ctx, truce.PartyCreate{Slug: "un", Name: "UN", Kind: truce.PartyCoordinator},
				truce.UserCreate{Username: "root", Roles: []truce.Role{truce.RoleAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			_, _, _, err = svc.Bootstrap(ctx, truce.PartyCreate{Slug: "again", Name: "Again", Kind: truce.PartyCoordinator}, truce.UserCreate{Username: "again"})
			wantCode("a second bootstrap", err, truce.ECONFLICT)
			admin, err := svc.AuthenticateToken(ctx, rootTok.Secret)
			if err != nil || admin.User.ID != root.ID || admin.Party.ID != sec.ID {
				t.Fatalf("the bootstrap token: %+v, %v", admin, err)
			}
			actx := truce.NewContext(ctx, admin)

			us, err := svc.CreateParty(actx, truce.PartyCreate{Slug: "us", Name: "US", Kind: truce.PartyGuarantor})
			if err != nil || !us.Custodial {
				t.Fatalf("custodial party: %+v, %v", us, err)
			}
			if _, err := svc.PartySigner(ctx, us); err != nil {
				t.Fatalf("the custodial party's signer: %v", err)
			}
			ru, err := svc.CreateParty(actx, truce.PartyCreate{Slug: "ru", Name: "RU", Kind: truce.PartyGuarantor})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.CreateParty(actx, truce.PartyCreate{Slug: "us", Name: "US again", Kind: truce.PartyGuarantor})
			wantCode("a taken slug", err, truce.ECONFLICT)

			boss, err := svc.CreateUser(actx, truce.UserCreate{Party: "us", Username: "us-boss", Roles: []truce.Role{truce.RolePartyAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			bossTok, err := svc.CreateToken(actx, truce.TokenCreate{User: boss.ID, Name: "boss"})
			if err != nil {
				t.Fatal(err)
			}
			bossCaller, err := svc.AuthenticateToken(ctx, bossTok.Secret)
			if err != nil {
				t.Fatal(err)
			}
			bctx := truce.NewContext(ctx, bossCaller)
			op, err := svc.CreateUser(bctx, truce.UserCreate{Party: us.ID, Username: "us-op", Roles: []truce.Role{truce.RoleOperator}})
			if err != nil {
				t.Fatalf("a party admin adds to their party: %v", err)
			}
			_, err = svc.CreateUser(bctx, truce.UserCreate{Party: ru.ID, Username: "ru-op", Roles: []truce.Role{truce.RoleOperator}})
			wantCode("a party admin adds to another party", err, truce.EFORBIDDEN)
			_, err = svc.CreateUser(bctx, truce.UserCreate{Party: us.ID, Username: "us-root", Roles: []truce.Role{truce.RoleAdmin}})
			wantCode("a party admin grants admin", err, truce.EFORBIDDEN)
			_, err = svc.CreateUser(bctx, truce.UserCreate{Party: us.ID, Username: "us-op", Roles: []truce.Role{truce.RoleOperator}})
			wantCode("a taken username", err, truce.ECONFLICT)
			if _, err := svc.FindUser(bctx, "root"); truce.ErrorCode(err) != truce.ENOTFOUND {
				t.Fatalf("another party's user: %v, want ENOTFOUND", err)
			}

			past := time.Now().Add(-time.Minute)
			_, err = svc.CreateToken(bctx, truce.TokenCreate{User: op.ID, Name: "old", ExpiresAt: &past})
			wantCode("a token expiring in the past", err, truce.EINVALID)
			soon := time.Now().Add(time.Hour)
			opTok, err := svc.CreateToken(bctx, truce.TokenCreate{User: op.Username, Name: "cli", ExpiresAt: &soon})
			if err != nil {
				t.Fatal(err)
			}
			if c, err := svc.AuthenticateToken(ctx, opTok.Secret); err != nil || c.User.ID != op.ID {
				t.Fatalf("the operator's token: %+v, %v", c, err)
			}
			if _, err := svc.RevokeToken(bctx, opTok.ID); err != nil {
				t.Fatalf("the party admin revokes: %v", err)
			}
			_, err = svc.RevokeToken(bctx, opTok.ID)
			wantCode("a second revocation", err, truce.ECONFLICT)
			_, err = svc.AuthenticateToken(ctx, opTok.Secret)
			wantCode("a revoked token", err, truce.EUNAUTHORIZED)

			tok2, err := svc.CreateToken(bctx, truce.TokenCreate{User: op.ID, Name: "cli2"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.DisableUser(bctx, op.ID, op.Version); err != nil {
				t.Fatal(err)
			}
			_, err = svc.AuthenticateToken(ctx, tok2.Secret)
			wantCode("a disabled user's token", err, truce.EUNAUTHORIZED)

			// The accounts' self-check finds every record as journalled.
			n, err := svc.CheckState(ctx, func(err error) error { return err })
			if err != nil {
				t.Fatalf("self-check: %v", err)
			}
			// 3 parties; users root, us-boss, us-op; tokens bootstrap, boss, cli, cli2.
			if n != 3+3+4 {
				t.Fatalf("self-check checked %d records, want 10", n)
			}
		})
	}
}
