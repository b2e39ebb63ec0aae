package ledger_test

import (
	"crypto/rand"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func newLogKey(t *testing.T, name string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}
