package monitor

import (
	"sync/atomic"

	"github.com/truce-project/truce/feed"
)

// Outcome is what the engine did with one position.
type Outcome uint8

// The outcomes of a position. Only Used positions moved their track; the
// others are counted in Counters under the same names, and a report that
// is not Used for its position may still have given its track a callsign
// or a squawk (OutOfOrder).
const (
	Used       Outcome = iota // merged into its track and checked
	TableFull                 // a new aircraft with no room in the track table (Counters.Refused)
	TooOld                    // older than the engine's clock by more than Config.MaxDelay
	Future                    // later than the wall clock by more than Config.MaxAhead
	OutOfOrder                // older than its track's last position: position not used
	Invalid                   // coordinates or values out of range or not finite
	nOutcomes
)

var outcomeNames = [nOutcomes]string{"used", "track_table_full", "too_old", "future", "out_of_order", "invalid"}

// String is the outcome's stable name, as the API and metrics give it.
func (o Outcome) String() string {
	if o < nOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every outcome but Used: the reasons a position is not used.
func Outcomes() []Outcome { return []Outcome{TableFull, TooOld, Future, OutOfOrder, Invalid} }

// Receipt tells what the engine did with the positions of one Submit. Its
// counts grow as Run's worker processes them; Done is closed when the last
// one has been processed (and its alerts emitted).
type Receipt struct {
	start, end uint64 // queue sequence numbers of its positions: [start, end)
	queued     int
	counts     [nOutcomes]atomic.Int64
	done       chan struct{}
}

// Queued is how many of the submitted positions found room in the queue;
// the rest were shed (Counters.Dropped).
func (r *Receipt) Queued() int { return r.queued }

// Done is closed once every queued position has been processed.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Count is how many positions had outcome o so far.
func (r *Receipt) Count(o Outcome) int {
	if o >= nOutcomes {
		return 0
	}
	return int(r.counts[o].Load())
}

// Processed is how many queued positions have been processed so far.
func (r *Receipt) Processed() int {
	n := 0
	for i := range r.counts {
		n += int(r.counts[i].Load())
	}
	return n
}

// Submit queues as many of ps as the queue has room for, like IngestBatch,
// and returns a receipt that tells, once Run's worker has processed them,
// what became of each: for a sender that must be told the truth (POST
// /api/v1/positions), where Ingest's true means only "queued".
func (e *Engine) Submit(ps []feed.Position) *Receipt {
	r := &Receipt{done: make(chan struct{})}
	e.qmu.Lock()
	k, wake := e.enqueue(ps)
	r.queued = k
	if k > 0 {
		r.start, r.end = e.qseq-uint64(k), e.qseq
		e.qrcpt = append(e.qrcpt, r)
	}
	e.qmu.Unlock()
	e.ingested(k, len(ps), wake)
	if k == 0 {
		close(r.done)
	}
	return r
}

// tally records the outcome of the queued position with sequence number
// seq in the receipt it belongs to, if any. It is called with e.proc held,
// in sequence order.
func (e *Engine) tally(seq uint64, o Outcome) {
	if len(e.rq) == 0 || seq < e.rq[0].start {
		return
	}
	r := e.rq[0]
	r.counts[o].Add(1)
	if seq+1 == r.end {
		e.rdone = append(e.rdone, r)
		e.rq[0] = nil
		e.rq = e.rq[1:]
	}
}
