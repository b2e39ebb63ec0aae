package airspace

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// enqueue receives the engine's alerts. It never drops one: when
// MaxQueuedAlerts are waiting for the journal (queued or being written) it
// waits for room, so the engine sheds positions, not alerts; except while
// shutting down, when the journal writes whatever is left.
func (a *Host) enqueue(al monitor.Alert) {
	a.mu.Lock()
	if a.outstanding >= a.limit && a.ctx.Err() == nil {
		a.waits.Add(1)
		for a.outstanding >= a.limit && a.ctx.Err() == nil {
			a.room.Wait()
		}
	}
	a.alerts = append(a.alerts, al)
	a.outstanding++
	a.peak = max(a.peak, a.outstanding)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (a *Host) take() []monitor.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	batch := a.alerts
	a.alerts = nil
	return batch
}

// done counts an alert as journalled (or given up on), making room.
func (a *Host) done() {
	a.mu.Lock()
	a.outstanding--
	a.room.Broadcast()
	a.mu.Unlock()
}

// journal writes queued alerts until the engine has stopped, then writes
// what is left. Each aircraft's alerts are written in order, one after
// the other; different aircraft's at once, up to maxWriters, so that group
// commit puts many in one transaction and an alert never waits for an
// unrelated aircraft's.
func (a *Host) journal() {
	chains := &alertChains{a: a, busy: map[uint32]*[]monitor.Alert{}, sem: make(chan struct{}, maxWriters)}
	for {
		batch := a.take()
		for _, al := range batch {
			chains.add(al)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-a.wake:
		case <-a.stopJournal:
			for _, al := range a.take() {
				chains.add(al)
			}
			chains.wg.Wait()
			return
		}
	}
}

// maxWriters bounds the alerts being written at once.
const maxWriters = 64

// alertChains writes alerts: one writer per aircraft with alerts in
// flight, which writes that aircraft's later alerts after it.
type alertChains struct {
	a    *Host
	mu   sync.Mutex
	busy map[uint32]*[]monitor.Alert // aircraft being written -> its alerts waiting
	sem  chan struct{}
	wg   sync.WaitGroup
}

func (c *alertChains) add(al monitor.Alert) {
	k := al.Aircraft.ICAO
	c.mu.Lock()
	if q, ok := c.busy[k]; ok {
		*q = append(*q, al)
		c.mu.Unlock()
		return
	}
	c.busy[k] = new([]monitor.Alert)
	c.mu.Unlock()
	c.sem <- struct{}{}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.sem; c.wg.Done() }()
		for {
			c.a.record(al)
			c.a.done()
			c.mu.Lock()
			q := c.busy[k]
			if len(*q) == 0 {
				delete(c.busy, k)
				c.mu.Unlock()
				return
			}
			al, *q = (*q)[0], (*q)[1:]
			c.mu.Unlock()
		}
	}()
}

func (a *Host) record(al monitor.Alert) {
	var name string
	if r, ok := a.svc.Zones.Index.Record(al.ZoneID); ok {
		name = r.Version.Spec.Name
	}
	a.journalAlert(toAlert(al, name), a.stopJournal)
}

// journalAlert journals an alert. An alert is never given up while the
// journal may take it again: a full disk or a lost database retries, with
// backoff, for as long as it lasts (for the engine's alerts the bounded
// queue then holds the engine back, and it sheds positions, counted);
// /readyz says so meanwhile. Only an alert the journal refuses for what
// it is, or one still unwritten shutdownRetry after stop is closed, is
// lost, and counted and logged as such.
func (a *Host) journalAlert(t *truce.Alert, stop <-chan struct{}) {
	var stopping time.Time
	for attempt := 0; ; attempt++ {
		_, err := a.svc.RaiseAlert(context.Background(), t)
		if err == nil {
			a.failingSince.Store(0)
			return
		}
		switch truce.ErrorCode(err) {
		case truce.EINVALID, truce.EFORBIDDEN, truce.ECONFLICT, truce.ENOTFOUND, truce.ETOOLARGE:
			a.lost.Add(1)
			a.log.Error("monitor: the journal refused an alert", "kind", t.Kind, "err", err)
			return
		}
		a.failingSince.CompareAndSwap(0, time.Now().UnixNano())
		a.log.Error("monitor: journalling an alert", "kind", t.Kind, "attempt", attempt, "err", err)
		select {
		case <-stop:
			if stopping.IsZero() {
				stopping = time.Now()
			} else if time.Since(stopping) > shutdownRetry {
				a.lost.Add(1)
				a.log.Error("monitor: shutting down with an alert the journal could not take", "kind", t.Kind, "err", err)
				return
			}
		default:
		}
		time.Sleep(min(maxAlertBackoff, time.Duration(1<<min(attempt, 6))*100*time.Millisecond))
	}
}

// maxAlertBackoff bounds the wait between two attempts to journal an
// alert; shutdownRetry is how long a stopping server keeps trying.
const (
	maxAlertBackoff = 5 * time.Second
	shutdownRetry   = 10 * time.Second
)

// journalProblem is the /readyz report of alerts that cannot be
// journalled, "" when they can.
func (a *Host) journalProblem() string {
	since := a.failingSince.Load()
	if since == 0 {
		return ""
	}
	a.mu.Lock()
	waiting := a.outstanding
	a.mu.Unlock()
	return fmt.Sprintf("monitor: alerts cannot be journalled since %s (%d waiting; they are retried, and positions are shed once the alert queue is full)",
		time.Unix(0, since).UTC().Format(time.RFC3339), waiting)
}
