package service

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"
)

// Keys keeps the private keys the deployment holds: its log signing key and
// the keys of custodial parties, each a C2SP signed-note private key in its
// own file with mode 0600.
type Keys struct {
	Dir string
}

// PartyKeyPath returns where a custodial party's private key is kept.
func (k *Keys) PartyKeyPath(slug string) string {
	return filepath.Join(k.Dir, "party-"+slug+".key")
}

// GenerateParty creates and saves a key pair for a custodial party and
// returns its verifier key. It refuses to overwrite an existing key.
func (k *Keys) GenerateParty(slug string) (string, error) {
	return k.generate(k.PartyKeyPath(slug), slug)
}

// PartySigner returns the signer of a custodial party.
func (k *Keys) PartySigner(slug string) (note.Signer, error) {
	b, err := os.ReadFile(k.PartyKeyPath(slug))
	if err != nil {
		return nil, err
	}
	return note.NewSigner(string(b))
}

// GenerateLog creates the deployment's log signing key named name at path,
// unless a key is already there, and returns the verifier key.
func GenerateLog(path, name string) (vkey string, created bool, err error) {
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
	k := &Keys{Dir: filepath.Dir(path)}
	vkey, err = k.generate(path, name)
	if err != nil {
		return "", false, err
	}
	if err := os.WriteFile(path+".pub", []byte(vkey), 0o644); err != nil {
		return "", false, err
	}
	return vkey, true, nil
}

func (k *Keys) generate(path, name string) (string, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	return vkey, WriteKeyFile(path, skey)
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
