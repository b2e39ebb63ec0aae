package accounts_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// callerEnv is a service over a fresh store with a clock the test moves,
// an administrator and an operator with a token.
type callerEnv struct {
	st    interface{ Accounts() accounts.Store }
	db    *sql.DB
	svc   *accounts.Service
	now   atomic.Int64 // unix microseconds
	admin context.Context
	op    *truce.User
	tok   *truce.Token
}

func newCallerEnv(t *testing.T, open func(testing.TB) teststores.TestStore) *callerEnv {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	e := &callerEnv{st: st, db: st.(interface{ DB() *sql.DB }).DB()}
	e.now.Store(journal.Now().UnixMicro())
	j := journal.New(st)
	j.Now = e.clock
	keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	e.svc = accounts.New(st.Accounts(), j, keys)
	_, _, rootTok, err := e.svc.Bootstrap(ctx, truce.PartyCreate{Slug: "un", Name: "UN", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "root", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := e.svc.AuthenticateToken(ctx, rootTok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	e.admin = truce.NewContext(ctx, admin)
	if e.op, err = e.svc.CreateUser(e.admin, truce.UserCreate{Party: "un", Username: "op", Name: "Operator", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
		t.Fatal(err)
	}
	if e.tok, err = e.svc.CreateToken(e.admin, truce.TokenCreate{User: e.op.ID, Name: "cli"}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *callerEnv) clock() time.Time { return time.UnixMicro(e.now.Load()).UTC() }

func (e *callerEnv) advance(d time.Duration) { e.now.Add(d.Microseconds()) }

// cached authenticates the operator's token twice, the second time from
// the cache.
func (e *callerEnv) cached(t *testing.T) *truce.Caller {
	t.Helper()
	for range 2 {
		if _, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if e.svc.Callers.Len() == 0 {
		t.Fatal("nothing cached")
	}
	a, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func wantRefused(t *testing.T, what string, a *truce.Caller, err error, code string) {
	t.Helper()
	if truce.ErrorCode(err) != code {
		t.Fatalf("%s: %+v %v; want %s", what, a, err, code)
	}
}

// TestCallerCache_RevokedAtOnce: a token revoked, a user disabled on this
// server is refused by the very next request, though its caller was
// cached a moment before.
func TestCallerCache_RevokedAtOnce(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newCallerEnv(t, open)
			e.cached(t)
			if _, err := e.svc.RevokeToken(e.admin, e.tok.ID); err != nil {
				t.Fatal(err)
			}
			a, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
			wantRefused(t, "the revoked token", a, err, truce.EUNAUTHORIZED)

			tok, err := e.svc.CreateToken(e.admin, truce.TokenCreate{User: e.op.ID, Name: "second"})
			if err != nil {
				t.Fatal(err)
			}
			e.tok = tok
			e.cached(t)
			if _, err := e.svc.DisableUser(e.admin, "op", 0); err != nil {
				t.Fatal(err)
			}
			a, err = e.svc.AuthenticateToken(context.Background(), tok.Secret)
			wantRefused(t, "the disabled user's token", a, err, truce.EUNAUTHORIZED)
		})
	}
}

// TestCallerCache_RoleRemovedElsewhere: a role is removed from the user by
// a journalled write this service did not make (another server sharing
// the database, whose event this one has not heard). The cached caller
// keeps it for at most the cache's maximum age; then the vouched read
// runs again and the role is gone. Forget (what the node calls on the
// other server's event) makes it take effect at once.
func TestCallerCache_RoleRemovedElsewhere(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newCallerEnv(t, open)
			if a := e.cached(t); !a.User.HasRole(truce.RoleOperator) {
				t.Fatalf("the operator: %+v", a.User)
			}
			removeRoles := func() {
				t.Helper()
				u, err := e.svc.FindUser(e.admin, "op")
				if err != nil {
					t.Fatal(err)
				}
				u.Roles, u.Version, u.UpdatedAt = nil, u.Version+1, e.clock()
				if _, err := journal.Write(e.admin, e.svc.Journal, e.st.Accounts(), truce.CallerFrom(e.admin), func(tx accounts.Tx, w *journal.Writer) (*truce.User, error) {
					u.JournalIndex = w.Journal(truce.Change{Kind: "user", Subject: u.ID, Body: u, Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: u.PartyID}})
					return u, tx.UpdateUser(e.admin, u)
				}); err != nil {
					t.Fatal(err)
				}
			}
			removeRoles()
			e.advance(accounts.DefaultCallerMaxAge)
			a, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
			if err != nil || a.User.HasRole(truce.RoleOperator) {
				t.Fatalf("after the cache's maximum age: %+v %v; want the operator without the role", a.User, err)
			}

			// The same, heard of: at once.
			e.svc.Forget()
			if _, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCallerCache_EditedBehindCaught: a user's row edited behind the
// service (an operator made an administrator) is refused (EINTEGRITY) by
// the vouched read, which runs whenever the cache misses: at once when
// nothing is cached, and once the cached caller is past its maximum age.
// The cache never serves the edited row's roles.
func TestCallerCache_EditedBehindCaught(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newCallerEnv(t, open)
			e.cached(t)
			if _, err := e.db.Exec(`UPDATE users SET roles = 'admin' WHERE username = 'op'`); err != nil {
				t.Fatal(err)
			}
			// Within its age the cached caller is what the journal vouched
			// for: the role the edit gave is not served.
			a, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
			if err != nil || a.IsAdmin() {
				t.Fatalf("within the cache's age: %+v %v; want the vouched operator", a.User, err)
			}
			e.advance(accounts.DefaultCallerMaxAge)
			a, err = e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
			wantRefused(t, "past the cache's age", a, err, truce.EINTEGRITY)
			// Refusals are not cached: the next request reads again.
			a, err = e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
			wantRefused(t, "again", a, err, truce.EINTEGRITY)
			if n := e.svc.Callers.Len(); n != 0 {
				t.Fatalf("%d callers cached after refusals", n)
			}
		})
	}
}

// TestCallerCache_RevokeRacingReads: requests authenticate the token
// without pause while it is revoked. Not one that starts after
// RevokeToken returned is let in, though reads that began before the
// revocation (and found the token good) finish around it and would put
// their caller in the cache.
func TestCallerCache_RevokeRacingReads(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			e := newCallerEnv(t, open)
			e.cached(t)
			var revoked, stop atomic.Bool
			var served atomic.Int64
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					for !stop.Load() {
						after := revoked.Load()
						a, err := e.svc.AuthenticateToken(context.Background(), e.tok.Secret)
						if after && err == nil {
							errs <- fmt.Errorf("a request begun after the revocation was let in as %s", a.User.Username)
							return
						}
						if err == nil {
							served.Add(1)
						} else if truce.ErrorCode(err) != truce.EUNAUTHORIZED {
							errs <- err
							return
						}
					}
					errs <- nil
				}()
			}
			time.Sleep(50 * time.Millisecond)
			e.svc.Callers.Forget() // some reads are under way when it is revoked
			if _, err := e.svc.RevokeToken(e.admin, e.tok.ID); err != nil {
				t.Fatal(err)
			}
			revoked.Store(true)
			time.Sleep(100 * time.Millisecond)
			stop.Store(true)
			for range 4 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if served.Load() == 0 {
				t.Fatal("no request was served before the revocation")
			}
		})
	}
}
