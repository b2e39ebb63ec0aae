package accounts

import (
	"context"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/truce-project/truce"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/mod/sumdb/note"
)

// Keys keeps the private keys the deployment holds. Its log signing key
// is a file in the data directory (ledger.GenerateLogKey); the keys of custodial
// parties are in the database, sealed with XChaCha20-Poly1305 under a key
// derived (HKDF-SHA256) from the deployment's key secret, and written in
// the transaction that creates the party: a party never exists without
// its key nor a key without its party, and every server sharing the
// database (and the secret) can sign for every custodial party.
type Keys struct {
	// Dir is where earlier versions kept party keys as files
	// (party-SLUG.key); ImportFiles moves them into the database.
	Dir  string
	aead cipher.AEAD
}

// MinKeySecret is the least length of a deployment's key secret, in
// bytes.
const MinKeySecret = 16

// NewKeys returns Keys that seal party keys under secret.
func NewKeys(dir string, secret []byte) (*Keys, error) {
	if len(secret) < MinKeySecret {
		return nil, fmt.Errorf("the key secret is %d bytes; it needs at least %d", len(secret), MinKeySecret)
	}
	k, err := hkdf.Key(sha256.New, secret, nil, "truce party keys v1", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(k)
	if err != nil {
		return nil, err
	}
	return &Keys{Dir: dir, aead: aead}, nil
}

// sealVersion prefixes a sealed key: the format and the KDF's info.
const sealVersion = 1

// seal encrypts a private key for a party; the party's id is the
// additional data, so a sealed key moved to another party's row does not
// open.
func (k *Keys) seal(partyID, skey string) []byte {
	nonce := make([]byte, k.aead.NonceSize(), 1+k.aead.NonceSize()+len(skey)+k.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return k.aead.Seal(out, nonce, []byte(skey), []byte(partyID))
}

// ErrKeySecret is returned when a sealed key does not open: the server's
// key secret is not the one the key was sealed under.
var ErrKeySecret = errors.New("a party key does not open with this server's key secret: every server of a deployment needs the same secret (TRUCE_KEY_SECRET or DATA/key-secret)")

func (k *Keys) open(partyID string, sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
		return "", fmt.Errorf("party key of %s: unknown format", partyID)
	}
	b, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(partyID))
	if err != nil {
		return "", ErrKeySecret
	}
	return string(b), nil
}

// GenerateParty creates a key pair for a custodial party and returns its
// verifier key and its private key sealed for the party's row
// (Tx.InsertPartyKey). Nothing is written: the caller stores the sealed
// key in the party's transaction.
func (k *Keys) GenerateParty(partyID, slug string) (vkey string, sealed []byte, err error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, slug)
	if err != nil {
		return "", nil, err
	}
	return vkey, k.seal(partyID, skey), nil
}

// PartySigner returns the signer of a custodial party, from its sealed
// key in the database.
func (k *Keys) PartySigner(ctx context.Context, st KeyStore, p *truce.Party) (note.Signer, error) {
	sealed, err := st.PartyKey(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	skey, err := k.open(p.ID, sealed)
	if err != nil {
		return nil, err
	}
	return note.NewSigner(skey)
}

// CheckSecret fails with ErrKeySecret when the database holds party keys
// sealed under another secret, so a server started with the wrong secret
// stops at start-up, not at its first decision.
func (k *Keys) CheckSecret(ctx context.Context, st KeyStore) error {
	id, sealed, err := st.AnyPartyKey(ctx)
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	_, err = k.open(id, sealed)
	return err
}

// ImportFiles moves the party key files of earlier versions into the
// database: each file whose party exists, is custodial and has that
// public key is sealed and stored (unless the database already has the
// party's key), read back, and then removed. A file without its party
// (left by a server killed before the party's transaction committed) is
// left where it is and reported. It returns how many keys it imported.
func (k *Keys) ImportFiles(ctx context.Context, st KeyStore, log *slog.Logger) (int, error) {
	paths, err := filepath.Glob(filepath.Join(k.Dir, "party-*.key"))
	if err != nil || len(paths) == 0 {
		return 0, err
	}
	n := 0
	for _, path := range paths {
		slug := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "party-"), ".key")
		b, err := os.ReadFile(path)
		if err != nil {
			return n, err
		}
		skey := string(b)
		p, err := st.Party(ctx, slug)
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			log.Warn("party key file without a party: left in place", "file", path)
			continue
		} else if err != nil {
			return n, err
		}
		if !p.Custodial || !sameKey(skey, p.PublicKey) {
			log.Warn("party key file does not match the party's public key: left in place", "file", path, "party", p.Slug)
			continue
		}
		if _, err := st.ImportPartyKey(ctx, p.ID, k.seal(p.ID, skey)); err != nil {
			return n, err
		}
		signer, err := k.PartySigner(ctx, st, p)
		if err != nil {
			return n, fmt.Errorf("party key of %s after import: %w", p.Slug, err)
		}
		if v, err := note.NewVerifier(p.PublicKey); err != nil || v.KeyHash() != signer.KeyHash() {
			return n, fmt.Errorf("party key of %s: the database holds another key than %s", p.Slug, path)
		}
		if err := os.Remove(path); err != nil {
			return n, err
		}
		n++
		log.Info("party key moved into the database", "party", p.Slug, "file", path)
	}
	return n, nil
}

// sameKey reports whether skey is the private key of vkey.
func sameKey(skey, vkey string) bool {
	s, err := note.NewSigner(skey)
	if err != nil {
		return false
	}
	v, err := note.NewVerifier(vkey)
	return err == nil && s.Name() == v.Name() && s.KeyHash() == v.KeyHash()
}
