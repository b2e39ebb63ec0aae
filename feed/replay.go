package feed

import (
	"context"
	"math"
	"time"
)

// ReplayOption changes how Replay emits positions.
type ReplayOption func(*replayConfig)

type replayConfig struct {
	restamp bool
}

// Restamp makes Replay set each emitted position's Time to the wall-clock
// time (UTC) of its emission, so that a recording looks live to consumers
// that judge freshness by time.
func Restamp() ReplayOption { return func(c *replayConfig) { c.restamp = true } }

// Replay calls emit for each position in order, spaced by the positions' own
// time differences divided by speed (speed 2 plays twice as fast; +Inf plays
// without waiting). Emission times are scheduled from the start of the
// replay, so a slow emit does not accumulate drift; positions whose time
// goes backwards are emitted at once. It stops with ctx's error when ctx is
// done, with emit's error when emit fails, and returns nil when all are
// emitted. A speed that is not positive is an error matching ErrInvalid.
func Replay(ctx context.Context, ps []Position, speed float64, emit func(Position) error, opts ...ReplayOption) error {
	if !(speed > 0) {
		return invalidf("replay: speed %v must be positive", speed)
	}
	var cfg replayConfig
	for _, o := range opts {
		o(&cfg)
	}
	if len(ps) == 0 {
		return ctx.Err()
	}
	t0 := ps[0].Time
	wall0 := time.Now()
	// Since Go 1.23 a stopped timer can be Reset without draining it.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !math.IsInf(speed, 1) {
			offset := time.Duration(float64(p.Time.Sub(t0)) / speed)
			if wait := time.Until(wall0.Add(offset)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			}
		}
		if cfg.restamp {
			p.Time = time.Now().UTC()
		}
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}
