package airspace

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
)

// The outbound feeds (SBS sources the server connects to) are run by one
// of the servers sharing a database: the holder of the feeds lease, taken
// for leaseTTL and renewed every leaseRenew. Without it every server would
// connect to every source and journal each alert once per server.
const feedsLease = "airspace-feeds"

var (
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
)

// LeaseHolder names a server for leases: its host and data directory,
// so a server restarted on the same host and directory takes its lease
// back at once rather than waiting for it to expire.
func LeaseHolder(dataDir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return host + ":" + dataDir
}

// lead takes or renews the feeds lease and starts or stops the feeds to
// match. A server that cannot reach the database to renew stops its
// feeds: another may hold the lease by then.
//
// A renewal that does not answer is not a refusal, so the holder also
// keeps a deadline of its own: the lease it last obtained, taken at a time
// read before asking, ends no earlier by its clock than by the database's;
// a quarter of the TTL before that end it stops its feeds unless a renewal
// has succeeded since. Without it, a server whose database stalled stayed
// connected while another took the lease over.
func (a *Host) lead(ctx context.Context) error {
	now := time.Now()
	actx, cancel := context.WithTimeout(ctx, leaseTTL)
	ok, err := a.store.AcquireLease(actx, feedsLease, a.holder, now, now.Add(leaseTTL))
	cancel()
	a.mu.Lock()
	was := a.leading
	a.leading = ok && err == nil
	leading := a.leading // leaseRanOut may change a.leading once unlocked
	if a.leading {
		a.leaseGen++
		gen := a.leaseGen
		time.AfterFunc(time.Until(now.Add(leaseTTL-leaseTTL/4)), func() { a.leaseRanOut(gen) })
	}
	if was && !a.leading {
		a.stopFeedsLocked()
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if leading && !was {
		a.log.Info("monitor: this server runs the outbound feeds", "holder", a.holder)
		fs, err := a.svc.JournalledFeeds(ctx)
		if err != nil {
			return err
		}
		for _, f := range fs {
			a.startFeed(f)
		}
	} else if was && !leading {
		a.log.Warn("monitor: the feeds lease is held by another server; feeds stopped here")
	}
	return nil
}

// leaseRanOut stops the feeds if no renewal has succeeded since the one
// numbered gen.
func (a *Host) leaseRanOut(gen uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.leading || a.leaseGen != gen {
		return
	}
	a.leading = false
	a.stopFeedsLocked()
	a.log.Warn("monitor: the feeds lease could not be renewed in time; feeds stopped here")
}

func (a *Host) stopFeedsLocked() {
	for id, stop := range a.feeds {
		stop()
		delete(a.feeds, id)
	}
}

// keepLease renews the feeds lease until the server stops, then gives it up.
func (a *Host) keepLease() {
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := a.lead(a.ctx); err != nil && a.ctx.Err() == nil {
				a.log.Error("monitor: feeds lease", "err", err)
			}
		case <-a.ctx.Done():
			a.mu.Lock()
			leading := a.leading
			a.mu.Unlock()
			if leading {
				if err := a.store.ReleaseLease(context.Background(), feedsLease, a.holder); err != nil {
					a.log.Error("monitor: releasing the feeds lease", "err", err)
				}
			}
			return
		}
	}
}

func (a *Host) startFeed(f *truce.FeedSource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.leading {
		return
	}
	if _, ok := a.feeds[f.ID]; ok || f.Removed {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.feeds[f.ID] = cancel
	c := &feed.SBSClient{Addr: f.Addr, Source: "feed:" + f.Name, Handle: func(p feed.Position) { a.engine.Ingest(p) }, OnBad: a.badSBS("feed:" + f.Name)}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); c.Run(ctx) }()
}

func (a *Host) stopFeed(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stop, ok := a.feeds[id]; ok {
		stop()
		delete(a.feeds, id)
	}
}
