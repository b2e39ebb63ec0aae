package feed_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

func track(n int, step time.Duration) []feed.Position {
	ps := make([]feed.Position, n)
	for i := range ps {
		ps[i] = feed.Position{ICAO: uint32(i + 1), Time: recv.Add(time.Duration(i) * step)}
	}
	return ps
}

// TestReplay_Spacing checks that emissions keep the recorded spacing divided
// by speed. Only lower bounds are asserted: a loaded machine may be late,
// never early.
func TestReplay_Spacing(t *testing.T) {
	for _, tt := range []struct {
		speed float64
		step  time.Duration
	}{{1, 20 * time.Millisecond}, {4, 80 * time.Millisecond}} {
		ps := track(5, tt.step)
		var at []time.Time
		var got []feed.Position
		start := time.Now()
		err := feed.Replay(context.Background(), ps, tt.speed, func(p feed.Position) error {
			at = append(at, time.Now())
			got = append(got, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ps) {
			t.Fatalf("speed %v: %d emitted, want %d", tt.speed, len(got), len(ps))
		}
		for i := range got {
			if got[i] != ps[i] {
				t.Errorf("speed %v: position %d changed without Restamp", tt.speed, i)
			}
			want := time.Duration(float64(ps[i].Time.Sub(ps[0].Time)) / tt.speed)
			if el := at[i].Sub(start); el < want {
				t.Errorf("speed %v: position %d emitted after %v, before its %v", tt.speed, i, el, want)
			}
		}
	}
}

func TestReplay_RestampAndInfinite(t *testing.T) {
	ps := track(3, time.Hour) // an hour apart: only +Inf can finish in time
	before := time.Now()
	var got []feed.Position
	err := feed.Replay(context.Background(), ps, math.Inf(1), func(p feed.Position) error {
		got = append(got, p)
		return nil
	}, feed.Restamp())
	if err != nil || len(got) != 3 {
		t.Fatalf("err %v, %d emitted", err, len(got))
	}
	for i, p := range got {
		if p.Time.Before(before) || p.Time.After(time.Now()) || p.Time.Location() != time.UTC || p.ICAO != ps[i].ICAO {
			t.Errorf("position %d: time %v not restamped to emission", i, p.Time)
		}
	}
}

func TestReplay_Stops(t *testing.T) {
	ps := track(3, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := feed.Replay(ctx, ps, 1, func(p feed.Position) error {
		n++
		cancel() // the second position is an hour away: only cancellation ends the wait
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("cancel: err %v after %d emissions", err, n)
	}

	boom := errors.New("sink full")
	n = 0
	err = feed.Replay(context.Background(), track(5, 0), 1, func(feed.Position) error {
		n++
		if n == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 2 {
		t.Errorf("emit error: err %v after %d emissions", err, n)
	}

	for _, speed := range []float64{0, -1, math.NaN()} {
		if err := feed.Replay(context.Background(), ps, speed, func(feed.Position) error { return nil }); !errors.Is(err, feed.ErrInvalid) {
			t.Errorf("speed %v: err %v, want ErrInvalid", speed, err)
		}
	}
}
