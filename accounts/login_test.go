package accounts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/sqlite"
)

// loginService is a service over a fresh SQLite file with one user, "op",
// whose password is "right-password-1", and a clock the test moves.
func loginService(t *testing.T) (*accounts.Service, *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	svc := accounts.New(st.Accounts(), journal.New(st), keys)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC).UnixNano())
	svc.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	if _, _, _, err := svc.Bootstrap(ctx, truce.PartyCreate{Slug: "un", Name: "UN", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "op", Name: "Operator", Roles: []truce.Role{truce.RoleAdmin}, Password: "right-password-1"}); err != nil {
		t.Fatal(err)
	}
	return svc, &clock
}

func from(addr string) context.Context {
	return truce.WithClientAddr(context.Background(), addr)
}

// TestAuthenticatePassword_Flood: 64 concurrent sign-ins (each from its own
// address, so no rate limit stops them) never have more password hashes
// running than there are CPUs, and the heap stays far below what 64
// argon2id hashes at once take (64 × 19 MiB = 1.2 GiB; the bound leaves
// room for hashes' memory the collector has not taken back yet).
func TestAuthenticatePassword_Flood(t *testing.T) {
	svc, _ := loginService(t)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	const n = 64
	var wg sync.WaitGroup
	var refused, unauthorized atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.AuthenticatePassword(from(fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)), fmt.Sprintf("user-%d", i), "wrong")
			switch truce.ErrorCode(err) {
			case truce.EUNAUTHORIZED:
				unauthorized.Add(1)
			case truce.EUNAVAILABLE:
				if truce.RetryAfterOf(err) <= 0 {
					t.Errorf("busy without a retry hint: %v", err)
				}
				refused.Add(1)
			default:
				t.Errorf("sign-in %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	grew := int64(peak.Load()) - int64(base)
	t.Logf("heap in use grew by %d MiB at most; %d refused as busy, %d checked", grew>>20, refused.Load(), unauthorized.Load())
	if limit := int64(256 << 20); grew > limit {
		t.Fatalf("heap in use grew by %d MiB under %d concurrent sign-ins; bound %d MiB", grew>>20, n, limit>>20)
	}
	if got, want := accounts.PasswordHashPeak(), runtime.GOMAXPROCS(0); got > want || got < 1 {
		t.Fatalf("%d password hashes ran at once; cap %d", got, want)
	}
	if refused.Load()+unauthorized.Load() != n {
		t.Fatalf("%d answers, want %d", refused.Load()+unauthorized.Load(), n)
	}
}

// TestAuthenticatePassword_Backoff: repeated failures for one user from
// one address are refused with ETOOMANY and a retry hint before any
// password is checked, while the right password from another address
// still signs in, and from the first address once the backoff has passed.
func TestAuthenticatePassword_Backoff(t *testing.T) {
	svc, clock := loginService(t)
	attacker, victim := from("203.0.113.7"), from("198.51.100.20")
	var wait time.Duration
	for i := range 20 {
		_, err := svc.AuthenticatePassword(attacker, "op", fmt.Sprintf("guess-%d", i))
		if truce.ErrorCode(err) == truce.ETOOMANY {
			if wait = truce.RetryAfterOf(err); wait <= 0 {
				t.Fatalf("429 without a retry hint: %v", err)
			}
			if i < 3 {
				t.Fatalf("throttled after only %d failures", i)
			}
			break
		}
		if truce.ErrorCode(err) != truce.EUNAUTHORIZED {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if wait == 0 {
		t.Fatal("20 failed guesses in a row and never throttled")
	}
	// The right password from the attacker's address is refused too: the
	// backoff is checked before the password.
	if _, err := svc.AuthenticatePassword(attacker, "op", "right-password-1"); truce.ErrorCode(err) != truce.ETOOMANY {
		t.Fatalf("right password during the backoff: %v", err)
	}
	if a, err := svc.AuthenticatePassword(victim, "op", "right-password-1"); err != nil || a.User.Username != "op" {
		t.Fatalf("the user from another address is locked out: %v", err)
	}
	clock.Add(int64(wait + time.Second))
	if _, err := svc.AuthenticatePassword(attacker, "op", "right-password-1"); err != nil {
		t.Fatalf("after the backoff: %v", err)
	}
}

// TestAuthenticatePassword_SourceLimit: one address trying many user names
// (password spraying) is throttled, and other addresses are not.
func TestAuthenticatePassword_SourceLimit(t *testing.T) {
	svc, _ := loginService(t)
	sprayer := from("192.0.2.1")
	throttled := false
	for i := range 200 {
		_, err := svc.AuthenticatePassword(sprayer, fmt.Sprintf("name-%d", i), "Winter2026!")
		if truce.ErrorCode(err) == truce.ETOOMANY {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("200 sign-ins from one address for 200 names, none throttled")
	}
	if _, err := svc.AuthenticatePassword(from("192.0.2.2"), "op", "right-password-1"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}
