package node

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/ledger"
)

// KeySecretPath is where a server keeps the deployment's key secret, the
// secret custodial parties' keys are sealed under in the database, unless
// Config.KeySecret (TRUCE_KEY_SECRET) gives it. Every server of a
// deployment needs the same secret.
func KeySecretPath(dataDir string) string { return filepath.Join(dataDir, "key-secret") }

// keySecret returns the configured secret, or the data directory's,
// creating it (32 random bytes) when there is none.
func keySecret(c Config) ([]byte, error) {
	if c.KeySecret != "" {
		return []byte(c.KeySecret), nil
	}
	path := KeySecretPath(c.DataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		rand.Read(raw)
		if err := ledger.WriteKeyFile(path, base64.RawURLEncoding.EncodeToString(raw)+"\n"); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("key secret: %w", err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("key secret: %w", err)
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

// openKeys returns the deployment's keys over st: it checks that the
// party keys in the database open with this server's secret and moves
// party key files of earlier versions into the database.
func openKeys(ctx context.Context, c Config, st accounts.KeyStore) (*accounts.Keys, error) {
	secret, err := keySecret(c)
	if err != nil {
		return nil, err
	}
	k, err := accounts.NewKeys(filepath.Join(c.DataDir, "keys"), secret)
	if err != nil {
		return nil, err
	}
	if err := k.CheckSecret(ctx, st); err != nil {
		return nil, err
	}
	if _, err := k.ImportFiles(ctx, st, c.Logger); err != nil {
		return nil, fmt.Errorf("moving party key files into the database: %w", err)
	}
	return k, nil
}
