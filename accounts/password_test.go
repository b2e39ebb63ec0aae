package accounts_test

import (
	"strings"
	"testing"

	"github.com/truce-project/truce/accounts"
)

func TestPassword(t *testing.T) {
	h := accounts.HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if h == accounts.HashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !accounts.CheckPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"correct horse batterx", "", "correct horse battery "} {
		if accounts.CheckPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	for _, junk := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", strings.Replace(h, "m=19456", "m=0", 1)} {
		if accounts.CheckPassword(junk, "correct horse battery") {
			t.Fatalf("malformed hash %q accepted", junk)
		}
	}
}
