package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce/ledger"
)

// The log vouches for state (DESIGN.md): each capability checks every record
// the engines and the API use against its journal entries (journal/vouch.go);
// the node reports what it found in /readyz and /metrics, extends the
// self-check to the state, and keeps the latest checkpoint it signed
// outside the database, so that deleted checkpoints or a rolled-back
// journal are caught by the server itself, not only by verifiers who kept
// an older checkpoint.

// CheckpointPath is where a server keeps the latest checkpoint of the log
// it has signed: in its own data directory, so each of several servers
// sharing a PostgreSQL database has its own.
func CheckpointPath(dataDir string) string { return filepath.Join(dataDir, "log.checkpoint") }

// ErrLogRolledBack is returned by Open when the log in the database is
// smaller than, or not an extension of, the checkpoint kept in the data
// directory, or lacks it.
var ErrLogRolledBack = errors.New("the log in the database does not extend the checkpoint this server signed")

// fileCheckpoints is the log's storage with every checkpoint stored also
// written, atomically, to a file in the data directory (the largest so
// far).
type fileCheckpoints struct {
	ledger.Storage
	path string

	mu   sync.Mutex
	size int64 // tree size of the checkpoint in the file; -1 none
	err  error // the last write's failure, for /readyz
	// rewritten, when set, says the tree's root at the kept size is not
	// the kept checkpoint's.
	rewritten string
}

// PutCheckpoint stores the checkpoint in the database, then in the file.
// A file that cannot be written does not stop the log: /readyz reports it.
func (f *fileCheckpoints) PutCheckpoint(ctx context.Context, size int64, signedNote []byte) error {
	if err := f.Storage.PutCheckpoint(ctx, size, signedNote); err != nil {
		return err
	}
	f.keep(size, signedNote)
	return nil
}

func (f *fileCheckpoints) keep(size int64, signedNote []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if size < f.size {
		return
	}
	if err := ledger.WriteFileAtomic(f.path, signedNote); err != nil {
		f.err = err
		return
	}
	f.size, f.err = size, nil
}

// checkKeptCheckpoint compares the log in the database with the
// checkpoint kept in the data directory, before anything is signed
// (ledger.CheckKept says whether the log extends it): a log with fewer
// entries, or without that checkpoint, stops the start-up; a rewritten
// one starts but is never ready. Then it keeps the database's latest
// checkpoint in the file if that is larger (the first start with a file,
// or another server's).
func (n *Node) checkKeptCheckpoint(ctx context.Context, fc *fileCheckpoints) error {
	ls := fc.Storage
	fc.size = -1
	b, err := os.ReadFile(fc.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("kept checkpoint: %w", err)
	default:
		c, _, err := ledger.OpenCheckpoint(b, n.Ledger.Verifier())
		if err != nil {
			return fmt.Errorf("%w: %s does not hold a checkpoint signed by this log's key: %v", ErrLogRolledBack, fc.path, err)
		}
		k, err := ledger.CheckKept(ctx, ls, c)
		if err != nil {
			return err
		}
		if k.Fewer {
			return fmt.Errorf("%w: the database holds %d entries, fewer than the %d of the checkpoint signed earlier and kept in %s: entries were deleted, or the database was restored from an older copy. Truce will not serve or sign a log smaller than what it signed; restore the database (or, if this is intended, move %s aside)",
				ErrLogRolledBack, k.Size, c.Size, fc.path, fc.path)
		}
		if k.Rewritten {
			// The server starts, so that the self-check can name the
			// entry, but is never ready and signs nothing of this tree
			// (the log refuses a tree inconsistent with what it signed).
			fc.rewritten = fmt.Sprintf("log: the first %d entries in the database are not those of the checkpoint signed earlier and kept in %s: the history was rewritten", c.Size, fc.path)
			n.log.Error(fc.rewritten)
		}
		if k.Missing {
			return fmt.Errorf("%w: the database lacks the checkpoint of size %d signed earlier and kept in %s: checkpoint rows were deleted", ErrLogRolledBack, c.Size, fc.path)
		}
		fc.size = c.Size
	}
	latest, err := ls.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c, _, err := ledger.OpenCheckpoint(latest, n.Ledger.Verifier())
	if err != nil {
		return fmt.Errorf("stored checkpoint: %w", err)
	}
	if c.Size > fc.size && fc.rewritten == "" {
		// A file that cannot be written is reported by /readyz; the
		// server still serves what the database holds.
		fc.keep(c.Size, latest)
		if fc.err != nil {
			n.log.Error("cannot keep the latest checkpoint in the data directory", "path", fc.path, "err", fc.err)
		}
	}
	return nil
}

// vouchProblems reports, for /readyz, the records found not to match the
// journal and a log that is smaller than the kept checkpoint.
func (n *Node) vouchProblems(ctx context.Context) []string {
	problems := n.Journal.Integrity.Problems()
	if fc := n.kept; fc != nil {
		fc.mu.Lock()
		size, err := fc.size, fc.err
		fc.mu.Unlock()
		if err != nil {
			problems = append(problems, fmt.Sprintf("log: cannot keep the latest checkpoint in %s: %v", fc.path, err))
		}
		if fc.rewritten != "" {
			problems = append(problems, fc.rewritten)
		}
		if size > 0 {
			if got, err := fc.Storage.TreeSize(ctx); err == nil && got < size {
				problems = append(problems, fmt.Sprintf("log: the database holds %d entries, fewer than the %d of the checkpoint signed earlier (kept in %s): entries were deleted", got, size, fc.path))
			}
		}
	}
	return problems
}

// integrityMetrics registers the count of records refused.
func (n *Node) integrityMetrics(reg *prometheus.Registry) {
	g := n.Journal.Integrity
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_integrity_mismatches_total",
		Help: "Stored records found not to match their journal entries (refused by the engines and the API)."},
		func() float64 { return float64(g.Mismatches.Load()) }))
}
