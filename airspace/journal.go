package airspace

import (
	"context"
	"fmt"
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

// take moves up to max alerts from the head of the queue into buf; the
// queue and buf keep their room, so that a busy sky allocates none.
func (a *Host) take(buf []monitor.Alert, max int) []monitor.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := min(max, len(a.alerts))
	buf = append(buf[:0], a.alerts[:n]...)
	left := copy(a.alerts, a.alerts[n:])
	clear(a.alerts[left:])
	a.alerts = a.alerts[:left]
	return buf
}

// done counts n alerts as journalled (or given up on), making room.
func (a *Host) done(n int) {
	a.mu.Lock()
	a.outstanding -= n
	a.room.Broadcast()
	a.mu.Unlock()
}

// journal writes queued alerts until the engine has stopped, then writes
// what is left. It takes what is queued, up to maxAlertBatch alerts, and
// journals them in one write (RaiseAlerts: one transaction, one fsync,
// whose encoding, hashing and event logging the alerts share), then what
// queued meanwhile: the busier the sky, the larger the batches. Alerts are
// written in the order the engine raised them, so each aircraft's are in
// order in the journal.
func (a *Host) journal() {
	var batch []monitor.Alert
	for {
		if batch = a.take(batch, maxAlertBatch); len(batch) > 0 {
			a.journalBatch(batch, a.stopJournal)
			continue
		}
		select {
		case <-a.wake:
		case <-a.stopJournal:
			for batch = a.take(batch, maxAlertBatch); len(batch) > 0; batch = a.take(batch, maxAlertBatch) {
				a.journalBatch(batch, a.stopJournal)
			}
			return
		}
	}
}

// maxAlertBatch bounds the alerts journalled in one write.
const maxAlertBatch = 512

// journalBatch journals engine alerts in one write. When the write fails
// (one alert refused, or the journal failing), it writes the first half
// and then the second, each the same way, so one alert's refusal loses no
// other and costs log2(n) smaller writes to find; an alert alone is
// written with journalAlert's retries. The order is kept.
func (a *Host) journalBatch(batch []monitor.Alert, stop <-chan struct{}) {
	as := make([]item, len(batch))
	for i, al := range batch {
		as[i] = a.toItem(al)
	}
	a.journalAlerts(as, stop)
}

func (a *Host) journalAlerts(as []item, stop <-chan struct{}) {
	if len(as) == 1 {
		a.journalAlert(as[0], stop)
		a.done(1)
		return
	}
	if err := a.svc.record(context.Background(), as); err == nil {
		a.failingSince.Store(0)
		a.done(len(as))
		return
	}
	a.journalAlerts(as[:len(as)/2], stop)
	a.journalAlerts(as[len(as)/2:], stop)
}

func (a *Host) toRecord(al monitor.Alert) *truce.Alert {
	var name, agreement string
	if r, ok := a.zones.Index.Record(al.ZoneID); ok {
		name, agreement = r.Version.Spec.Name, r.Version.AgreementID
	}
	t := toAlert(al, name)
	var signs []string
	if m := a.signatories.Load(); m != nil && agreement != "" {
		signs = (*m)[agreement]
	}
	if al.OperationID != "" {
		// A conformance or intrusion alert concerns the operation's
		// parties (and, added by partiesConcerned, the aircraft's).
		signs = a.operationParties(al.OperationID)
	}
	t.Parties = partiesConcerned(t, signs)
	return t
}

// journalAlert journals an alert. An alert is never given up while the
// journal may take it again: a full disk or a lost database retries, with
// backoff, for as long as it lasts (for the engine's alerts the bounded
// queue then holds the engine back, and it sheds positions, counted);
// /readyz says so meanwhile. Only an alert the journal refuses for what
// it is, or one still unwritten shutdownRetry after stop is closed, is
// lost, and counted and logged as such.
func (a *Host) journalAlert(it item, stop <-chan struct{}) {
	kind := "episode end"
	if it.raise != nil {
		kind = string(it.raise.Kind)
	}
	for attempt := 0; ; attempt++ {
		err := a.svc.record(context.Background(), []item{it})
		if err == nil {
			a.failingSince.Store(0)
			return
		}
		switch truce.ErrorCode(err) {
		case truce.EINVALID, truce.EFORBIDDEN, truce.ECONFLICT, truce.ENOTFOUND, truce.ETOOLARGE:
			a.lost.Add(1)
			a.log.Error("monitor: the journal refused an alert", "kind", kind, "err", err)
			return
		}
		a.failingSince.CompareAndSwap(0, time.Now().UnixNano())
		a.log.Error("monitor: journalling an alert", "kind", kind, "attempt", attempt, "err", err)
		select {
		case <-stop:
			// One deadline for every alert left: the batches' alerts
			// reach here one after another.
			a.stoppingSince.CompareAndSwap(0, time.Now().UnixNano())
			if time.Since(time.Unix(0, a.stoppingSince.Load())) > shutdownRetry {
				a.lost.Add(1)
				a.log.Error("monitor: shutting down with an alert the journal could not take", "kind", kind, "err", err)
				return
			}
		default:
		}
		time.Sleep(min(maxAlertBackoff, time.Duration(1<<min(attempt, 6))*100*time.Millisecond))
	}
}

// maxAlertBackoff bounds the wait between two attempts to journal an
// alert; shutdownRetry is how long a stopping server keeps trying, for all
// the alerts it has left (a var for the tests).
const maxAlertBackoff = 5 * time.Second

var shutdownRetry = 10 * time.Second

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
