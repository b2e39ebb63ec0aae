package airspace

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// What the tests (package airspace_test, which opens whole nodes) reach
// inside a Host.

// SetQueueLimit lowers the alert queue's bound.
func (a *Host) SetQueueLimit(n int) { a.mu.Lock(); a.limit = n; a.mu.Unlock() }

// QueuePeak is the most alerts outstanding at once so far.
func (a *Host) QueuePeak() int { a.mu.Lock(); defer a.mu.Unlock(); return a.peak }

// QueueWaits is how many times the engine waited for room in the queue.
func (a *Host) QueueWaits() uint64 { return a.waits.Load() }

// CheckCapacity checks the track table's pressure as of now.
func (a *Host) CheckCapacity(now time.Time) { a.checkCapacity(now) }

// SetLeases sets the feeds lease's TTL and renewal period for the test.
func SetLeases(t *testing.T, ttl, renew time.Duration) {
	oldTTL, oldRenew := leaseTTL, leaseRenew
	leaseTTL, leaseRenew = ttl, renew
	t.Cleanup(func() { leaseTTL, leaseRenew = oldTTL, oldRenew })
}

// SetCapacityEvery sets how often the track table is checked, for the
// test.
func SetCapacityEvery(t *testing.T, every time.Duration) {
	old := capacityEvery
	capacityEvery = every
	t.Cleanup(func() { capacityEvery = old })
}

// Lost is how many alerts the journal refused for good.
func (a *Host) Lost() uint64 { return a.lost.Load() }

// SetShutdownRetry sets how long a stopping host keeps trying to journal
// its alerts, for the test.
func SetShutdownRetry(t *testing.T, d time.Duration) {
	old := shutdownRetry
	shutdownRetry = d
	t.Cleanup(func() { shutdownRetry = old })
}

// Item is one thing the journal writer records: Raise or End.
type Item = item

// EpisodeEnd is the end of an episode as the writer receives it.
type EpisodeEnd = episodeEnd

// Raise is an item raising a.
func Raise(a *truce.Alert) Item { return item{raise: a} }

// End is an item ending an episode.
func End(e EpisodeEnd) Item { return item{end: &e} }

// Record journals items in one write, as the journal writer does.
func (s *Service) Record(ctx context.Context, items ...Item) error { return s.record(ctx, items) }

// MaxAlertBatch bounds the alerts journalled in one write.
const MaxAlertBatch = maxAlertBatch

// RaisedEpisode is the episode of the alert an item raises.
func RaisedEpisode(it Item) string { return it.raise.Episode }
