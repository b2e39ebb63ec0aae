package ledger_test

import (
	"context"
	"errors"
	"testing"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/ledger/ledgertest"
)

func TestMemStorage(t *testing.T) {
	m := ledger.NewMemStorage()
	ledgertest.TestStorage(t, m, func(_ context.Context, data []byte) (int64, error) {
		return m.Append(data)
	})
}

func TestMemStorage_AppendTooLarge(t *testing.T) {
	m := ledger.NewMemStorage()
	if _, err := m.Append(make([]byte, ledger.MaxEntrySize+1)); !errors.Is(err, ledger.ErrEntryTooLarge) {
		t.Fatalf("err = %v, want ErrEntryTooLarge", err)
	}
	if n, _ := m.TreeSize(context.Background()); n != 0 {
		t.Fatalf("tree size %d after a refused append", n)
	}
}
