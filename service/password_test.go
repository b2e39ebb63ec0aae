package service_test

import (
	"strings"
	"testing"

	"github.com/truce-project/truce/service"
)

func TestPassword(t *testing.T) {
	h := service.HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if h == service.HashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if !service.CheckPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	for _, bad := range []string{"correct horse batterx", "", "correct horse battery "} {
		if service.CheckPassword(h, bad) {
			t.Fatalf("wrong password %q accepted", bad)
		}
	}
	for _, junk := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", strings.Replace(h, "m=19456", "m=0", 1)} {
		if service.CheckPassword(junk, "correct horse battery") {
			t.Fatalf("malformed hash %q accepted", junk)
		}
	}
}
