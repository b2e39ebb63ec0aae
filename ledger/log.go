package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrInconsistent is returned when the stored tree is not an extension of
// the last signed checkpoint: history was rewritten or lost, and the log
// refuses to sign. It must alert an operator, never be retried blindly.
var ErrInconsistent = errors.New("ledger: tree is not consistent with the last signed checkpoint")

// ErrTooSoon is returned by Log.Sign when the previous checkpoint was signed
// less than the minimum interval ago; the caller signs later (Log.Run does).
var ErrTooSoon = errors.New("ledger: checkpoint signed too recently")

// DefaultSignInterval is the least time between two signed checkpoints.
const DefaultSignInterval = time.Second

// LogOptions configures a Log.
type LogOptions struct {
	// Interval is the least time between two signatures; 0 means
	// DefaultSignInterval.
	Interval time.Duration
	// Witnesses are asked to cosign each new checkpoint; their cosignatures
	// are merged into the stored note. A witness that fails does not stop
	// the checkpoint from being published.
	Witnesses []*WitnessClient
	// WitnessTimeout bounds each round of witness requests; 0 means 5s.
	WitnessTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnWitnessError, if set, hears each witness failure (for logs/metrics).
	OnWitnessError func(witness string, err error)
}

// Log signs C2SP checkpoints over a Storage. It keeps every checkpoint it
// signs (Storage.PutCheckpoint) and never signs a tree that is not an
// extension of the last one it signed, proved with an RFC 6962 consistency
// proof over the stored hashes.
type Log struct {
	s        Storage
	signer   note.Signer
	verifier note.Verifier
	opts     LogOptions

	mu         sync.Mutex
	last       *Checkpoint // nil until loaded
	lastSigned time.Time
	kick       chan struct{}
}

// NewLog returns a Log that signs with skey, a signed-note Ed25519 private
// key from note.GenerateKey; the key name is the checkpoint origin.
func NewLog(s Storage, skey string, opts LogOptions) (*Log, error) {
	signer, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	verifier, err := verifierFromSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, err
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultSignInterval
	}
	if opts.WitnessTimeout == 0 {
		opts.WitnessTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Log{s: s, signer: signer, verifier: verifier, opts: opts, kick: make(chan struct{}, 1)}, nil
}

// Origin returns the checkpoint origin, the signing key's name.
func (l *Log) Origin() string { return l.signer.Name() }

// Verifier returns the note verifier for the log's checkpoints.
func (l *Log) Verifier() note.Verifier { return l.verifier }

// VerifierKey returns the log's verifier key as clients configure it.
func (l *Log) VerifierKey() string {
	return l.verifier.(*edVerifier).vkey
}

// Sign signs a checkpoint for the current tree size, has the witnesses
// cosign it, stores it, and returns the stored (cosigned) note and its body.
// If the tree has not grown it signs nothing and returns the latest note.
// It returns ErrTooSoon within the interval of the last signature, and
// ErrInconsistent, signing nothing, if the tree does not extend the last
// checkpoint.
func (l *Log) Sign(ctx context.Context) ([]byte, Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.loadLocked(ctx); err != nil {
		return nil, Checkpoint{}, err
	}
	size, err := l.s.TreeSize(ctx)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if l.last != nil && size == l.last.Size {
		n, err := l.s.Checkpoint(ctx, size)
		return n, *l.last, err
	}
	if l.last != nil && size < l.last.Size {
		return nil, Checkpoint{}, fmt.Errorf("%w: tree size %d is below signed size %d", ErrInconsistent, size, l.last.Size)
	}
	if now := l.opts.Now(); !l.lastSigned.IsZero() && now.Sub(l.lastSigned) < l.opts.Interval {
		return nil, Checkpoint{}, ErrTooSoon
	}
	r := HashReader(ctx, l.s)
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if l.last != nil && l.last.Size > 0 {
		proof, err := tlog.ProveTree(size, l.last.Size, r)
		if err != nil {
			return nil, Checkpoint{}, err
		}
		if err := VerifyConsistency(l.last.Size, size, proof, l.last.Hash, root); err != nil {
			return nil, Checkpoint{}, fmt.Errorf("%w: %v", ErrInconsistent, err)
		}
	} else if l.last != nil && l.last.Hash != EmptyTreeHash {
		return nil, Checkpoint{}, fmt.Errorf("%w: signed empty tree has a non-empty root", ErrInconsistent)
	}
	c := Checkpoint{Origin: l.Origin(), Size: size, Hash: root}
	signed, err := note.Sign(&note.Note{Text: string(c.Body())}, l.signer)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	// Store before asking witnesses: a checkpoint the log signed is kept
	// even if every witness is down.
	if err := l.s.PutCheckpoint(ctx, size, signed); err != nil {
		return nil, Checkpoint{}, err
	}
	l.last = &c
	l.lastSigned = l.opts.Now()
	if len(l.opts.Witnesses) > 0 {
		cosigned := l.cosign(ctx, signed, c)
		if len(cosigned) != len(signed) {
			if err := l.s.PutCheckpoint(ctx, size, cosigned); err != nil {
				return nil, Checkpoint{}, err
			}
			signed = cosigned
		}
	}
	return signed, c, nil
}

