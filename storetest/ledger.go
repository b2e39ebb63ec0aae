package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger/ledgertest"
)

// LedgerAppend returns the append function with which a store runs
// ledgertest.TestStorageLeaves: each test entry is journalled through
// s.Update like any change, the entry's data becoming the record body. The
// leaf is then the entry's canonical JSON, so the data also sets the
// subject's length, and the leaves range from about 200 bytes to near the
// 64 KiB entry limit.
func LedgerAppend(s Store) ledgertest.LeafAppendFunc {
	return func(ctx context.Context, data []byte) (int64, []byte, error) {
		sum := sha256.Sum256(data)
		subject := hex.EncodeToString(sum[:]) + strings.Repeat("s", min(len(data), 60000))
		c, err := truce.Change{Kind: "ledgertest", Subject: subject, Body: data, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.
			Seal("ledgertest-party", "ledgertest-user", time.Now())
		if err != nil {
			return 0, nil, err
		}
		var idx int64
		err = s.Update(ctx, func(tx truce.Tx) error {
			i, err := tx.Append(ctx, c)
			idx = i
			return err
		})
		if err != nil {
			return 0, nil, err
		}
		leaf, err := c.Entry.Leaf()
		return idx, leaf, err
	}
}
