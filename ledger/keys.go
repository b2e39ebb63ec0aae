package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
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

// GenerateLogKey creates the deployment's log signing key named name at path,
// unless a key is already there, and returns the verifier key.
func GenerateLogKey(path, name string) (vkey string, created bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		if _, err := note.NewSigner(string(b)); err != nil {
			return "", false, fmt.Errorf("log key %s: %w", path, err)
		}
		vk, err := os.ReadFile(path + ".pub")
		if err != nil {
			return "", false, fmt.Errorf("log verifier key: %w", err)
		}
		return string(vk), false, nil
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", false, err
	}
	if err := WriteKeyFile(path, skey); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(path+".pub", []byte(vkey), 0o644); err != nil {
		return "", false, err
	}
	return vkey, true, nil
}

// WriteKeyFile writes a private key to a new file with mode 0600, synced to
// disk; it never overwrites an existing key.
func WriteKeyFile(path, skey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := f.WriteString(skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
