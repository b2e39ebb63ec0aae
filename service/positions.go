package service

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
)

// Positions takes NDJSON position batches for the monitor.
type Positions struct {
	// Sink hands a position to the monitor; false means it was shed under
	// overload.
	Sink func(feed.Position) bool
	// SinkBatch, when set, is used instead of Sink: it takes positions a
	// batch at a time and returns how many it accepted (the rest were
	// shed).
	SinkBatch func([]feed.Position) int
	// MaxLines caps one batch (default 10,000).
	MaxLines int
}

// IngestNDJSON implements api.PositionSink: operators, observers and
// admins may post; each line is decoded strictly, and a bad line is
// counted and skipped, never fatal.
func (ps *Positions) IngestNDJSON(r *http.Request) (truce.IngestResult, error) {
	var res truce.IngestResult
	a, err := truce.RequireActor(r.Context())
	if err != nil {
		return res, err
	}
	if err := a.Require(truce.RoleOperator, truce.RoleObserver); err != nil {
		return res, err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/x-ndjson") && !strings.HasPrefix(ct, "application/json") {
		return res, truce.Errorf(truce.EINVALID, "Send positions as application/x-ndjson, one JSON object per line.")
	}
	max := ps.MaxLines
	if max <= 0 {
		max = 10_000
	}
	// The scanner's buffer bounds a line, so it stays small; the reader
	// under it takes the body in 64 KiB reads instead of 4 KiB ones.
	sc := bufio.NewScanner(bufio.NewReaderSize(r.Body, 64<<10))
	sc.Buffer(make([]byte, 0, 4096), feed.MaxNDJSONLine+1)
	now := time.Now().UTC()
	source := "api:" + a.Party.Slug
	line := 0
	var batch []feed.Position
	flush := func() {
		if len(batch) > 0 {
			n := ps.SinkBatch(batch)
			res.Accepted += n
			res.Dropped += len(batch) - n
			batch = batch[:0]
		}
	}
	if ps.SinkBatch != nil {
		batch = make([]feed.Position, 0, sinkBatch)
	}
	for sc.Scan() {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		line++
		if line > max {
			return res, truce.Errorf(truce.ETOOLARGE, "A batch holds at most %d positions.", max)
		}
		p, err := feed.DecodeNDJSON(b, now)
		if err != nil {
			res.Rejected++
			if len(res.Errors) < 20 {
				res.Errors = append(res.Errors, fmt.Sprintf("line %d: %s", line, strings.TrimPrefix(err.Error(), "feed: ")))
			}
			continue
		}
		p.Source = source
		switch {
		case ps.SinkBatch != nil:
			if batch = append(batch, p); len(batch) == sinkBatch {
				flush()
			}
		case ps.Sink(p):
			res.Accepted++
		default:
			res.Dropped++
		}
	}
	if err := sc.Err(); err != nil {
		if strings.Contains(err.Error(), "too long") {
			return res, truce.Errorf(truce.EINVALID, "Line %d is over %d bytes.", line+1, feed.MaxNDJSONLine)
		}
		if strings.Contains(err.Error(), "request body too large") {
			return res, truce.Errorf(truce.ETOOLARGE, "The batch is over the body limit.")
		}
		if truce.ErrorCode(err) != truce.EINTERNAL {
			return res, err // the body's reader said what went wrong (a timeout)
		}
		return res, truce.Errorf(truce.EINVALID, "Reading the batch: %v", err)
	}
	flush()
	return res, nil
}

// sinkBatch is how many positions are handed to SinkBatch at once: the
// engine's queue chunk.
const sinkBatch = 256
