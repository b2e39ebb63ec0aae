package ledger

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// edVerifier is a note verifier that remembers its encoded key, so the log
// can publish the key it signs with.
type edVerifier struct {
	note.Verifier
	vkey string
}

// VerifierKeyFor returns the signed-note verifier key (type 0x01) for a
// private key from note.GenerateKey, so a deployment needs to keep only the
// private key.
func VerifierKeyFor(skey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("%w: not a signed-note private key", ErrKey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return "", fmt.Errorf("%w: want an Ed25519 note key", ErrKey)
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	return vkey, nil
}

func verifierFromSigner(skey string) (note.Verifier, error) {
	vkey, err := VerifierKeyFor(skey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return &edVerifier{Verifier: v, vkey: vkey}, nil
}
