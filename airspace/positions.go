package airspace

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
)

// Positions takes NDJSON position batches for the monitor.
type Positions struct {
	// Use hands a whole batch of valid positions to the monitor and tells
	// what became of them, waiting for the monitor until ctx is done.
	Use func(ctx context.Context, ps []feed.Position) Usage
	// MaxLines caps one batch (default 10,000).
	MaxLines int
	// Wait bounds how long a request waits for the monitor to have
	// processed its batch (default 5 s); what is not processed by then is
	// reported as pending.
	Wait time.Duration
}

// Usage is what the monitor did with a batch of positions.
type Usage struct {
	Used    int            // merged into tracks and checked
	Dropped int            // shed under overload before the monitor saw them
	Pending int            // queued and not yet processed when the wait ended
	Refused map[string]int // seen and not used, by reason (monitor.Outcome names)
}

// IngestNDJSON implements api.PositionSink: operators, observers and
// admins may post. body is the batch, one JSON object a line, sent as
// contentType ("" when not said). The whole batch is read and decoded
// before any of it is used: a batch refused as a whole (too many lines, a
// line or the body too long) feeds nothing to the monitor. A bad line is
// refused with its line number and skipped, never fatal; the result says
// what the monitor did with the others.
func (ps *Positions) IngestNDJSON(ctx context.Context, contentType string, body io.Reader) (truce.IngestResult, error) {
	var res truce.IngestResult
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return res, err
	}
	if err := a.Require(truce.RoleOperator, truce.RoleObserver); err != nil {
		return res, err
	}
	if ct := contentType; ct != "" && !strings.HasPrefix(ct, "application/x-ndjson") && !strings.HasPrefix(ct, "application/json") {
		return res, truce.Errorf(truce.EINVALID, "Send positions as application/x-ndjson, one JSON object per line.")
	}
	max := ps.MaxLines
	if max <= 0 {
		max = 10_000
	}
	// The scanner's buffer bounds a line, so it stays small; the reader
	// under it takes the body in 64 KiB reads instead of 4 KiB ones.
	sc := bufio.NewScanner(bufio.NewReaderSize(body, 64<<10))
	sc.Buffer(make([]byte, 0, 4096), feed.MaxNDJSONLine+1)
	now := time.Now().UTC()
	source := "api:" + a.Party.Slug
	line, n := 0, 0 // physical lines, positions
	var batch []feed.Position
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if n++; n > max {
			return truce.IngestResult{}, truce.Errorf(truce.ETOOLARGE, "A batch holds at most %d positions (line %d is position %d). Nothing was taken.", max, line, n)
		}
		p, err := feed.DecodeNDJSON(b, now)
		if err == nil {
			err = feed.CheckLive(p.Time, now)
		}
		if err != nil {
			res.Rejected++
			res.RejectedLines = append(res.RejectedLines, line)
			if len(res.Errors) < 20 {
				res.Errors = append(res.Errors, fmt.Sprintf("line %d: %s", line, strings.TrimPrefix(err.Error(), "feed: ")))
			}
			continue
		}
		p.Source = source
		batch = append(batch, p)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return truce.IngestResult{}, truce.Errorf(truce.EINVALID, "Line %d is over %d bytes. Nothing was taken.", line+1, feed.MaxNDJSONLine)
		}
		if truce.ErrorCode(err) != truce.EINTERNAL {
			return truce.IngestResult{}, err // the body's reader said what went wrong (over its limit, a timeout)
		}
		return truce.IngestResult{}, truce.Errorf(truce.EINVALID, "Reading the batch failed after line %d. Nothing was taken.", line)
	}
	if len(batch) == 0 {
		return res, nil
	}
	wait := ps.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	u := ps.Use(ctx, batch)
	res.Accepted, res.Dropped, res.Pending = u.Used, u.Dropped, u.Pending
	for reason, k := range u.Refused {
		if k > 0 {
			if res.RefusedBy == nil {
				res.RefusedBy = map[string]int{}
			}
			res.RefusedBy[reason] = k
			res.Refused += k
		}
	}
	return res, nil
}

// usePositions hands a posted batch to the engine and waits (until ctx is
// done) for what it did with each position, so the sender is told the
// truth rather than "queued".
func (a *Host) usePositions(ctx context.Context, ps []feed.Position) Usage {
	r := a.engine.Submit(ps)
	select {
	case <-r.Done():
	case <-ctx.Done():
	}
	u := Usage{Dropped: len(ps) - r.Queued(), Used: r.Count(monitor.Used)}
	seen := u.Used
	for _, o := range monitor.Outcomes() {
		if k := r.Count(o); k > 0 {
			if u.Refused == nil {
				u.Refused = map[string]int{}
			}
			u.Refused[o.String()] = k
			seen += k
		}
	}
	u.Pending = r.Queued() - seen
	return u
}
