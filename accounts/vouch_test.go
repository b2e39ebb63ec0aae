package accounts_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
)

// TestService_UserReadsVouched: a user's row is edited behind the
// service (its name, then its roles: an operator made an administrator)
// and a token's row revived after its revocation. FindUser, ListUsers and
// ListTokens refuse them (EINTEGRITY) rather than serve what the journal
// never recorded. Before, all three served the edited rows.
func TestService_UserReadsVouched(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
			if err != nil {
				t.Fatal(err)
			}
			svc := accounts.New(st.Accounts(), journal.New(st), keys)
			_, _, rootTok, err := svc.Bootstrap(ctx, truce.PartyCreate{Slug: "un", Name: "UN", Kind: truce.PartyCoordinator},
				truce.UserCreate{Username: "root", Roles: []truce.Role{truce.RoleAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			admin, err := svc.AuthenticateToken(ctx, rootTok.Secret)
			if err != nil {
				t.Fatal(err)
			}
			actx := truce.NewContext(ctx, admin)
			op, err := svc.CreateUser(actx, truce.UserCreate{Party: "un", Username: "op", Name: "Operator", Roles: []truce.Role{truce.RoleOperator}})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := svc.CreateToken(actx, truce.TokenCreate{User: op.ID, Name: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RevokeToken(actx, tok.ID); err != nil {
				t.Fatal(err)
			}
			// As stored, every read serves.
			if _, err := svc.FindUser(actx, "op"); err != nil {
				t.Fatal(err)
			}
			if us, _, err := svc.ListUsers(actx, truce.UserFilter{}); err != nil || len(us) != 2 {
				t.Fatalf("users: %v %v", us, err)
			}
			if ts, err := svc.ListTokens(actx, "op"); err != nil || len(ts) != 1 {
				t.Fatalf("tokens: %v %v", ts, err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.Exec(q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			want := func(what string, err error) {
				t.Helper()
				if truce.ErrorCode(err) != truce.EINTEGRITY {
					t.Fatalf("%s: %v, want %s", what, err, truce.EINTEGRITY)
				}
			}
			for _, edit := range []string{`UPDATE users SET name = 'Someone else' WHERE username = 'op'`, `UPDATE users SET roles = 'admin' WHERE username = 'op'`} {
				exec(`UPDATE users SET name = 'Operator', roles = 'operator' WHERE username = 'op'`)
				if _, err := svc.FindUser(actx, "op"); err != nil {
					t.Fatalf("the user restored: %v", err)
				}
				exec(edit)
				_, err := svc.FindUser(actx, "op")
				want("FindUser after "+edit, err)
				_, _, err = svc.ListUsers(actx, truce.UserFilter{})
				want("ListUsers after "+edit, err)
			}
			exec(`UPDATE tokens SET revoked_at = NULL`)
			_, err = svc.ListTokens(actx, "root")
			if err != nil {
				t.Fatalf("root's own tokens, untouched: %v", err)
			}
			exec(`UPDATE users SET name = 'Operator', roles = 'operator' WHERE username = 'op'`)
			_, err = svc.ListTokens(actx, "op")
			want("ListTokens after a revoked token was revived", err)
		})
	}
}