// loadLocked reads the last stored checkpoint once, so a restarted log keeps
// refusing to fork from what it signed before.
func (l *Log) loadLocked(ctx context.Context) error {
	if l.last != nil {
		return nil
	}
	n, err := l.s.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c, _, err := OpenCheckpoint(n, l.verifier)
	if err != nil {
		return fmt.Errorf("ledger: stored checkpoint: %w", err)
	}
	l.last = &c
	return nil
}

// cosign asks every witness in parallel and merges the cosignatures that
// verify; failures are reported, not fatal.
func (l *Log) cosign(ctx context.Context, signed []byte, c Checkpoint) []byte {
	ctx, cancel := context.WithTimeout(ctx, l.opts.WitnessTimeout)
	defer cancel()
	prove := func(ctx context.Context, old int64) ([]tlog.Hash, error) {
		return ProveConsistency(ctx, l.s, old, c.Size)
	}
	type result struct {
		name  string
		lines []byte
		err   error
	}
	ch := make(chan result, len(l.opts.Witnesses))
	for _, w := range l.opts.Witnesses {
		go func() {
			lines, err := w.AddCheckpoint(ctx, signed, c, prove)
			ch <- result{w.Verifier.Name(), lines, err}
		}()
	}
	out := signed
	for range l.opts.Witnesses {
		r := <-ch
		if r.err == nil {
			merged, err := MergeSignatures(out, r.lines)
			if err == nil {
				out = merged
			}
			r.err = err
		}
		if r.err != nil && l.opts.OnWitnessError != nil {
			l.opts.OnWitnessError(r.name, r.err)
		}
	}
	return out
}

// Notify asks Run to sign soon; it never blocks, so the commit path can call
// it after every batch.
func (l *Log) Notify() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Run signs a checkpoint after each Notify, at most once per interval, until
// ctx ends. Entries committed during the interval are covered by the next
// signature, so a burst of commits costs one signature per interval. Errors
// other than ErrTooSoon go to onError (may be nil).
func (l *Log) Run(ctx context.Context, onError func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		for {
			_, _, err := l.Sign(ctx)
			if !errors.Is(err, ErrTooSoon) {
				if err != nil && onError != nil && ctx.Err() == nil {
					onError(err)
				}
				break
			}
			l.mu.Lock()
			wait := l.opts.Interval - l.opts.Now().Sub(l.lastSigned)
			l.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// ProveInclusion returns the RFC 6962 inclusion proof for the entry at index
// in the tree of size.
func ProveInclusion(ctx context.Context, s Storage, index, size int64) ([]tlog.Hash, error) {
	if index < 0 || size <= index {
		return nil, fmt.Errorf("%w: index %d in a tree of size %d", ErrNotFound, index, size)
	}
	p, err := tlog.ProveRecord(size, index, HashReader(ctx, s))
	return p, err
}

// ProveConsistency returns the RFC 6962 consistency proof from the tree of
// size old to the tree of size size (empty when old is 0 or equals size).
func ProveConsistency(ctx context.Context, s Storage, old, size int64) ([]tlog.Hash, error) {
	if old < 0 || size < old {
		return nil, fmt.Errorf("%w: consistency from %d to %d", ErrNotFound, old, size)
	}
	if old == 0 || old == size {
		return nil, nil
	}
	n, err := s.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if size > n {
		return nil, fmt.Errorf("%w: tree size %d beyond %d", ErrNotFound, size, n)
	}
	return tlog.ProveTree(size, old, HashReader(ctx, s))
}

// TreeHash returns the root hash of the tree of size in s.
func TreeHash(ctx context.Context, s Storage, size int64) (tlog.Hash, error) {
	if size == 0 {
		return EmptyTreeHash, nil
	}
	return tlog.TreeHash(size, HashReader(ctx, s))
}
