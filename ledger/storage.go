package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxEntrySize is the largest journal entry in bytes: C2SP tlog-tiles entry
// bundles prefix each entry with a big-endian uint16 length.
const MaxEntrySize = 1<<16 - 1

// ErrNotFound is returned (wrapped) by a Storage, and by this package, for a
// checkpoint, entry or hash that does not exist; HTTP handlers answer 404.
var ErrNotFound = errors.New("ledger: not found")

// ErrEntryTooLarge is returned for an entry larger than MaxEntrySize.
var ErrEntryTooLarge = errors.New("ledger: entry larger than 65535 bytes")

// Storage is what the log reads from the database that owns the journal.
// Leaf i of the tree is entry i's bytes; stored hashes are those that
// tlog.StoredHashes produces, at tlog's stored-hash indexes, written in the
// same transaction as the entry. Implementations must be safe for concurrent
// use and return slices the caller may keep and modify.
type Storage interface {
	// TreeSize returns the number of entries.
	TreeSize(ctx context.Context) (int64, error)
	// ReadHashes returns the stored hashes at the given stored-hash
	// indexes, in the same order; an index not yet stored is ErrNotFound.
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// ReadEntries returns entries [start, end); a range beyond the tree is
	// ErrNotFound.
	ReadEntries(ctx context.Context, start, end int64) ([][]byte, error)
	// LatestCheckpoint returns the signed note of the largest checkpoint
	// stored, or ErrNotFound when there is none.
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	// Checkpoint returns the signed note of the checkpoint for size, or
	// ErrNotFound.
	Checkpoint(ctx context.Context, size int64) ([]byte, error)
	// PutCheckpoint stores the signed note of the checkpoint for size,
	// replacing any note stored for that size (the same body, with
	// cosignatures added). A size beyond TreeSize is an error.
	PutCheckpoint(ctx context.Context, size int64, signedNote []byte) error
}

// HashReader adapts s to tlog.HashReader for tlog's proof functions, which
// take no context.
func HashReader(ctx context.Context, s Storage) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs, err := s.ReadHashes(ctx, indexes)
		if err == nil && len(hs) != len(indexes) {
			err = fmt.Errorf("ledger: storage returned %d hashes for %d indexes", len(hs), len(indexes))
		}
		return hs, err
	})
}

// MemStorage is an in-memory Storage for tests and benchmarks. Entries are
// kept in one byte slice so that millions of them stay cheap.
type MemStorage struct {
	mu     sync.RWMutex
	hashes []tlog.Hash
	data   []byte
	offs   []int64 // offs[i] is where entry i starts in data; len = entries+1
	cps    map[int64][]byte
	latest int64
}

// NewMemStorage returns an empty MemStorage.
func NewMemStorage() *MemStorage {
	return &MemStorage{offs: []int64{0}, cps: map[int64][]byte{}, latest: -1}
}

// Append adds one entry as the next leaf and returns its index, computing its
// stored hashes with tlog.StoredHashes the way the database stores do.
func (m *MemStorage) Append(data []byte) (int64, error) {
	if len(data) > MaxEntrySize {
		return 0, ErrEntryTooLarge
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int64(len(m.offs) - 1)
	hs, err := tlog.StoredHashes(n, data, tlog.HashReaderFunc(m.readHashesLocked))
	if err != nil {
		return 0, err
	}
	m.hashes = append(m.hashes, hs...)
	m.data = append(m.data, data...)
	m.offs = append(m.offs, int64(len(m.data)))
	return n, nil
}

func (m *MemStorage) readHashesLocked(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("%w: stored hash %d", ErrNotFound, x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// TreeSize implements Storage.
func (m *MemStorage) TreeSize(context.Context) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.offs) - 1), nil
}

// ReadHashes implements Storage.
func (m *MemStorage) ReadHashes(_ context.Context, indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.readHashesLocked(indexes)
}

// ReadEntries implements Storage.
func (m *MemStorage) ReadEntries(_ context.Context, start, end int64) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if start < 0 || end < start || end > int64(len(m.offs)-1) {
		return nil, fmt.Errorf("%w: entries [%d, %d)", ErrNotFound, start, end)
	}
	out := make([][]byte, 0, end-start)
	for i := start; i < end; i++ {
		out = append(out, append([]byte{}, m.data[m.offs[i]:m.offs[i+1]]...))
	}
	return out, nil
}

// LatestCheckpoint implements Storage.
func (m *MemStorage) LatestCheckpoint(context.Context) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.latest < 0 {
		return nil, fmt.Errorf("%w: no checkpoint yet", ErrNotFound)
	}
	return append([]byte{}, m.cps[m.latest]...), nil
}

// Checkpoint implements Storage.
func (m *MemStorage) Checkpoint(_ context.Context, size int64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cp, ok := m.cps[size]
	if !ok {
		return nil, fmt.Errorf("%w: checkpoint for size %d", ErrNotFound, size)
	}
	return append([]byte{}, cp...), nil
}

// PutCheckpoint implements Storage.
func (m *MemStorage) PutCheckpoint(_ context.Context, size int64, signedNote []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size < 0 || size > int64(len(m.offs)-1) {
		return fmt.Errorf("ledger: checkpoint size %d beyond tree size %d", size, len(m.offs)-1)
	}
	m.cps[size] = append([]byte{}, signedNote...)
	if size > m.latest {
		m.latest = size
	}
	return nil
}
