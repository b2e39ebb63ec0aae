package geo

import (
	"context"
	"fmt"
)

// Bounds on the work of one geometry operation ([BufferLinesContext],
// [MakeValidContext]). Any operator of a party can send a geometry, so no
// geometry may cost the server more than these, whatever its shape: a
// request over them is refused with a [*LimitError] naming the bound.
const (
	// MaxPairs bounds the pairs of edges whose boxes meet that one
	// operation examines while splitting edges at their crossings, plus the
	// edges it puts in planar graphs (all rounds, all merges): a few
	// second of one core at worst.
	MaxPairs = 4_000_000
	// MaxNodes bounds the vertices plus crossing points of one overlay:
	// the size of the planar graph held in memory (about 200 bytes each).
	MaxNodes = 1_000_000
	// MaxOutputVertices bounds the vertices of a buffer's result.
	MaxOutputVertices = 250_000
)

// LimitError reports that an operation was stopped because it would exceed
// one of the bounds above; it is the caller's input, not a fault.
type LimitError struct {
	Op    string // "buffer", "make-valid"
	What  string // what was counted
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("geo: %s: the geometry needs more than %d %s (the limit); simplify it", e.Op, e.Limit, e.What)
}

// work counts the effort of one operation and watches its context.
type work struct {
	ctx   context.Context
	op    string
	pairs int
	ticks int
}

func newWork(ctx context.Context, op string) *work {
	if ctx == nil {
		ctx = context.Background()
	}
	return &work{ctx: ctx, op: op}
}

// pair counts one candidate pair of edges; it fails past MaxPairs, and
// when the context is done (checked every 4,096 pairs, a few microseconds).
func (w *work) pair() error { return w.add(1) }

// add counts n steps of work of the size of a pair's (an edge carried
// through a merge, an edge placed in a graph).
func (w *work) add(n int) error {
	w.pairs += n
	if w.pairs > MaxPairs {
		return &LimitError{Op: w.op, What: "edge pairs examined", Limit: MaxPairs}
	}
	w.ticks += n
	if w.ticks >= 4096 {
		w.ticks = 0
		return w.ctx.Err()
	}
	return nil
}

// check is called at coarser steps: once per merge, per noding round.
func (w *work) check() error { return w.ctx.Err() }

func (w *work) nodes(n int) error {
	if n > MaxNodes {
		return &LimitError{Op: w.op, What: "vertices and crossing points", Limit: MaxNodes}
	}
	return nil
}
