package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// Self-check modes for Config.SelfCheck.
const (
	// SelfCheckFull recomputes the whole tree at start-up, in the
	// background, from the stored entries and checks it against every
	// stored hash, the latest signed checkpoint, and every record body
	// against its entry's body_hash.
	SelfCheckFull = "full"
	// SelfCheckOff skips it.
	SelfCheckOff = "off"
)

// ParseSelfCheck validates a self-check mode; "" means SelfCheckFull.
func ParseSelfCheck(s string) (string, error) {
	switch s {
	case "", SelfCheckFull:
		return SelfCheckFull, nil
	case SelfCheckOff:
		return SelfCheckOff, nil
	}
	return "", fmt.Errorf("self-check %q: want full or off", s)
}

// journalScanner is implemented by the SQL stores: one ordered query over
// the journal's leaves, bodies and salts.
type journalScanner interface {
	ScanJournal(ctx context.Context, start, end int64, fn func(index int64, leaf, body, salt []byte) error) error
}

// selfCheck is the state of the start-up self-check, for /readyz.
type selfCheck struct {
	mu          sync.Mutex
	running     bool
	done, total int64
	records     int // records checked against the journal (the state pass)
	err         error
	took        time.Duration
}

// startSelfCheck runs the self-check in the background, so a large journal
// does not delay start-up: the node serves reads meanwhile but /readyz
// says "self-check running" until it ends, and names the first corrupt
// entry for good if it fails.
func (n *Node) startSelfCheck(ctx context.Context, wg *sync.WaitGroup) {
	sc := &selfCheck{running: true}
	n.selfCheck = sc
	ls := n.Journal.Ledger
	opts := ledger.CheckOptions{
		Verifier: n.Ledger.Verifier(),
		Progress: func(done, total int64) {
			sc.mu.Lock()
			sc.done, sc.total = done, total
			sc.mu.Unlock()
		},
	}
	opts.Scan = func(ctx context.Context, start, end int64, fn func(int64, []byte) error) error {
		return n.Store.ScanJournal(ctx, start, end, func(i int64, leaf, body, salt []byte) error {
			if err := fn(i, leaf); err != nil {
				return err
			}
			if err := ledger.CheckBody(leaf, salt, body); err != nil {
				return &ledger.CheckError{Index: i, End: i + 1, Problem: fmt.Sprintf("body mismatch at index %d: the stored body and salt do not hash to the entry's body_hash (%v)", i, err)}
			}
			return nil
		})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		res, err := ledger.Check(ctx, ls, opts)
		records := 0
		if err == nil {
			// The state, too, must be what the log vouches for: every
			// capability's records against their journal entries.
			records, err = n.Journal.CheckState(ctx, func(done int) {
				sc.mu.Lock()
				sc.records = done
				sc.mu.Unlock()
			}, n.Zones.StateCheck(), n.Air.StateCheck(), n.Accounts.StateCheck(), n.Control.StateCheck(), n.Operations.StateCheck())
		}
		sc.mu.Lock()
		sc.running, sc.err, sc.took = false, err, time.Since(start)
		sc.mu.Unlock()
		var ce *ledger.CheckError
		switch {
		case errors.As(err, &ce):
			n.log.Error("log self-check: the stored log is corrupt", slog.Int64("index", ce.Index), slog.Int64("end", ce.End), slog.String("problem", ce.Problem))
		case truce.ErrorCode(err) == truce.EINTEGRITY:
			n.log.Error("log self-check: the stored state does not match the log", slog.String("problem", truce.ErrorMessage(err)))
		case err != nil && ctx.Err() == nil:
			n.log.Error("log self-check could not finish", slog.Any("err", err))
		case err == nil:
			n.log.Info("log self-check passed", slog.Int64("entries", res.Size), slog.Int64("checkpoint", res.Checkpoint.Size), slog.Int("records", records), slog.Duration("took", sc.took))
		}
	}()
}

// problems reports the self-check for /readyz.
func (sc *selfCheck) problems() []string {
	if sc == nil {
		return nil
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	switch {
	case sc.running:
		return []string{fmt.Sprintf("log: self-check running (%d of %d entries checked, %d records)", sc.done, sc.total, sc.records)}
	case truce.ErrorCode(sc.err) == truce.EINTEGRITY:
		return []string{"log: self-check failed: " + truce.ErrorMessage(sc.err)}
	case sc.err != nil:
		return []string{"log: self-check failed: " + sc.err.Error()}
	}
	return nil
}
